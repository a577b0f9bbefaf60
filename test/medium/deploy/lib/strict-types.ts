/**
 * Unknown-field check for the kinds kubernetes-models types: each manifest becomes an
 * object literal annotated with its kind's TypeScript interface, and the compiler's
 * excess-property check reports any field the kind does not define (a misspelt
 * `readinesProbe` passes schema validation, which, like the API server, ignores unknown
 * fields, but it is a field Kubernetes silently drops).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../../support/env';

/** `apiVersion/kind` → [module, interface]. */
export const TYPED_KINDS: Record<string, [string, string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1', 'IConfigMap'],
  'v1/Secret': ['kubernetes-models/v1', 'ISecret'],
  'v1/Service': ['kubernetes-models/v1', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1', 'IServiceAccount'],
  'v1/PersistentVolumeClaim': ['kubernetes-models/v1', 'IPersistentVolumeClaim'],
  'v1/PodSpec': ['kubernetes-models/v1', 'IPodSpec'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1', 'IDeployment'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['kubernetes-models/autoscaling/v2', 'IHorizontalPodAutoscaler'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1', 'IPodDisruptionBudget'],
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': ['@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1', 'IKustomization'],
  'source.toolkit.fluxcd.io/v1/GitRepository': ['@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1', 'IGitRepository'],
};

export interface TypedValue {
  label: string;
  kind: string; // a key of TYPED_KINDS
  value: unknown;
}

/** Type errors per label (empty when every value fits its kind exactly). */
export function strictTypeErrors(values: TypedValue[]): string[] {
  // inside the repository, so that node16 resolution finds node_modules
  const dir = path.join(REPO_ROOT, 'test-artifacts', 'deploy-typecheck');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `manifests-${process.pid}.ts`);
  const imports = new Map<string, Set<string>>();
  const lines: string[] = [];
  const spans: Array<{ from: number; to: number; label: string }> = [];
  values.forEach((v, i) => {
    const [mod, type] = TYPED_KINDS[v.kind];
    imports.set(mod, (imports.get(mod) ?? new Set()).add(type));
    const body = JSON.stringify(v.value, null, 1).split('\n');
    spans.push({ from: lines.length, to: lines.length + body.length, label: v.label });
    lines.push(`export const m${i}: ${type} = ${body[0]}`, ...body.slice(1));
    lines[lines.length - 1] += ';';
  });
  const head = [...imports].map(([mod, types]) => `import type { ${[...types].join(', ')} } from '${mod}';`);
  fs.writeFileSync(file, [...head, ...lines].join('\n') + '\n');
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return text;
      const line = d.file.getLineAndCharacterOfPosition(d.start).line - head.length;
      const span = spans.find((s) => line >= s.from && line < s.to);
      return `${span?.label ?? `line ${line}`}: ${text.split('\n').slice(-1)[0]}`;
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}
