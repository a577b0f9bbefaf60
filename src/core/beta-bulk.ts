/**
 * Bulk Beta(α, β) sampling into a Float64Array: the same variates, in the same order, as
 * calling `makeBetaSampler(α, β)` once per element with the same generator — bit for bit
 * (tested in beta-bulk.spec.ts) — but in one loop with the xoshiro128** state in local
 * variables and the hot paths inlined: the ziggurat's first test (98.8% of normals),
 * and Marsaglia–Tsang's squeeze, for α, β ≥ 1. The rare paths (ziggurat wedge and tail)
 * write the state back, call the per-draw code and reload it. Other shapes and generators
 * other than `createRng`'s use the per-draw sampler in a loop (same output). For α, β < 1
 * (Jöhnk: two powers of uniforms per attempt) the loop calls the generator's methods,
 * which V8 inlines: keeping that state in locals measured no faster (Math.pow dominates).
 *
 * Use it wherever many draws of one distribution are made (Monte Carlo P(best), value
 * remaining, policy simulation); `makeBetaSampler` stays the way to draw one at a time.
 *
 * Complexity: O(n) expected.
 *
 * @example
 *   const out = sampleBetaInto(createRng(1), 12, 988, new Float64Array(100_000));
 */
import { makeBetaSampler } from './beta-sampler';
import { normalSlowPath, ZIGGURAT_K, ZIGGURAT_W } from './normal';
import { Xoshiro128, type Rng } from './rng';
import { assertBetaParams } from './validate';

/** Draws per arm per bulk call where callers interleave arms (Monte Carlo P(best), policy simulation): bounded memory, long loops. */
export const BULK_CHUNK = 4096;

const TWO_POW_M32 = 1 / 4294967296;

/** Fills `out` with Beta(alpha, beta) variates (bit-identical to `makeBetaSampler`) and returns it. */
export function sampleBetaInto(rng: Rng, alpha: number, beta: number, out: Float64Array): Float64Array {
  assertBetaParams(alpha, beta);
  if (rng instanceof Xoshiro128 && alpha >= 1 && beta >= 1) return gammaRatioBulk(rng, alpha, beta, out);
  if (rng instanceof Xoshiro128 && alpha < 1 && beta < 1) return johnkBulk(rng, alpha, beta, out);
  const draw = makeBetaSampler(alpha, beta);
  for (let i = 0; i < out.length; i++) out[i] = draw(rng);
  return out;
}

/** X/(X + Y), X ~ Gamma(α), Y ~ Gamma(β) by Marsaglia–Tsang, α, β ≥ 1. */
function gammaRatioBulk(rng: Xoshiro128, alpha: number, beta: number, out: Float64Array): Float64Array {
  const da = alpha - 1 / 3;
  const ca = 1 / Math.sqrt(9 * da);
  const db = beta - 1 / 3;
  const cb = 1 / Math.sqrt(9 * db);
  const K = ZIGGURAT_K;
  const W = ZIGGURAT_W;
  const st = new Int32Array(4);
  rng.readState(st);
  let s0 = st[0];
  let s1 = st[1];
  let s2 = st[2];
  let s3 = st[3];
  const n = out.length;
  let x = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      const d = k === 0 ? da : db;
      const c = k === 0 ? ca : cb;
      let g: number;
      for (;;) {
        let z: number;
        let v: number;
        do {
          // xoshiro128** step (rng.ts), inlined
          const m = Math.imul(s1, 5);
          const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
          const t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = (s3 << 11) | (s3 >>> 21);
          const layer = r & 127;
          const j = r >>> 8;
          if (j < K[layer]) z = r & 128 ? -j * W[layer] : j * W[layer];
          else {
            st[0] = s0;
            st[1] = s1;
            st[2] = s2;
            st[3] = s3;
            rng.writeState(st);
            z = normalSlowPath(rng, r);
            rng.readState(st);
            s0 = st[0];
            s1 = st[1];
            s2 = st[2];
            s3 = st[3];
          }
          v = 1 + c * z;
        } while (v <= 0);
        v = v * v * v;
        const m2 = Math.imul(s1, 5);
        const u = (Math.imul((m2 << 7) | (m2 >>> 25), 9) >>> 0) * TWO_POW_M32;
        const t2 = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t2;
        s3 = (s3 << 11) | (s3 >>> 21);
        const z2 = z * z;
        if (u < 1 - 0.0331 * z2 * z2 || Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) {
          g = d * v;
          break;
        }
      }
      if (k === 0) x = g;
      else out[i] = x / (x + g);
    }
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
  rng.writeState(st);
  return out;
}

/** Jöhnk's algorithm for α, β < 1 (as in beta-sampler.ts) in one loop; the generator's methods inline here. */
function johnkBulk(rng: Xoshiro128, alpha: number, beta: number, out: Float64Array): Float64Array {
  const ia = 1 / alpha;
  const ib = 1 / beta;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    for (;;) {
      const u = rng.nextFloat();
      const v = rng.nextFloat();
      const x = Math.pow(u, ia);
      const y = Math.pow(v, ib);
      const s = x + y;
      if (s > 1) continue;
      if (s > 0) {
        out[i] = x / s;
        break;
      }
      const lx = Math.log(u) * ia;
      const ly = Math.log(v) * ib;
      if (!(lx > -Infinity) && !(ly > -Infinity)) continue; // u = v = 0
      const t = ly - lx;
      out[i] = t > 0 ? Math.exp(-t) / (1 + Math.exp(-t)) : 1 / (1 + Math.exp(t));
      break;
    }
  }
  return out;
}
