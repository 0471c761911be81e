/**
 * Counter-based seeded randomness for samplers. A row's uniform draw is a pure function of
 * (seed, step, row): it does not depend on which other rows are present or on the order rows are
 * visited, and it is identical on every machine (32-bit integer arithmetic only).
 */

/** A bijective 32-bit mixer (xorshift-multiply rounds; constants from Wellons' hash-prospector search). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;

/** The uniform draws of one sampler step under one seed. */
export class RowUniform {
  private readonly key1: number;
  private readonly key2: number;

  /** `seed`: a safe integer >= 0 (all 53 bits are used); `step`: the step's 0-based position in the spec. */
  constructor(seed: number, step: number) {
    const seedKey = mix32(mix32(Math.floor(seed / TWO_POW_32) ^ 0x3c6ef372) ^ (seed >>> 0));
    this.key1 = mix32(seedKey ^ mix32((step + 0x9e3779b9) >>> 0));
    this.key2 = mix32(this.key1 ^ 0x85ebca6b);
  }

  /**
   * A uniform draw in (0, 1) with 52 random bits for row `row` (0 <= row < 2^32). The top 32 bits are
   * a bijection of the row, so two rows never draw the same value.
   */
  at(row: number): number {
    const high = mix32((mix32((row ^ this.key1) >>> 0) + this.key2) >>> 0);
    const low = mix32(high ^ this.key2) >>> 12;
    return (high * 1048576 + low + 0.5) / TWO_POW_52;
  }
}
