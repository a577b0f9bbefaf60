/**
 * The run pods of the pipeline, as Dagster's own dagster-k8s (the `dagster-k8s` Python
 * peer) builds them from the container context the code-server Deployment carries: the
 * context is accepted, and the pod gets the ConfigMap, the Secrets, the volumes, the
 * resources and the security settings the manifests mean, and runs the image's entry
 * point with `<entry point> api execute_run <args>`.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Pod } from 'kubernetes-models/v1';
import { DAGSTER_ENTRY_POINT } from '../../../src/cli/code-server.command';
import { describeIf, hasPeer, peerPython } from '../../support/env';
import { find, loadManifests } from './lib/repo-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// child processes and schema compilation can be slow on a shared 2-core machine
jest.setTimeout(60_000);

const manifests = loadManifests();
const codeServer = (find(manifests, 'Deployment', 'bandit-pipeline').obj as Obj).spec.template.spec.containers[0] as Obj;
const env = (name: string): string => (codeServer.env as Obj[]).find((e) => e.name === name)!.value as string;

function buildRunPod(context: unknown): Obj {
  const out = execFileSync(peerPython('dagster-k8s')!, [path.join(__dirname, 'run-pod.py')], {
    input: JSON.stringify({ context, entry_point: DAGSTER_ENTRY_POINT, image: env('DAGSTER_CONTAINER_IMAGE') }),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60000,
  });
  return JSON.parse(out) as Obj;
}

describeIf(() => hasPeer('dagster-k8s'))('the run pod the K8sRunLauncher builds from the container context', () => {
  let run: Obj;
  let c: Obj;
  beforeAll(() => {
    run = buildRunPod(JSON.parse(env('DAGSTER_CONTAINER_CONTEXT')));
    c = run.pod.containers[0];
  });

  it('runs in datasci from the image the code server reports, as a valid PodSpec', () => {
    expect(run.namespace).toBe('datasci');
    expect(c.image).toBe(codeServer.image);
    expect(() => new Pod({ metadata: { name: 'run' }, spec: run.pod }).validate()).not.toThrow();
  });

  it('keeps the image entry point and passes `<entry point> api execute_run <args>` as args', () => {
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual([...DAGSTER_ENTRY_POINT, 'api', 'execute_run', '{}']);
  });

  it('gets the settings ConfigMap and the MinIO and database Secrets, and the Dagster instance env', () => {
    const from = (c.envFrom as Obj[]).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    expect(from).toEqual(['bandit-pipeline-env', 'bandit-minio', 'bandit-database-url']);
    const names = (c.env as Obj[]).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['DAGSTER_HOME', 'DAGSTER_PG_PASSWORD']));
  });

  it('mounts the dataset read-only and writable /tmp and /data, works in /data', () => {
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'obd', mountPath: '/obd', readOnly: true }),
        expect.objectContaining({ name: 'tmp', mountPath: '/tmp' }),
        expect.objectContaining({ name: 'data', mountPath: '/data' }),
      ]),
    );
    const claim = (run.pod.volumes as Obj[]).find((v) => v.name === 'obd')!.persistentVolumeClaim;
    expect(claim.claimName).toBe('bandit-obd');
    expect(c.workingDir).toBe('/data');
  });

  it('is non-root on a read-only root filesystem, with its resources', () => {
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(run.pod.securityContext).toMatchObject({ fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(run.pod.automountServiceAccountToken).toBe(false);
    expect(run.pod.serviceAccountName).toBe('bandit-pipeline');
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '6Gi' } });
  });

  it('dagster-k8s rejects a context with a field it does not know (the check can fail)', () => {
    expect(() => buildRunPod({ k8s: { env_config_map: ['typo'] } })).toThrow();
  });
});
