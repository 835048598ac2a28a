import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapSharpeDifference, correlationTest, incompleteBeta, mannWhitneyU, normalCdf, sharpeOf, studentTUpperTail } from '../../src/core/evidence/stats';
import { REPO_ROOT } from '../support/fixtures';

/** scipy's answers for the same inputs (scripts/reference/scipy_stats.py, `npm run reference:scipy`). */
const reference = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'reference', 'scipy-stats.json'), 'utf8'));

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1e-300, Math.abs(expected)) || Math.abs(actual - expected) < 1e-15, `${what}: ${actual} vs scipy ${expected}`);
}

describe('statistics against scipy', () => {
  it('Student t upper tail', () => {
    for (const { t, df, sf } of reference.t_sf) close(studentTUpperTail(t, df), sf, 1e-9, `t.sf(${t}, ${df})`);
  });
  it('the regularized incomplete beta function', () => {
    for (const { x, a, b, value } of reference.betainc) close(incompleteBeta(x, a, b), value, 1e-10, `betainc(${a}, ${b}, ${x})`);
  });
  it('the normal CDF', () => {
    for (const { z, cdf } of reference.norm_cdf) close(normalCdf(z), cdf, 2e-7, `norm.cdf(${z})`);
  });
  it('Pearson correlation and its one-sided p-value', () => {
    for (const { x, y, r, p_positive } of reference.pearson) {
      const test = correlationTest(x, y);
      close(test.r, r, 1e-12, 'r');
      close(test.p_positive, p_positive, 1e-8, `p (n=${x.length})`);
    }
  });
  it('Mann–Whitney U with ties, one- and two-sided', () => {
    for (const { a, b, u, p_less, p_two_sided } of reference.mannwhitney) {
      const test = mannWhitneyU(a, b);
      assert.equal(test.u, u);
      close(test.p_less, p_less, 1e-6, `p_less (n=${a.length},${b.length})`);
      close(test.p_two_sided, p_two_sided, 1e-6, 'p_two_sided');
    }
  });
  it('a hand-checked Mann–Whitney: 1,2,3 against 4,5,6 has U = 0', () => {
    assert.equal(mannWhitneyU([1, 2, 3], [4, 5, 6]).u, 0);
    assert.equal(mannWhitneyU([4, 5, 6], [1, 2, 3]).u, 9);
  });
  it('the bootstrap interval is seeded (the same twice), brackets its estimate, and separates a clear difference', () => {
    const a = Array.from({ length: 300 }, (_, i) => 0.002 + 0.01 * Math.sin(i * 1.7));
    const b = Array.from({ length: 300 }, (_, i) => -0.001 + 0.01 * Math.sin(i * 1.7 + 0.3));
    const first = bootstrapSharpeDifference(a, b, 252);
    assert.deepEqual(bootstrapSharpeDifference(a, b, 252), first);
    assert.ok(first.low <= first.estimate && first.estimate <= first.high);
    assert.ok(first.low > 0, `a clearly better series: interval ${first.low}..${first.high}`);
    close(first.estimate, sharpeOf(a, 252) - sharpeOf(b, 252), 1e-12, 'estimate');
    const same = bootstrapSharpeDifference(a, a, 252);
    assert.equal(same.low, 0);
    assert.equal(same.high, 0);
  });
});
