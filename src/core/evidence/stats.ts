/**
 * The few statistics the gates and the canary judge by: Student's t and the normal distribution,
 * Pearson correlation with its t-test, the Mann–Whitney U test, and a seeded paired bootstrap of a
 * Sharpe-ratio difference. Checked against scipy's values in test/unit/stats.test.ts.
 */

/** ln Γ(x) by the Lanczos approximation (g = 7, 9 terms), accurate to ~1e-15 for x > 0. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i += 1) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the regularized incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function studentTUpperTail(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Φ(z), the standard normal CDF (erfc by a Chebyshev fit, |error| < 1.2e-7 relative). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

export interface CorrelationTest {
  /** Pearson's r. */
  r: number;
  n: number;
  /** r·√((n−2)/(1−r²)). */
  t: number;
  /** One-sided p-value of r > 0 (Student's t, n − 2 degrees of freedom). */
  p_positive: number;
}

/** Pearson correlation of paired samples and its one-sided t-test for a positive correlation. */
export function correlationTest(xs: ArrayLike<number>, ys: ArrayLike<number>): CorrelationTest {
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i += 1) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return correlationFromSums(n, sxx, syy, sxy);
}

/**
 * The end of correlationTest, from the centred sums of squares and products (Σdx², Σdy², Σdx·dy)
 * of n pairs: for callers that stream the pairs instead of holding them.
 */
export function correlationFromSums(n: number, sxx: number, syy: number, sxy: number): CorrelationTest {
  if (n < 3 || sxx <= 1e-18 || syy <= 1e-18) return { r: 0, n, t: 0, p_positive: 1 };
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  const t = Math.abs(r) >= 1 ? Math.sign(r) * Infinity : r * Math.sqrt((n - 2) / (1 - r * r));
  const p = t === Infinity ? 0 : t === -Infinity ? 1 : studentTUpperTail(t, n - 2);
  return { r, n, t, p_positive: p };
}

export interface MannWhitney {
  /** U of the first sample (the candidate). */
  u: number;
  n1: number;
  n2: number;
  /** Normal approximation with tie and continuity corrections. */
  z: number;
  /** One-sided p-value that the first sample tends to be smaller than the second. */
  p_less: number;
  p_two_sided: number;
}

/**
 * The Mann–Whitney U test of two samples (as scipy.stats.mannwhitneyu with method="asymptotic",
 * use_continuity=True): U of the first sample from mid-ranks, z with the tie correction.
 */
export function mannWhitneyU(first: ArrayLike<number>, second: ArrayLike<number>): MannWhitney {
  const n1 = first.length;
  const n2 = second.length;
  const all: { value: number; group: 0 | 1 }[] = [];
  for (let i = 0; i < n1; i += 1) all.push({ value: first[i], group: 0 });
  for (let i = 0; i < n2; i += 1) all.push({ value: second[i], group: 1 });
  all.sort((a, b) => a.value - b.value);
  const n = n1 + n2;
  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1].value === all[i].value) j += 1;
    const rank = (i + j + 2) / 2;
    const ties = j - i + 1;
    tieTerm += ties * ties * ties - ties;
    for (let k = i; k <= j; k += 1) if (all[k].group === 0) rankSum += rank;
    i = j + 1;
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (n1 === 0 || n2 === 0 || variance <= 0) return { u, n1, n2, z: 0, p_less: 1, p_two_sided: 1 };
  const sd = Math.sqrt(variance);
  // Continuity correction toward the mean, as scipy does.
  const zLess = (u - mean + 0.5) / sd;
  const zTwo = (Math.abs(u - mean) - 0.5) / sd;
  return { u, n1, n2, z: (u - mean) / sd, p_less: normalCdf(zLess), p_two_sided: Math.min(1, 2 * (1 - normalCdf(Math.max(0, zTwo)))) };
}

/** A small, seeded PRNG (mulberry32): the same seed gives the same bootstrap everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Annualized Sharpe ratio of per-bar returns (rf 0, sample standard deviation), 0 without variance. */
export function sharpeOf(returns: ArrayLike<number>, periodsPerYear: number, index?: ArrayLike<number>): number {
  const n = index ? index.length : returns.length;
  if (n < 2) return 0;
  let sum = 0;
  for (let i = 0; i < n; i += 1) sum += returns[index ? index[i] : i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i += 1) {
    const d = returns[index ? index[i] : i] - mean;
    squares += d * d;
  }
  const sd = Math.sqrt(squares / (n - 1));
  return sd > 1e-15 ? (mean / sd) * Math.sqrt(periodsPerYear) : 0;
}

export interface BootstrapInterval {
  estimate: number;
  low: number;
  high: number;
  confidence: number;
  resamples: number;
  seed: number;
}

/**
 * The difference of annualized Sharpe ratios (first − second) of two return series over the same
 * bars, with a percentile confidence interval from a paired bootstrap (bars resampled together).
 */
export function bootstrapSharpeDifference(first: ArrayLike<number>, second: ArrayLike<number>, periodsPerYear: number, options: { resamples?: number; confidence?: number; seed?: number } = {}): BootstrapInterval {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 20261130;
  const n = Math.min(first.length, second.length);
  const estimate = sharpeOf(first, periodsPerYear) - sharpeOf(second, periodsPerYear);
  if (n < 2) return { estimate, low: estimate, high: estimate, confidence, resamples: 0, seed };
  const random = seededRandom(seed);
  const index = new Int32Array(n);
  const differences = new Float64Array(resamples);
  for (let b = 0; b < resamples; b += 1) {
    for (let i = 0; i < n; i += 1) index[i] = Math.floor(random() * n);
    differences[b] = sharpeOf(first, periodsPerYear, index) - sharpeOf(second, periodsPerYear, index);
  }
  differences.sort();
  const alpha = (1 - confidence) / 2;
  const at = (q: number) => differences[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { estimate, low: at(alpha), high: at(1 - alpha), confidence, resamples, seed };
}
