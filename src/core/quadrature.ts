/**
 * Gauss–Legendre quadrature on [−1, 1] and its spectral integration matrix.
 *
 * `gaussLegendre(n)`: nodes tᵢ and weights wᵢ (Golub–Welsch would also do; here Newton
 * on Pₙ from Chebyshev starting values, as in Numerical Recipes `gauleg`), exact for
 * polynomials of degree 2n − 1.
 *
 * `integrationMatrix(nodes)`: S with Sᵢₘ = ∫_{−1}^{tᵢ} ℓₘ(t) dt, ℓₘ the Lagrange basis on
 * the nodes — so (S·f)ᵢ is the integral from −1 to tᵢ of the interpolating polynomial of
 * f: running integrals (distribution functions) at the quadrature nodes themselves, with
 * the same spectral accuracy as the quadrature. Built once: O(n⁴) at module load.
 *
 * @example
 *   const { nodes, weights } = gaussLegendre(16);
 */
export interface GaussLegendreRule {
  nodes: Float64Array;
  weights: Float64Array;
}

/** Nodes (ascending) and weights of the n-point Gauss–Legendre rule on [−1, 1]. */
export function gaussLegendre(n: number): GaussLegendreRule {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const m = Math.floor((n + 1) / 2);
  for (let i = 0; i < m; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) < 1e-15) break;
    }
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  return { nodes, weights };
}

/** Lagrange basis polynomial m on `nodes`, evaluated at t. */
function lagrange(nodes: Float64Array, m: number, t: number): number {
  let v = 1;
  for (let j = 0; j < nodes.length; j++) if (j !== m) v *= (t - nodes[j]) / (nodes[m] - nodes[j]);
  return v;
}

/** Row-major n×n matrix S, Sᵢₘ = ∫_{−1}^{nodes[i]} ℓₘ(t) dt (see the file comment). */
export function integrationMatrix(nodes: Float64Array, rule: GaussLegendreRule = gaussLegendre(nodes.length)): Float64Array {
  const n = nodes.length;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const half = (nodes[i] + 1) / 2;
    for (let m = 0; m < n; m++) {
      let acc = 0;
      for (let q = 0; q < n; q++) acc += rule.weights[q] * lagrange(nodes, m, -1 + half * (rule.nodes[q] + 1));
      s[i * n + m] = half * acc;
    }
  }
  return s;
}
