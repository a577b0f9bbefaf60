/**
 * Every SeldonDeployment under k8s/ can start: Seldon Core v1's operator runs the executor
 * (svc-orch) in the pod of each predictor's first componentSpec, where it listens on 8000
 * (REST, also its Prometheus port) and 5001 (gRPC) — operator v1.17.1 defaults.go and
 * seldondeployment_engine.go. A container of that pod that declares one of those ports, or
 * probes it, cannot bind (or probes the executor instead of itself). The predictor may
 * instead run the executor in its own pod (`seldon.io/engine-separate-pod: "true"`), or
 * run none (`seldon.io/no-engine: "true"`). Probes that name a port must name one the
 * container declares.
 */
import { loadManifests, type Manifest } from './lib/repo-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The executor's ports in the pod it shares with the first componentSpec. */
export const EXECUTOR_PORTS: Record<number, string> = { 8000: "the executor's REST port", 5001: "the executor's gRPC port" };

const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;

function annotation(sd: Obj, predictor: Obj, name: string): string | undefined {
  return (predictor.annotations as Obj | undefined)?.[name] ?? (sd.spec?.annotations as Obj | undefined)?.[name];
}

/** What would keep one SeldonDeployment from starting, one line per problem (empty: none). */
export function seldonPortProblems(sd: Obj, where = String(sd.metadata?.name)): string[] {
  const problems: string[] = [];
  for (const [pi, predictor] of ((sd.spec?.predictors as Obj[] | undefined) ?? []).entries()) {
    const separate = annotation(sd, predictor, 'seldon.io/engine-separate-pod') === 'true' || annotation(sd, predictor, 'seldon.io/no-engine') === 'true';
    for (const [ci, component] of ((predictor.componentSpecs as Obj[] | undefined) ?? []).entries()) {
      const withExecutor = ci === 0 && !separate;
      for (const c of (component.spec?.containers as Obj[] | undefined) ?? []) {
        const at = `${where} predictor ${predictor.name ?? pi} container ${c.name}`;
        const ports = (c.ports as Obj[] | undefined) ?? [];
        const named = new Map(ports.filter((p) => typeof p.name === 'string').map((p) => [p.name as string, p.containerPort as number]));
        if (withExecutor) {
          for (const p of ports) {
            if (EXECUTOR_PORTS[p.containerPort as number]) {
              problems.push(`${at}: containerPort ${p.containerPort} is ${EXECUTOR_PORTS[p.containerPort as number]} in this pod; use 9000 (Seldon's component convention) or seldon.io/engine-separate-pod: "true"`);
            }
          }
        }
        for (const probe of PROBES) {
          const target = (c[probe] as Obj | undefined)?.httpGet?.port ?? (c[probe] as Obj | undefined)?.tcpSocket?.port ?? (c[probe] as Obj | undefined)?.grpc?.port;
          if (target === undefined) continue;
          if (typeof target === 'string' && !/^\d+$/.test(target)) {
            if (!named.has(target)) problems.push(`${at}: ${probe} names port ${JSON.stringify(target)}, which the container does not declare`);
            continue;
          }
          if (withExecutor && EXECUTOR_PORTS[Number(target)]) problems.push(`${at}: ${probe} probes port ${target}, ${EXECUTOR_PORTS[Number(target)]}`);
        }
      }
    }
  }
  return problems;
}

const seldonDeployments = (ms: Manifest[]) => ms.filter((m) => m.obj.kind === 'SeldonDeployment');

describe('SeldonDeployments and the executor in the same pod', () => {
  const found = seldonDeployments(loadManifests());

  it('finds the SeldonDeployments under k8s/', () => {
    expect(found.map((m) => m.file)).toContain('k8s/datasci/bandit/app/seldon/seldondeployment.yaml');
  });

  it.each(found.map((m) => [`${m.file}#${m.index}`, m] as const))('%s: no container in the executor pod uses 8000 or 5001; probes name declared ports', (_, m) => {
    expect(seldonPortProblems(m.obj as Obj, m.file)).toEqual([]);
  });

  it('the rule can fail: the router on 8000 (the defect), a probe on 8000, a probe naming a missing port', () => {
    const sd = structuredClone(found.find((m) => m.file.endsWith('seldon/seldondeployment.yaml'))?.obj) as Obj;
    const router = sd.spec.predictors[0].componentSpecs[0].spec.containers[0] as Obj;
    router.ports.find((p: Obj) => p.name === 'http').containerPort = 8000;
    router.livenessProbe.httpGet.port = 8000;
    router.readinessProbe.httpGet.port = 'web';
    const problems = seldonPortProblems(sd);
    expect(problems).toEqual([
      expect.stringContaining("container bandit-router: containerPort 8000 is the executor's REST port in this pod"),
      expect.stringContaining("livenessProbe probes port 8000, the executor's REST port"),
      expect.stringContaining('readinessProbe names port "web", which the container does not declare'),
    ]);
    // the same graph with the executor in its own pod may use 8000
    sd.spec.predictors[0].annotations = { 'seldon.io/engine-separate-pod': 'true' };
    expect(seldonPortProblems(sd)).toEqual([expect.stringContaining('readinessProbe names port "web"')]);
  });

  it("Seldon's own case-study graph (no ports declared: the operator assigns 9000+) passes", () => {
    // components/routers/case_study/assets/ts_deployment.json of Seldon Core v1.17.1, in short
    const seldonTs = {
      metadata: { name: 'ts-deployment' },
      spec: {
        predictors: [
          {
            name: 'ts-2',
            componentSpecs: [{ spec: { containers: [{ name: 'rf-model' }, { name: 'xgb-model' }, { name: 'ts-router' }] } }],
            graph: { name: 'ts-router', type: 'ROUTER', children: [{ name: 'rf-model' }, { name: 'xgb-model' }] },
          },
        ],
      },
    };
    expect(seldonPortProblems(seldonTs)).toEqual([]);
  });
});
