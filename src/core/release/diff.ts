import type { SavedReport } from '../evidence/reports/store';
import { loadArquero } from '../shared/tables';
import type { PoolReader } from './store/types';
import type { StrategyRef } from './pool/schemas';
import { parseHashArgument } from '../shared/hashing';

/** One leaf of the payload that differs: its path (`signal.fast`, `universe[0]`) and both values (absent on one side when added or removed). */
export interface PayloadChange {
  path: string;
  change: 'changed' | 'added' | 'removed';
  a?: unknown;
  b?: unknown;
}

/** One metric of the two versions' newest reports of one kind and channel, and b − a. */
export interface MetricDelta {
  /** `precheck.quick`, `precheck.precise`, `canary.candidate`. */
  channel: string;
  metric: string;
  a: number;
  b: number;
  delta: number;
}

export interface VersionDiff {
  a: { manifest_hash: string; strategy: StrategyRef };
  b: { manifest_hash: string; strategy: StrategyRef };
  payload: PayloadChange[];
  /** The newest precheck of each (and canary, when both have one); empty when either has none. */
  metrics: MetricDelta[];
  /** The reports compared, per kind: [a's, b's] report hashes. */
  reports: { kind: string; a: string; b: string }[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Changed, added and removed leaves of two JSON documents, in path order. */
export function jsonDiff(a: unknown, b: unknown, path = ''): PayloadChange[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      if (!(key in b)) return [{ path: at, change: 'removed' as const, a: a[key] }];
      if (!(key in a)) return [{ path: at, change: 'added' as const, b: b[key] }];
      return jsonDiff(a[key], b[key], at);
    });
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const changes: PayloadChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
      const at = `${path}[${i}]`;
      if (i >= b.length) changes.push({ path: at, change: 'removed', a: a[i] });
      else if (i >= a.length) changes.push({ path: at, change: 'added', b: b[i] });
      else changes.push(...jsonDiff(a[i], b[i], at));
    }
    return changes;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: path || '(document)', change: 'changed', a, b }];
}

/** Each channel's metrics of a report, as long rows. */
function metricRows(saved: SavedReport): { channel: string; metric: string; value: number }[] {
  const { report } = saved;
  const channels: [string, Record<string, number>][] =
    report.kind === 'qraft.precheck'
      ? [
          ['precheck.quick', report.quick.metrics],
          ['precheck.precise', report.precise.metrics],
        ]
      : [['canary.candidate', report.candidate.metrics]];
  return channels.flatMap(([channel, metrics]) => Object.entries(metrics).map(([metric, value]) => ({ channel, metric, value })));
}

function newest(reports: readonly SavedReport[], kind: SavedReport['report']['kind']): SavedReport | undefined {
  return reports.filter((saved) => saved.report.kind === kind).reduce<SavedReport | undefined>((best, saved) => (!best || saved.report.created_at > best.report.created_at ? saved : best), undefined);
}

/**
 * The metric table of two sets of rows, joined on channel and metric with arquero (loaded on
 * first use): rows both sides have, with b − a, in the order of a's rows.
 */
export function metricDeltas(a: { channel: string; metric: string; value: number }[], b: { channel: string; metric: string; value: number }[]): MetricDelta[] {
  if (a.length === 0 || b.length === 0) return [];
  const aq = loadArquero();
  const left = aq.from(a.map((row, order) => ({ channel: row.channel, metric: row.metric, a: row.value, order })));
  const right = aq.from(b.map((row) => ({ channel: row.channel, metric: row.metric, b: row.value })));
  return left
    // on: [left keys, right keys]
    .join(right, [['channel', 'metric'], ['channel', 'metric']], [aq.all(), aq.not('channel', 'metric')])
    .derive({ delta: aq.escape((row: { a: number; b: number }) => row.b - row.a) })
    .orderby('order')
    .select('channel', 'metric', 'a', 'b', 'delta')
    .objects() as MetricDelta[];
}

/** `diff`: what changed in the payload from a to b, and how their newest evidence's metrics moved. */
export async function versionDiff(pool: PoolReader, hashA: string, hashB: string): Promise<VersionDiff> {
  const side = async (hash: string) => {
    const full = await pool.resolve(parseHashArgument(hash));
    return { hash: full, candidate: await pool.candidate(full), reports: (await pool.evidence(full)).reports };
  };
  const a = await side(hashA);
  const b = await side(hashB);
  const rowsA: ReturnType<typeof metricRows> = [];
  const rowsB: ReturnType<typeof metricRows> = [];
  const reports: VersionDiff['reports'] = [];
  for (const kind of ['qraft.precheck', 'qraft.canary'] as const) {
    const [ra, rb] = [newest(a.reports, kind), newest(b.reports, kind)];
    if (!ra || !rb) continue;
    rowsA.push(...metricRows(ra));
    rowsB.push(...metricRows(rb));
    reports.push({ kind, a: ra.report_hash, b: rb.report_hash });
  }
  return {
    a: { manifest_hash: a.hash, strategy: a.candidate.manifest.strategy },
    b: { manifest_hash: b.hash, strategy: b.candidate.manifest.strategy },
    payload: jsonDiff(a.candidate.payload, b.candidate.payload),
    metrics: metricDeltas(rowsA, rowsB),
    reports,
  };
}
