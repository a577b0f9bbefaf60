/**
 * The bandit-router SeldonDeployment: valid against the SeldonDeployment v1 CRD schema
 * (shared specs, ajv non-strict), every pod spec valid against the Kubernetes schema, and
 * a graph the Seldon operator and executor can run with this service as the ROUTER.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Pod } from 'kubernetes-models/v1';
import YAML from 'yaml';
import { loadConfig } from '../../../src/config/config';
import { parseRouterParameters } from '../../../src/seldon/seldon-parameters';
import { describeIf, hasDataset, REPO_ROOT, SELDON_SPECS_PATH } from '../../support/env';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIR = path.join(REPO_ROOT, 'k8s/datasci/bandit/app/seldon');
const SCHEMA = path.join(SELDON_SPECS_PATH, 'seldondeployment-v1.openapi-schema.json');

function load(): Obj {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(DIR, 'seldondeployment.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
  expect(docs).toHaveLength(1);
  return docs[0];
}

function schemaValidator(): (o: unknown) => string | null {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'int-or-string']) ajv.addFormat(f, true);
  const check = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
  return (o) => (check(o) ? null : ajv.errorsText(check.errors, { separator: '; ' }));
}

function nodes(graph: Obj): Obj[] {
  return [graph, ...((graph.children as Obj[] | undefined) ?? []).flatMap(nodes)];
}

describeIf(() => hasDataset(SCHEMA, 'BANDIT_SELDON_SPECS'))('the bandit-router SeldonDeployment', () => {
  const sd = load();
  const predictor = sd.spec.predictors[0] as Obj;
  const containers = (predictor.componentSpecs as Obj[]).flatMap((c) => c.spec.containers as Obj[]);
  const byName = new Map(containers.map((c) => [c.name as string, c]));
  const graph = predictor.graph as Obj;

  it('validates against the SeldonDeployment v1 CRD schema', () => {
    expect(schemaValidator()(sd)).toBeNull();
  });

  it('the schema check can fail: a wrong type and a missing graph name are reported', () => {
    const validate = schemaValidator();
    const broken = structuredClone(sd);
    broken.spec.predictors[0].graph.parameters[0].value = 7;
    delete broken.spec.predictors[0].graph.children[0].name;
    const errors = validate(broken);
    expect(errors).toContain('/spec/predictors/0/graph/parameters/0/value must be string');
    expect(errors).toContain("must have required property 'name'");
  });

  it('every component pod spec is a valid Kubernetes PodSpec', () => {
    for (const c of predictor.componentSpecs as Obj[]) {
      expect(() => new Pod({ metadata: { name: 'x' }, spec: c.spec }).validate()).not.toThrow();
    }
  });

  it('is the bandit-router graph: a ROUTER over MODEL children, each node with a container of its name', () => {
    expect(sd.metadata).toMatchObject({ name: 'bandit-router', namespace: 'datasci' });
    expect(sd.spec.protocol).toBe('seldon');
    expect(graph).toMatchObject({ name: 'bandit-router', type: 'ROUTER' });
    expect(graph.children.length).toBeGreaterThanOrEqual(2);
    for (const child of graph.children as Obj[]) expect(child.type).toBe('MODEL');
    for (const n of nodes(graph)) {
      expect(byName.has(n.name)).toBe(true);
      expect(n.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(containers).toHaveLength(nodes(graph).length);
  });

  it('turns routing injection on in the executor', () => {
    expect(predictor.svcOrchSpec.env).toContainEqual({ name: 'SELDON_ENABLE_ROUTING_INJECTION', value: 'true' });
  });

  it('the router parameters parse, and name the children in graph order', () => {
    const p = parseRouterParameters(JSON.stringify(graph.parameters), graph.name);
    expect(p.experimentId).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
    expect(p.arms).toEqual((graph.children as Obj[]).map((c) => c.name));
  });

  it('the router runs `bandit serve` from the service image; each arm `bandit arm --name <node>` with a JSON payload', () => {
    const router = byName.get(graph.name) as Obj;
    expect(router.image).toMatch(/^ghcr\.io\/ekenheim\/bandit-service:/);
    expect(router.args).toEqual(['serve']);
    for (const child of graph.children as Obj[]) {
      const c = byName.get(child.name) as Obj;
      expect(c.image).toMatch(/^ghcr\.io\/ekenheim\/bandit-service:/);
      expect(c.args.slice(0, 3)).toEqual(['arm', '--name', child.name]);
      expect(c.args[3]).toBe('--payload');
      expect(() => JSON.parse(c.args[4])).not.toThrow();
    }
  });

  it('names the ports http and metrics, probes them, and sets resources', () => {
    for (const c of containers) {
      const names = (c.ports as Obj[]).map((p) => p.name).sort();
      expect(names).toEqual(['http', 'metrics']);
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        expect(c[probe].httpGet.port).toBe('http');
        expect(['/health/ping', '/health/status']).toContain(c[probe].httpGet.path);
      }
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    }
  });

  it('the router reads the configuration bandit-service reads (its ConfigMap and Secrets), which loads', () => {
    const router = byName.get(graph.name) as Obj;
    expect(router.envFrom).toContainEqual({ configMapRef: { name: 'bandit-service-env' } });
    const cm = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'k8s/datasci/bandit/app/bandit-service/configmap.yaml'), 'utf8')) as Obj;
    const env: Record<string, string> = { ...cm.data };
    for (const e of router.env as Obj[]) env[e.name] = e.value ?? (e.name === 'BANDIT_DATABASE_URL' ? 'postgres://u:p@db:5432/bandit' : 'x'.repeat(32));
    // what the operator adds
    Object.assign(env, {
      PREDICTIVE_UNIT_ID: graph.name,
      PREDICTIVE_UNIT_PARAMETERS: JSON.stringify(graph.parameters),
      PREDICTIVE_UNIT_HTTP_SERVICE_PORT: String((router.ports as Obj[]).find((p) => p.name === 'http')?.containerPort),
    });
    const config = loadConfig(env, '/app');
    expect(config.port).toBe((router.ports as Obj[]).find((p) => p.name === 'http')?.containerPort);
    expect(config.seldon.unitId).toBe(graph.name);
    expect(config.seldon.metricsPath).toBe('/prometheus');
  });

  it('the router scales out (HPA on CPU, a PDB) while each arm runs its own pod', () => {
    const routerSpec = (predictor.componentSpecs as Obj[]).find((c) => (c.spec.containers as Obj[])[0].name === graph.name) as Obj;
    expect(routerSpec.hpaSpec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(routerSpec.hpaSpec.maxReplicas).toBeGreaterThan(routerSpec.hpaSpec.minReplicas);
    expect(routerSpec.hpaSpec.metricsv2[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu' } });
    expect(routerSpec.pdbSpec.minAvailable).toBeGreaterThanOrEqual(1);
    for (const c of predictor.componentSpecs as Obj[]) expect(c.spec.containers).toHaveLength(1);
  });

  it('the kustomization lists the manifest', () => {
    const k = YAML.parse(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as Obj;
    expect(k.resources).toEqual(['./seldondeployment.yaml']);
  });
});
