/**
 * Object keys of the pipeline's layers (inside the configured bucket):
 *   raw/obp/<behavior>/<campaign>/<file>.csv           bronze: the files as received
 *   silver/obp/<behavior>/<campaign>/logs.parquet      silver: typed, validated, time-ordered
 *   silver/obp/<behavior>/<campaign>/item_context.parquet
 *   silver/obp/<behavior>/<campaign>/manifest.json     written last; rows, clicks, items, sha256
 *   silver/obp/manifest.json                           what the last ingest holds
 *   silver/replay/<campaign>/result.json               replay curves and posteriors
 *   silver/ope/<campaign>/estimates.json               OPE estimates with intervals
 *   silver/ope/table.md                                the paper's protocol table
 *   silver/conclude/verdicts.json                      the last conclude's verdicts
 */
export const BEHAVIORS = ['random', 'bts'] as const;
export type Behavior = (typeof BEHAVIORS)[number];
export const CAMPAIGNS = ['all', 'men', 'women'] as const;
export type Campaign = (typeof CAMPAIGNS)[number];

export const keys = {
  raw: (b: Behavior, c: string, file: string) => `raw/obp/${b}/${c}/${file}`,
  silverDir: (b: Behavior, c: string) => `silver/obp/${b}/${c}/`,
  logs: (b: Behavior, c: string) => `silver/obp/${b}/${c}/logs.parquet`,
  itemContext: (b: Behavior, c: string) => `silver/obp/${b}/${c}/item_context.parquet`,
  manifest: (b: Behavior, c: string) => `silver/obp/${b}/${c}/manifest.json`,
  ingestManifest: () => 'silver/obp/manifest.json',
  replay: (c: string) => `silver/replay/${c}/result.json`,
  replayManifest: () => 'silver/replay/manifest.json',
  ope: (c: string) => `silver/ope/${c}/estimates.json`,
  opeTable: () => 'silver/ope/table.md',
  opeManifest: () => 'silver/ope/manifest.json',
  verdicts: () => 'silver/conclude/verdicts.json',
};
