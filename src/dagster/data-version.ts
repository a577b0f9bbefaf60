/**
 * Data versions and provenance of a materialization, in Dagster's tags: what its staleness
 * checks read. An asset that reports its own data version (ingest_obp: a hash of the ingested
 * files) is tagged as user-provided; the others get Dagster's logical version — SHA-256 over the
 * code version and the data versions of their inputs — and every materialization names the data
 * version and the event (storage id) of each input it read.
 */
import { createHash } from 'node:crypto';

/** Dagster's version of an input never materialized, and the pointer to no event. */
export const DEFAULT_DATA_VERSION = 'INITIAL';
export const NULL_EVENT_POINTER = 'NULL';

export interface InputProvenance {
  /** The input asset's user string (its key path joined by `/`). */
  asset: string;
  dataVersion: string | null;
  storageId: number | null;
}

/** `compute_logical_data_version`: SHA-256 of the code version then the inputs' versions, inputs sorted by key. */
export function logicalDataVersion(codeVersion: string, inputs: readonly InputProvenance[]): string {
  const ordered = [...inputs].sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  return createHash('sha256')
    .update([codeVersion, ...ordered.map((i) => i.dataVersion ?? DEFAULT_DATA_VERSION)].join(''), 'utf8')
    .digest('hex');
}

/** The tags Dagster writes on a materialization: code version, each input's version and event, the data version. */
export function dataVersionTags(codeVersion: string, userDataVersion: string | undefined, inputs: readonly InputProvenance[]): Record<string, string> {
  const tags: Record<string, string> = { 'dagster/code_version': codeVersion };
  for (const i of inputs) {
    tags[`dagster/input_data_version/${i.asset}`] = i.dataVersion ?? DEFAULT_DATA_VERSION;
    tags[`dagster/input_event_pointer/${i.asset}`] = i.storageId ? String(i.storageId) : NULL_EVENT_POINTER;
  }
  tags['dagster/data_version'] = userDataVersion ?? logicalDataVersion(codeVersion, inputs);
  if (userDataVersion !== undefined) tags['dagster/data_version_is_user_provided'] = 'true';
  return tags;
}
