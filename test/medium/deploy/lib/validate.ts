/**
 * One validator per kind the manifests use. Core kinds go through kubernetes-models (the
 * Kubernetes OpenAPI schemas), Flux kinds through @kubernetes-models/flux-cd, the
 * SeldonDeployment through the CRD schema; kinds no package models (ServiceMonitor,
 * ExternalSecret, the HelmRelease values patch, kustomize files) through strict zod
 * schemas of the fields used. A kind without a validator is an error, so no manifest
 * goes unchecked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Kustomization as FluxKustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { SELDON_SPECS_PATH } from '../../../support/env';
import { kindOf, Manifest } from './repo-files';

type Validator = (obj: Record<string, unknown>) => void;

const model =
  <T extends { validate(): void }>(Ctor: new (data: never) => T): Validator =>
  (obj) =>
    new Ctor(obj as never).validate();

const zodValidator =
  (schema: z.ZodType): Validator =>
  (obj) => {
    const r = schema.safeParse(obj);
    if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  };

const metadata = z.object({ name: z.string().min(1), namespace: z.string().min(1).optional(), labels: z.record(z.string(), z.string()).optional() }).strict();

const serviceMonitor = z
  .object({
    apiVersion: z.literal('monitoring.coreos.com/v1'),
    kind: z.literal('ServiceMonitor'),
    metadata,
    spec: z
      .object({
        selector: z.object({ matchLabels: z.record(z.string(), z.string()) }).strict(),
        namespaceSelector: z.object({ matchNames: z.array(z.string()).min(1) }).strict().optional(),
        endpoints: z
          .array(
            z
              .object({
                port: z.string().min(1),
                path: z.string().regex(/^\//),
                interval: z.string().regex(/^\d+[smh]$/).optional(),
                scrapeTimeout: z.string().regex(/^\d+[smh]$/).optional(),
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  })
  .strict();

const remoteRef = z.object({ key: z.string().min(1), property: z.string().optional() }).strict();
const externalSecret = z
  .object({
    apiVersion: z.literal('external-secrets.io/v1'),
    kind: z.literal('ExternalSecret'),
    metadata,
    spec: z
      .object({
        refreshInterval: z.string().regex(/^\d+[smh]$/),
        secretStoreRef: z.object({ kind: z.enum(['ClusterSecretStore', 'SecretStore']), name: z.string().min(1) }).strict(),
        target: z
          .object({
            name: z.string().min(1),
            creationPolicy: z.enum(['Owner', 'Orphan', 'Merge', 'None']).optional(),
            deletionPolicy: z.enum(['Delete', 'Merge', 'Retain']).optional(),
            template: z
              .object({
                engineVersion: z.literal('v2').optional(),
                type: z.string().optional(),
                data: z.record(z.string(), z.string().regex(/\{\{.*\}\}/, 'template values must be templates, not literals')),
              })
              .strict()
              .optional(),
          })
          .strict(),
        data: z.array(z.object({ secretKey: z.string().min(1), remoteRef }).strict()).optional(),
        dataFrom: z.array(z.object({ extract: remoteRef }).strict()).optional(),
      })
      .strict()
      .refine((s) => (s.data?.length ?? 0) + (s.dataFrom?.length ?? 0) > 0, 'needs data or dataFrom'),
  })
  .strict();

const workspaceServer = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), name: z.string().min(1) }).strict();
/** A values patch of a HelmRelease: only identity and spec.values. */
const helmReleasePatch = z
  .object({
    apiVersion: z.literal('helm.toolkit.fluxcd.io/v2'),
    kind: z.literal('HelmRelease'),
    metadata,
    spec: z
      .object({
        values: z
          .object({
            dagsterWebserver: z
              .object({ workspace: z.object({ enabled: z.literal(true), servers: z.array(workspaceServer).min(1) }).strict() })
              .strict(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

const patchEntry = z
  .object({
    path: z.string().min(1),
    target: z.object({ group: z.string().optional(), version: z.string().optional(), kind: z.string(), name: z.string().optional() }).strict().optional(),
  })
  .strict();
const kustomizeFile = z
  .object({
    apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
    kind: z.literal('Kustomization'),
    namespace: z.string().optional(),
    resources: z.array(z.string().min(1)).optional(),
    components: z.array(z.string().min(1)).optional(),
    patches: z.array(patchEntry).optional(),
  })
  .strict();
const kustomizeComponent = z
  .object({
    apiVersion: z.literal('kustomize.config.k8s.io/v1alpha1'),
    kind: z.literal('Component'),
    resources: z.array(z.string().min(1)).optional(),
    patches: z.array(patchEntry).optional(),
  })
  .strict();

let seldonValidator: Validator | undefined;
/** The SeldonDeployment v1 CRD schema in ../shared/specs/seldon (or BANDIT_SELDON_SPECS). */
export function seldonSchemaPath(): string {
  return path.join(SELDON_SPECS_PATH, 'seldondeployment-v1.openapi-schema.json');
}
function seldonDeployment(obj: Record<string, unknown>): void {
  if (!seldonValidator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // Kubernetes formats the JSON-schema vocabulary does not define
    for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'int-or-string']) ajv.addFormat(f, true);
    const check = ajv.compile(JSON.parse(fs.readFileSync(seldonSchemaPath(), 'utf8')) as object);
    seldonValidator = (o) => {
      if (!check(o)) throw new Error(ajv.errorsText(check.errors, { separator: '; ' }));
    };
  }
  seldonValidator(obj);
}

export const VALIDATORS: Record<string, Validator> = {
  'v1/ConfigMap': model(ConfigMap),
  'v1/Secret': model(Secret),
  'v1/Service': model(Service),
  'v1/ServiceAccount': model(ServiceAccount),
  'v1/PersistentVolumeClaim': model(PersistentVolumeClaim),
  'apps/v1/Deployment': model(Deployment),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': model(FluxKustomization),
  'source.toolkit.fluxcd.io/v1/GitRepository': model(GitRepository),
  'monitoring.coreos.com/v1/ServiceMonitor': zodValidator(serviceMonitor),
  'external-secrets.io/v1/ExternalSecret': zodValidator(externalSecret),
  'helm.toolkit.fluxcd.io/v2/HelmRelease': zodValidator(helmReleasePatch),
  'kustomize.config.k8s.io/v1beta1/Kustomization': zodValidator(kustomizeFile),
  'kustomize.config.k8s.io/v1alpha1/Component': zodValidator(kustomizeComponent),
  'machinelearning.seldon.io/v1/SeldonDeployment': seldonDeployment,
};

/** Validates one manifest; the error names the file, the document and the kind. */
export function validateManifest(m: Manifest): void {
  const kind = kindOf(m);
  const v = VALIDATORS[kind];
  if (!v) throw new Error(`${m.file}#${m.index}: no validator for ${kind}; add one to test/medium/deploy/lib/validate.ts`);
  try {
    v(m.obj);
  } catch (err) {
    throw new Error(`${m.file}#${m.index} (${kind}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
