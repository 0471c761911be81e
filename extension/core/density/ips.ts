/**
 * Inverse-propensity (IPS) weights: proportional to 1/density(x), normalised to sum 1 over the
 * rows given, so ipsWeight[i] is row i's selection probability for a one-row draw.
 *
 * The paper's text and theorem (1/density yields a uniform sample over the embedding space) are
 * followed here; its printed Algorithm 2 ("p = S / sum S") has the ratio inverted.
 */
export function ipsWeights(density: Float64Array): Float64Array {
  const weights = new Float64Array(density.length);
  let sum = 0;
  for (let i = 0; i < density.length; i++) {
    const d = density[i];
    // Every row counts itself, so a density below 1 (or NaN) means a broken input, not a rare row.
    if (!(d >= 1)) throw new RangeError(`IPS weights: density of row index ${i} is ${d}; densities are >= 1`);
    weights[i] = 1 / d;
    sum += weights[i];
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}
