/**
 * Key names of one experiment in Dragonfly / Redis. Every key of an experiment carries
 * the literal hash tag `{<exp_id>}`, so all of them live in one cluster slot and one
 * script can touch them together.
 *
 *   experiment:{id}:arm:<k>:alpha     posterior α of arm k (fixed name, read by other systems)
 *   experiment:{id}:arm:<k>:beta      posterior β of arm k (fixed name)
 *   experiment:{id}:arm:<k>:pulls     times arm k was served (its assignments; the key keeps its name)
 *   experiment:{id}:arm:<k>:rewards   sum of the rewards counted for arm k
 *   experiment:{id}:state             marker + status: "running" | "concluded:<winner|-1>" | "stopped";
 *                                     its absence means the experiment's state was lost → rebuild
 *   experiment:{id}:d:<token>         one outstanding / rewarded assignment (expires; its id is the decision_id)
 *   experiment:{id}:units             sticky assignments: unit id → "<arm>|<propensity>"
 *   experiment:{id}:open              assignments whose conversion window is open: key suffix → deadline (ms)
 *   experiment:{id}:fence             which queued events the live counters already count: f (stream
 *                                     id), m (event-store row id) — see lua/settle.lua
 *   experiment:{id}:events            stream of select / reward events awaiting the event store
 *   experiment:{id}:fb:<token>        one counted reward without a decision (a routed-arm feedback; expires)
 *   experiment:{id}:req:<sha256>      the assignment served for one request key (Seldon puid; expires)
 */
export const EXPERIMENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function experimentTag(experimentId: string): string {
  return `experiment:{${experimentId}}`;
}

export const keys = {
  alpha: (id: string, k: number) => `${experimentTag(id)}:arm:${k}:alpha`,
  beta: (id: string, k: number) => `${experimentTag(id)}:arm:${k}:beta`,
  pulls: (id: string, k: number) => `${experimentTag(id)}:arm:${k}:pulls`,
  rewards: (id: string, k: number) => `${experimentTag(id)}:arm:${k}:rewards`,
  state: (id: string) => `${experimentTag(id)}:state`,
  decision: (id: string, token: string) => `${experimentTag(id)}:d:${token}`,
  units: (id: string) => `${experimentTag(id)}:units`,
  events: (id: string) => `${experimentTag(id)}:events`,
  fence: (id: string) => `${experimentTag(id)}:fence`,
  armFeedback: (id: string, token: string) => `${experimentTag(id)}:fb:${token}`,
  open: (id: string) => `${experimentTag(id)}:open`,
  /** One decision per client request key (a Seldon puid), by its SHA-256 (any string, fixed length). */
  request: (id: string, keyHash: string) => `${experimentTag(id)}:req:${keyHash}`,
};

/** One client's request count of one minute (the shared rate limit; hash tag: the client, so its two buckets share a slot). */
export function rateKey(client: string, window: number): string {
  return `ratelimit:{${client}}:${window}`;
}

/** Every α key then every β key of the experiment, the order `readPosteriors` uses. */
export function posteriorKeys(id: string, armCount: number): string[] {
  const out: string[] = [keys.state(id)];
  for (let k = 0; k < armCount; k++) out.push(keys.alpha(id, k), keys.beta(id, k));
  return out;
}
