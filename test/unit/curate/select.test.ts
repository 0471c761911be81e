import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kthSmallest } from '../../../extension/core/curate/select';
import { seededRandom } from '../../fixtures/corpus';

test('kthSmallest matches a full sort on random, sorted, reversed, constant and duplicate-heavy inputs', () => {
  const random = seededRandom(5);
  const n = 5000;
  const shapes: Record<string, (i: number) => number> = {
    random: () => random(),
    sorted: (i) => i,
    reversed: (i) => n - i,
    constant: () => 7,
    fewValues: () => Math.floor(random() * 4),
    organPipe: (i) => Math.min(i, n - i),
    infinities: (i) => (i % 3 === 0 ? -Infinity : i % 3 === 1 ? Infinity : random() - 0.5),
  };
  for (const [name, value] of Object.entries(shapes)) {
    const values = Float64Array.from({ length: n }, (_, i) => value(i));
    const sorted = values.slice().sort();
    for (const k of [0, 1, 31, 32, 2500, 4321, n - 1]) assert.equal(kthSmallest(values.slice(), k), sorted[k], `${name} k=${k}`);
  }
  for (let k = 0; k < 40; k++) {
    const small = Float64Array.from({ length: 40 }, () => Math.round(random() * 10));
    assert.equal(kthSmallest(small.slice(), k), small.slice().sort()[k]);
  }
  assert.throws(() => kthSmallest(new Float64Array(3), 3), RangeError);
});
