/**
 * The Kubernetes manifests under k8s/: they parse, validate against their kinds' schemas,
 * reference only files and objects that exist, name the two product images, carry no
 * plaintext secret, and configure the processes the way src/config/config.ts reads them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { VARIABLE_LIST } from '../../../src/config/spec';
import { describeIf, hasDataset, REPO_ROOT } from '../../support/env';
import { APP_ROOT, find, IMAGES, isYaml, K8S_ROOT, kindOf, loadManifests, Manifest, nameOf, parseYamlFile, rel, walk } from './lib/repo-files';
import { findPlaintextSecrets } from './lib/secrets-check';
import { strictTypeErrors, TYPED_KINDS, TypedValue } from './lib/strict-types';
import { seldonSchemaPath, validateManifest } from './lib/validate';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// child processes and schema compilation can be slow on a shared 2-core machine
jest.setTimeout(60_000);

const manifests = loadManifests();
const objs = (kind: string): Manifest[] => manifests.filter((m) => m.obj.kind === kind);
const podSpec = (d: Manifest): Obj => (d.obj as Obj).spec.template.spec;
const container = (d: Manifest, name?: string): Obj => {
  const cs = podSpec(d).containers as Obj[];
  return name ? cs.find((c) => c.name === name)! : cs[0];
};

describe('k8s/ manifests', () => {
  it('every YAML file under k8s/ parses, and there are manifests to check', () => {
    const files = walk(K8S_ROOT, isYaml);
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) expect(() => parseYamlFile(f)).not.toThrow();
    expect(manifests.length).toBeGreaterThanOrEqual(files.length);
  });

  it('every document validates against the schema of its kind (the SeldonDeployment below, against its CRD schema)', () => {
    const errors: string[] = [];
    for (const m of manifests.filter((x) => x.obj.kind !== 'SeldonDeployment')) {
      try {
        validateManifest(m);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(errors).toEqual([]);
  });

  it('the validators reject a broken manifest of each checked family', () => {
    const deployment = find(manifests, 'Deployment', 'bandit-service');
    const broken = structuredClone(deployment.obj) as Obj;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    expect(() => validateManifest({ ...deployment, obj: broken })).toThrow(/containerPort must be integer/);

    const ks = find(manifests, 'Kustomization', 'bandit-service');
    const brokenKs = structuredClone(ks.obj) as Obj;
    brokenKs.spec.prune = 'yes';
    expect(() => validateManifest({ ...ks, obj: brokenKs })).toThrow(/prune must be boolean/);

    const sm = find(manifests, 'ServiceMonitor', 'bandit-service');
    const brokenSm = structuredClone(sm.obj) as Obj;
    brokenSm.spec.endpoints[0].pth = '/metrics';
    expect(() => validateManifest({ ...sm, obj: brokenSm })).toThrow(/pth/);

    expect(() => validateManifest({ file: 'x.yaml', index: 0, obj: { apiVersion: 'example.com/v1', kind: 'Mystery', metadata: { name: 'x' } } })).toThrow(
      /no validator for example.com\/v1\/Mystery/,
    );
  });

  it('no manifest sets a field its kind does not define (unknown fields are silently dropped by Kubernetes)', () => {
    const values: TypedValue[] = [];
    for (const m of manifests) {
      const kind = kindOf(m);
      if (kind in TYPED_KINDS) values.push({ label: `${m.file}#${m.index}`, kind, value: m.obj });
      // the pod specs inside a SeldonDeployment are plain Kubernetes PodSpecs
      if (m.obj.kind === 'SeldonDeployment') {
        ((m.obj as Obj).spec.predictors as Obj[]).forEach((p, i) =>
          (p.componentSpecs as Obj[]).forEach((c, j) => values.push({ label: `${m.file}#${m.index} predictors[${i}].componentSpecs[${j}].spec`, kind: 'v1/PodSpec', value: c.spec })),
        );
      }
    }
    expect(values.length).toBeGreaterThanOrEqual(15);
    expect(strictTypeErrors(values)).toEqual([]);
  });

  it('the unknown-field check reports a misspelt field', () => {
    const deployment = structuredClone(find(manifests, 'Deployment', 'bandit-service').obj) as Obj;
    deployment.spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/readyz', port: 'http' } };
    const errors = strictTypeErrors([{ label: 'typo', kind: 'apps/v1/Deployment', value: deployment }]);
    expect(errors).toEqual([expect.stringMatching(/^typo: .*readinesProbe/)]);
  });

  it('every namespaced object of the apps lives in datasci', () => {
    for (const m of manifests.filter((x) => x.file.includes('/app/bandit-') || x.file.includes('/app/secrets/'))) {
      if (String(m.obj.apiVersion).startsWith('kustomize.config.k8s.io')) continue;
      expect({ where: m.file, ns: (m.obj.metadata as Obj).namespace }).toEqual({ where: m.file, ns: 'datasci' });
    }
  });
});

describe('kustomizations and Flux', () => {
  const kustomizeFiles = manifests.filter((m) => String(m.obj.apiVersion).startsWith('kustomize.config.k8s.io'));

  it('every file a kustomization.yaml lists exists', () => {
    expect(kustomizeFiles.length).toBeGreaterThanOrEqual(5);
    const missing: string[] = [];
    for (const k of kustomizeFiles) {
      const dir = path.dirname(path.join(REPO_ROOT, k.file));
      const o = k.obj as Obj;
      const listed: string[] = [...(o.resources ?? []), ...(o.components ?? []), ...((o.patches ?? []) as Obj[]).map((p) => p.path as string)];
      for (const r of listed) if (!fs.existsSync(path.join(dir, r))) missing.push(`${k.file} lists ${r}`);
    }
    expect(missing).toEqual([]);
  });

  it('every YAML file of an app folder is listed by its kustomization (nothing silently left out)', () => {
    const unlisted: string[] = [];
    for (const k of kustomizeFiles) {
      const dir = path.dirname(path.join(REPO_ROOT, k.file));
      const o = k.obj as Obj;
      const listed = new Set<string>([...(o.resources ?? []), ...((o.patches ?? []) as Obj[]).map((p) => p.path as string)].map((r) => path.resolve(dir, r)));
      for (const f of fs.readdirSync(dir).filter(isYaml)) {
        const p = path.join(dir, f);
        if (f !== 'kustomization.yaml' && !listed.has(p) && !fs.statSync(p).isDirectory()) unlisted.push(rel(p));
      }
    }
    expect(unlisted).toEqual([]);
  });

  it('every Flux Kustomization points at a folder with a kustomization.yaml, from a source defined here', () => {
    const fluxKs = manifests.filter((m) => kindOf(m) === 'kustomize.toolkit.fluxcd.io/v1/Kustomization');
    expect(fluxKs.map(nameOf)).toEqual(expect.arrayContaining(['bandit-secrets', 'bandit-service', 'bandit-pipeline']));
    const sources = objs('GitRepository').map(nameOf);
    const names = new Set(fluxKs.map(nameOf));
    for (const k of fluxKs) {
      const spec = (k.obj as Obj).spec;
      expect(fs.existsSync(path.join(REPO_ROOT, spec.path, 'kustomization.yaml'))).toBe(true);
      expect(sources).toContain(spec.sourceRef.name);
      expect(spec.prune).toBe(true);
      // a dependency inside the product must exist; outside ones are the cluster's
      for (const d of (spec.dependsOn ?? []) as Obj[]) if (String(d.name).startsWith('bandit')) expect(names).toContain(d.name);
      // every health check names an object this repository deploys
      for (const h of (spec.healthChecks ?? []) as Obj[]) expect(() => find(manifests, h.kind, h.name)).not.toThrow();
    }
    const gitRepo = find(manifests, 'GitRepository', 'bandit');
    expect((gitRepo.obj as Obj).spec.url).toBe('https://github.com/ekenheim/bandit');
  });

  it('every app folder is reconciled by exactly one Flux Kustomization (the Dagster component by the cluster\'s Dagster app)', () => {
    const fluxPaths = manifests
      .filter((m) => kindOf(m) === 'kustomize.toolkit.fluxcd.io/v1/Kustomization')
      .map((m) => path.normalize((m.obj as Obj).spec.path as string));
    const appDir = path.join(APP_ROOT, 'app');
    for (const dir of fs.readdirSync(appDir)) {
      const k = path.join(appDir, dir, 'kustomization.yaml');
      if (!fs.existsSync(k)) continue;
      const isComponent = parseYamlFile(k)[0].kind === 'Component';
      const count = fluxPaths.filter((p) => p === path.normalize(rel(path.join(appDir, dir)))).length;
      expect({ dir, count }).toEqual({ dir, count: isComponent ? 0 : 1 });
    }
  });

  it('the apps wait for their secrets', () => {
    for (const name of ['bandit-service', 'bandit-pipeline']) {
      const ks = manifests.find((m) => m.obj.kind === 'Kustomization' && nameOf(m) === name && String(m.obj.apiVersion).includes('fluxcd'))!;
      expect((ks.obj as Obj).spec.dependsOn).toEqual(expect.arrayContaining([{ name: 'bandit-secrets' }]));
    }
  });
});

describe('images', () => {
  const imageRefs = (): Array<{ where: string; image: string }> => {
    const out: Array<{ where: string; image: string }> = [];
    const visit = (v: unknown, where: string): void => {
      if (typeof v === 'string') {
        for (const m of v.matchAll(/ghcr\.io\/[^\s"',]+/g)) out.push({ where, image: m[0] });
      } else if (Array.isArray(v)) v.forEach((x) => visit(x, where));
      else if (v && typeof v === 'object') Object.values(v).forEach((x) => visit(x, where));
    };
    for (const m of manifests) visit(m.obj, `${m.file}#${m.index}`);
    return out;
  };

  it('only the two product images are referenced, each with one consistent tag', () => {
    const refs = imageRefs();
    expect(refs.length).toBeGreaterThanOrEqual(4);
    const tags = new Map<string, Set<string>>();
    for (const { where, image } of refs) {
      const [repo, tag] = image.split(':');
      expect({ where, repo }).toEqual({ where, repo: expect.stringMatching(/^ghcr\.io\/ekenheim\/bandit-(service|pipeline)$/) });
      expect({ where, tag }).toEqual({ where, tag: expect.stringMatching(/^([0-9a-f]{40}|main)$/) });
      tags.set(repo, (tags.get(repo) ?? new Set()).add(tag));
    }
    for (const [repo, set] of tags) expect({ repo, tags: [...set] }).toEqual({ repo, tags: [expect.any(String)] });
  });

  it('the service runs the service image and the code server the pipeline image, which it also reports to Dagster', () => {
    const svc = container(find(manifests, 'Deployment', 'bandit-service'));
    expect(svc.image.split(':')[0]).toBe(IMAGES.service);
    const cs = container(find(manifests, 'Deployment', 'bandit-pipeline'));
    expect(cs.image.split(':')[0]).toBe(IMAGES.pipeline);
    const env = Object.fromEntries((cs.env as Obj[]).map((e) => [e.name, e.value]));
    expect(env.BANDIT_PIPELINE_IMAGE).toBe(cs.image);
    expect(env.DAGSTER_CONTAINER_IMAGE).toBe(cs.image);
  });
});

describe('no plaintext secrets', () => {
  it('no manifest holds a credential in the clear', () => {
    expect(findPlaintextSecrets(manifests)).toEqual([]);
  });

  it('the check finds each kind of leak it claims to', () => {
    const leak = (obj: Obj): Manifest => ({ file: 'leak.yaml', index: 0, obj });
    const found = findPlaintextSecrets([
      leak({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } }),
      leak({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { BANDIT_ADMIN_TOKEN: 'abcdefabcdefabcdef' } }),
      leak({ kind: 'Deployment', spec: { env: [{ name: 'BANDIT_DATABASE_URL', value: 'postgres://db/x' }] } }),
      leak({ kind: 'ConfigMap', data: { url: 'postgresql://bandit:s3cret@db:5432/bandit' } }),
    ]);
    expect(found.map((f) => f.what)).toEqual([
      expect.stringMatching(/Secret with data in the clear/),
      expect.stringMatching(/credential-like key/),
      expect.stringMatching(/BANDIT_DATABASE_URL has a literal value/),
      expect.stringMatching(/URL with a password/),
    ]);
    // SOPS-encrypted data and references are fine
    expect(
      findPlaintextSecrets([
        leak({ kind: 'Secret', stringData: { password: 'ENC[AES256_GCM,data:xyz,type:str]' }, sops: { version: '3.8.1' } }),
        leak({ kind: 'Deployment', spec: { env: [{ name: 'BANDIT_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'a', key: 'b' } } }] } }),
      ]),
    ).toEqual([]);
  });

  it('every Secret a pod reads is made by an ExternalSecret here', () => {
    const made = new Set(objs('ExternalSecret').map((m) => (m.obj as Obj).spec.target.name as string));
    const referenced = new Set<string>();
    for (const d of objs('Deployment')) {
      for (const c of podSpec(d).containers as Obj[]) {
        for (const e of (c.env ?? []) as Obj[]) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
        for (const e of (c.envFrom ?? []) as Obj[]) if (e.secretRef) referenced.add(e.secretRef.name);
      }
    }
    const ctx = pipelineContainerContext();
    for (const s of ctx.k8s.env_secrets as string[]) referenced.add(s);
    expect(referenced.size).toBeGreaterThanOrEqual(3);
    for (const s of referenced) expect({ secret: s, made: made.has(s) }).toEqual({ secret: s, made: true });
  });

  it('the database URL comes from the Crunchy PGO user secret\'s uri key', () => {
    const env = container(find(manifests, 'Deployment', 'bandit-service')).env as Obj[];
    const db = env.find((e) => e.name === 'BANDIT_DATABASE_URL')!;
    expect(db.valueFrom.secretKeyRef).toEqual({ name: 'postgres-pguser-bandit', key: 'uri' });
    const mirror = find(manifests, 'ExternalSecret', 'postgres-pguser-bandit').obj as Obj;
    expect(mirror.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'crunchy-pgo-secrets' });
    expect(mirror.spec.dataFrom).toEqual([{ extract: { key: 'postgres-pguser-bandit' } }]);
    const forRuns = find(manifests, 'ExternalSecret', 'bandit-database-url').obj as Obj;
    expect(forRuns.spec.target.template.data).toEqual({ BANDIT_DATABASE_URL: '{{ .uri }}' });
  });
});

function pipelineContainerContext(): Obj {
  const env = container(find(manifests, 'Deployment', 'bandit-pipeline')).env as Obj[];
  return JSON.parse(env.find((e) => e.name === 'DAGSTER_CONTAINER_CONTEXT')!.value as string) as Obj;
}

/** The process environment a container gets from its ConfigMaps, with stand-ins for Secrets. */
function containerEnv(d: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  const c = container(d);
  for (const from of (c.envFrom ?? []) as Obj[]) {
    if (from.configMapRef) Object.assign(env, (find(manifests, 'ConfigMap', from.configMapRef.name).obj as Obj).data);
    if (from.secretRef) {
      const es = objs('ExternalSecret').find((m) => (m.obj as Obj).spec.target.name === from.secretRef.name)!;
      for (const k of Object.keys((es.obj as Obj).spec.target.template?.data ?? {})) env[k] = standIn(k);
    }
  }
  for (const e of (c.env ?? []) as Obj[]) env[e.name] = e.value ?? standIn(e.name);
  return env;
}
function standIn(name: string): string {
  if (name === 'BANDIT_DATABASE_URL') return 'postgresql://bandit:stand-in@postgres-primary.database.svc:5432/bandit';
  return `stand-in-value-for-${name.toLowerCase()}`;
}

describe('the processes get the configuration they read', () => {
  const declared = new Map(VARIABLE_LIST.map((v) => [v.name, v.usedBy]));

  it.each([
    ['bandit-service', 'service'],
    ['bandit-pipeline', 'pipeline'],
  ] as const)('%s: every product variable is declared in src/config/spec.ts for that deployable, and together they load', (name, deployable) => {
    const env = containerEnv(find(manifests, 'Deployment', name));
    for (const k of Object.keys(env).filter((k) => /^(BANDIT|DRAGONFLY|MINIO|MLFLOW)_/.test(k))) {
      expect({ variable: k, declaredFor: declared.get(k)?.includes(deployable) ?? false }).toEqual({ variable: k, declaredFor: true });
    }
    expect(() => loadConfig(env, '/app')).not.toThrow();
  });

  it('bandit-service: Dragonfly in namespace database, Postgres, the admin token, port 8000', () => {
    const cfg = loadConfig(containerEnv(find(manifests, 'Deployment', 'bandit-service')), '/app');
    expect(cfg.redis?.host).toBe('dragonfly.database.svc.cluster.local');
    expect(cfg.redis?.port).toBe(6379);
    expect(cfg.databaseUrl).toMatch(/^postgresql:\/\//);
    expect(cfg.adminToken).toBeDefined();
    expect(cfg.nodeEnv).toBe('production');
    expect(cfg.port).toBe(8000);
    expect(cfg.dataDir).toBe('/data');
  });

  it('bandit-pipeline: MinIO in namespace storage, MLflow, port 4000, the data dir on a writable volume', () => {
    const cfg = loadConfig(containerEnv(find(manifests, 'Deployment', 'bandit-pipeline')), '/app');
    expect(cfg.minio?.endPoint).toBe('minio.storage.svc.cluster.local');
    expect(cfg.minio?.bucket).toBe('bandit');
    expect(cfg.mlflowTrackingUri).toMatch(/^http:\/\/mlflow\./);
    expect(cfg.codeServerPort).toBe(4000);
    expect(cfg.databaseUrl).toBeDefined();
    expect(cfg.obdPath).toBe('/obd');
  });
});

describe('pods', () => {
  it.each(['bandit-service', 'bandit-pipeline'])('%s runs as non-root on a read-only root filesystem with writable /tmp and data dir', (name) => {
    const d = find(manifests, 'Deployment', name);
    const pod = podSpec(d);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const c = container(d);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const mounts = Object.fromEntries((c.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
    const emptyDirs = new Set((pod.volumes as Obj[]).filter((v) => v.emptyDir).map((v) => v.name));
    const dataDir = containerEnv(d).BANDIT_DATA_DIR;
    for (const p of ['/tmp', dataDir]) expect({ path: p, emptyDir: emptyDirs.has(mounts[p]) }).toEqual({ path: p, emptyDir: true });
    expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(c.resources.limits.memory).toEqual(expect.any(String));
  });

  it('every probe targets a port the container declares; HTTP probes /healthz and /readyz, the code server gRPC health', () => {
    const svc = container(find(manifests, 'Deployment', 'bandit-service'));
    const ports = new Map((svc.ports as Obj[]).map((p) => [p.name, p.containerPort]));
    expect(ports.get('http')).toBe(8000);
    expect(svc.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(svc.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(svc.startupProbe.httpGet.path).toBe('/healthz');

    const cs = container(find(manifests, 'Deployment', 'bandit-pipeline'));
    const csPorts = (cs.ports as Obj[]).map((p) => p.containerPort);
    for (const probe of [cs.startupProbe, cs.livenessProbe, cs.readinessProbe]) {
      expect(Object.keys(probe).filter((k) => ['httpGet', 'grpc', 'tcpSocket', 'exec'].includes(k))).toEqual(['grpc']);
      expect(csPorts).toContain(probe.grpc.port);
    }
    expect(csPorts).toEqual([4000]);
  });

  it('Services and the ServiceMonitor reach named container ports', () => {
    for (const [name, port, portName] of [
      ['bandit-service', 8000, 'http'],
      ['bandit-pipeline', 4000, 'grpc'],
    ] as const) {
      const s = find(manifests, 'Service', name).obj as Obj;
      expect(s.spec.ports).toEqual([expect.objectContaining({ name: portName, port, targetPort: portName })]);
      const d = find(manifests, 'Deployment', name);
      expect(s.spec.selector).toEqual((d.obj as Obj).spec.selector.matchLabels);
      expect((container(d).ports as Obj[]).map((p) => p.name)).toContain(portName);
    }
    const sm = find(manifests, 'ServiceMonitor', 'bandit-service').obj as Obj;
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    // the ServiceMonitor selects the Service by labels the Service carries
    const svcLabels = (find(manifests, 'Service', 'bandit-service').obj as Obj).metadata.labels as Record<string, string>;
    expect(svcLabels).toMatchObject(sm.spec.selector.matchLabels);
  });

  it('the HPA scales the service Deployment, the PDB covers its pods, and the Deployment leaves replicas to the HPA', () => {
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'bandit-service').obj as Obj;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'bandit-service' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = find(manifests, 'PodDisruptionBudget', 'bandit-service').obj as Obj;
    const d = find(manifests, 'Deployment', 'bandit-service').obj as Obj;
    expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(d.spec.replicas).toBeUndefined();
  });

  it('the run settings give run pods the ConfigMap, Secrets, volumes and claim the code server has', () => {
    const ctx = pipelineContainerContext().k8s as Obj;
    expect(ctx.namespace).toBe('datasci');
    for (const cm of ctx.env_config_maps as string[]) expect(() => find(manifests, 'ConfigMap', cm)).not.toThrow();
    expect(() => find(manifests, 'ServiceAccount', ctx.service_account_name)).not.toThrow();
    const volumes = new Set((ctx.volumes as Obj[]).map((v) => v.name));
    for (const m of ctx.volume_mounts as Obj[]) expect(volumes).toContain(m.name);
    for (const v of (ctx.volumes as Obj[]).filter((x) => x.persistentVolumeClaim)) {
      expect(() => find(manifests, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName)).not.toThrow();
    }
    expect(ctx.security_context).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect((ctx.volume_mounts as Obj[]).map((m) => m.mount_path)).toEqual(expect.arrayContaining(['/tmp', '/data', '/obd']));
  });
});

describe('the Dagster workspace patch', () => {
  it('adds bandit-pipeline on port 4000 next to the existing hempriser-pipeline entry', () => {
    const patch = find(manifests, 'HelmRelease', 'dagster');
    expect(patch.file).toBe('k8s/datasci/bandit/app/dagster/helmrelease-patch.yaml');
    expect((patch.obj as Obj).metadata.namespace).toBe('datasci');
    const servers = (patch.obj as Obj).spec.values.dagsterWebserver.workspace.servers as Obj[];
    expect(servers).toEqual([
      { host: 'hempriser-pipeline.development.svc.cluster.local', port: 4000, name: 'hempriser-pipeline' },
      { host: 'bandit-pipeline.datasci.svc.cluster.local', port: 4000, name: 'bandit-pipeline' },
    ]);
    // the host is the Service of the code server
    const svc = find(manifests, 'Service', 'bandit-pipeline').obj as Obj;
    expect(`${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`).toBe(servers[1].host);
    expect(svc.spec.ports[0].port).toBe(servers[1].port);
  });
});

// the CRD schema is a spec read from ../shared/specs/seldon: without it these skip visibly (fail under CI=true)
describeIf(() => hasDataset(seldonSchemaPath(), 'BANDIT_SELDON_SPECS'))('the SeldonDeployment', () => {
  const files = walk(APP_ROOT, (f) => path.basename(f) === 'seldondeployment.yaml');
  it('validates against the SeldonDeployment v1 CRD schema, runs the service image, and names its ports', () => {
    const sds = files.flatMap((f) => parseYamlFile(f)).filter((o) => o.kind === 'SeldonDeployment');
    expect(sds.length).toBeGreaterThanOrEqual(1);
    for (const sd of sds) {
      expect(() => validateManifest({ file: 'seldondeployment.yaml', index: 0, obj: sd })).not.toThrow();
      const router = ((sd as Obj).spec.predictors as Obj[]).flatMap((p) => (p.componentSpecs as Obj[]).flatMap((c) => c.spec.containers as Obj[]));
      expect(router.some((c) => String(c.image).startsWith(`${IMAGES.service}:`))).toBe(true);
    }
  });

  it('the schema validator rejects a wrong type', () => {
    const bad = { apiVersion: 'machinelearning.seldon.io/v1', kind: 'SeldonDeployment', metadata: { name: 'x' }, spec: { predictors: [{ name: 'p', graph: { name: 'g', children: 'none' } }] } };
    expect(() => validateManifest({ file: 'bad.yaml', index: 0, obj: bad })).toThrow();
  });
});
