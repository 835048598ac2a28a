// The weights file's long → wide pivot moved to arquero (issue 15); it must give exactly what the
// hand-written forward fill gave (kept below as the reference), on random files full of the edge
// cases: several rows of one symbol on one bar, rows between bars, before the first and after the
// last bar, zero weights, symbols never given, and windows cut short.
import { strict as assert } from 'node:assert';
import { firstIndexAtOrAfter } from '../../src/core/backtest/data/timeIndex';
import { type WeightsEntry, pivotWeights } from '../../src/core/backtest/signals/weightsFile';
import { seededRandom } from '../support/frames';

/** The pivot as weightsFile.ts did it before arquero. */
function handPivot(given: readonly WeightsEntry[], times: Float64Array, symbols: number): Float64Array[] {
  const bars = times.length;
  const entries = [...given].sort((a, b) => a.time - b.time || a.line - b.line);
  const weights = Array.from({ length: symbols }, () => new Float64Array(bars));
  const current = new Float64Array(symbols);
  const since = new Int32Array(symbols);
  for (const entry of entries) {
    const bar = firstIndexAtOrAfter(times, entry.time);
    if (bar >= bars) break;
    const s = entry.symbol;
    weights[s].fill(current[s], since[s], bar);
    current[s] = entry.weight;
    since[s] = bar;
  }
  weights.forEach((column, s) => column.fill(current[s], since[s], bars));
  return weights;
}

const DAY = 86_400_000;

describe('weights file pivot (arquero)', () => {
  it('equals the hand-written forward fill on random files, whole and cut short', () => {
    const random = seededRandom(21);
    for (let trial = 0; trial < 40; trial += 1) {
      const bars = 5 + Math.floor(random() * 200);
      const symbols = 1 + Math.floor(random() * 6);
      // Some calendars skip days (weekends), so rows fall between bars.
      const times = new Float64Array(bars);
      for (let bar = 0, t = Date.UTC(2024, 0, 1); bar < bars; bar += 1, t += DAY * (random() < 0.2 ? 3 : 1)) times[bar] = t;
      const span = times[bars - 1] - times[0];
      const count = Math.floor(random() * 3 * bars);
      const entries: WeightsEntry[] = [];
      for (let line = 2; line < count + 2; line += 1) {
        const time = times[0] - 5 * DAY + Math.floor(random() * (span + 10 * DAY) / (DAY / 4)) * (DAY / 4);
        // Only the symbols below `symbols - 1`: the last one is never given.
        const symbol = Math.floor(random() * Math.max(1, symbols - 1));
        const weight = random() < 0.15 ? 0 : Number((random() * 4 - 2).toFixed(3));
        entries.push({ time, symbol, weight, line });
      }
      // The parser's order is the file's; shuffle so the sort is exercised.
      for (let i = entries.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [entries[i], entries[j]] = [entries[j], entries[i]];
      }
      for (const cut of [bars, Math.max(1, Math.floor(bars / 3)), 1]) {
        const window = times.subarray(0, cut);
        const expected = handPivot(entries, window, symbols);
        const actual = pivotWeights(entries, window, symbols);
        assert.equal(actual.length, symbols);
        actual.forEach((column, s) => assert.deepEqual(Array.from(column), Array.from(expected[s]), `trial ${trial}, cut ${cut}, symbol ${s}`));
      }
    }
  });

  it('an empty file gives zeros', () => {
    const times = Float64Array.from([0, DAY, 2 * DAY]);
    assert.deepEqual(pivotWeights([], times, 2).map((column) => Array.from(column)), [[0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(pivotWeights([{ time: 9 * DAY, symbol: 0, weight: 1, line: 2 }], times, 1).map((column) => Array.from(column)), [[0, 0, 0]]);
  });
});
