/**
 * Finds plaintext secrets in manifests and other deployment files. A secret may only
 * arrive by reference (secretKeyRef / secretRef / an ExternalSecret) or SOPS-encrypted.
 */
import type { Manifest } from './repo-files';

/** Env var / ConfigMap key names that hold credentials. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|ACCESS_KEY|PRIVATE_KEY|API_KEY|CREDENTIAL|DATABASE_URL|REDIS_URL|DSN)/i;

/** Text that is a credential wherever it appears. */
const SECRET_TEXT: Array<[RegExp, string]> = [
  [/[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"{}]+:[^\s/@'"{}]+@/i, 'a URL with a password in it'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, 'a GitHub token'],
  [/\bxox[abpr]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
];

export interface Finding {
  where: string;
  what: string;
}

/** A SOPS-encrypted document: every string value of data/stringData is ENC[…]. */
function isSopsEncrypted(obj: Record<string, unknown>): boolean {
  if (typeof obj.sops !== 'object' || obj.sops === null) return false;
  const values = [obj.data, obj.stringData].flatMap((d) => (d && typeof d === 'object' ? Object.values(d) : []));
  return values.every((v) => typeof v === 'string' && v.startsWith('ENC['));
}

function visit(value: unknown, at: string, out: Finding[], where: string): void {
  if (typeof value === 'string') {
    for (const [re, what] of SECRET_TEXT) if (re.test(value)) out.push({ where: `${where} ${at}`, what });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => visit(v, `${at}[${i}]`, out, where));
    return;
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // a container env entry: {name, value} with a credential-like name and a literal value
    if (typeof o.name === 'string' && 'value' in o && SECRET_NAME.test(o.name) && o.value !== '' && o.value !== undefined) {
      out.push({ where: `${where} ${at}`, what: `env ${o.name} has a literal value; use valueFrom.secretKeyRef` });
    }
    for (const [k, v] of Object.entries(o)) visit(v, at ? `${at}.${k}` : k, out, where);
  }
}

export function findPlaintextSecrets(manifests: Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const m of manifests) {
    const where = `${m.file}#${m.index}`;
    const { kind, data, stringData } = m.obj as { kind?: string; data?: Record<string, unknown>; stringData?: Record<string, unknown> };
    if (kind === 'Secret' && (data || stringData) && !isSopsEncrypted(m.obj)) {
      out.push({ where, what: 'a Secret with data in the clear (use an ExternalSecret or SOPS)' });
    }
    if (kind === 'ConfigMap' && data) {
      for (const k of Object.keys(data)) if (SECRET_NAME.test(k)) out.push({ where: `${where} data.${k}`, what: 'a credential-like key in a ConfigMap' });
    }
    visit(m.obj, '', out, where);
  }
  return out;
}

/** The same text rules over a non-YAML file (Dockerfile, workflow). */
export function findSecretText(file: string, text: string): Finding[] {
  const out: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [re, what] of SECRET_TEXT) if (re.test(line)) out.push({ where: `${file}:${i + 1}`, what });
    const env = /^\s*(?:ENV|ARG)\s+([A-Z0-9_]+)[= ]\s*(\S+)/.exec(line);
    if (env && SECRET_NAME.test(env[1])) out.push({ where: `${file}:${i + 1}`, what: `${env[1]} set in the image` });
  });
  return out;
}
