/**
 * The exact kernel sum density(x) = sum over all y (x included) of k(x, y), with the kernel the
 * RACE sketch estimates: its LSH collision probability. O(n^2 * dim): for small shards and as the
 * reference the sketch is tested against.
 */
import { throwIfAborted } from '../errors';
import { validateRaceParams, type RaceParams } from './race';

/**
 * Probability that one sketch row's K sign bits agree for x and y: (1 - angle(x, y)/pi)^K.
 * Ignores the extra collisions from hashing codes into B buckets when 2^K > B.
 */
export function collisionProbability(hashesPerRow: number, dot: number, normSqX: number, normSqY: number): number {
  // A zero vector (an empty row) projects to 0 everywhere, which every sign bit reads as "+":
  // identical to another zero vector, and at a right angle (independent bits) to anything else.
  let cosine: number;
  if (normSqX === 0 || normSqY === 0) cosine = normSqX === normSqY ? 1 : 0;
  else cosine = Math.max(-1, Math.min(1, dot / Math.sqrt(normSqX * normSqY)));
  return (1 - Math.acos(cosine) / Math.PI) ** hashesPerRow;
}

/** Exact kernel-sum density of each of the n vectors (rows x dim, row-major), O(n^2 dim). */
export function exactDensity(vectors: Float32Array, n: number, params: RaceParams, signal?: AbortSignal): Float64Array {
  validateRaceParams(params);
  const dim = params.dim;
  if (vectors.length < n * dim) throw new RangeError(`exactDensity: ${n} vectors of dim ${dim} need ${n * dim} values, got ${vectors.length}`);
  const normSq = new Float64Array(n);
  for (let i = 0; i < n; i++) normSq[i] = dotAt(vectors, i * dim, vectors, i * dim, dim);
  const density = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) throwIfAborted(signal);
    density[i] += 1; // k(x, x) = 1
    for (let j = i + 1; j < n; j++) {
      const k = collisionProbability(params.hashesPerRow, dotAt(vectors, i * dim, vectors, j * dim, dim), normSq[i], normSq[j]);
      density[i] += k;
      density[j] += k;
    }
  }
  return density;
}

export function dotAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[aOffset + j] * b[bOffset + j];
  return s;
}
