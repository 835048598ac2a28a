import { shortHash, strategyLabel } from '../shared/labels';
import { METRIC_NAMES, type Metrics } from '../backtest/metrics';
import type { CanaryReport, PrecheckReport, SymbolBreakdownRow } from './reports/schema';

/** Plain-text renderings of precheck and canary reports (CLI `--fmt text`, the log channel). */

const RATIO_METRICS = new Set<string>(['total_return', 'cagr', 'ann_vol', 'max_drawdown', 'exposure']);
/** Counts: round trips and orders filled. */
const COUNT_METRICS = new Set<string>(['trades', 'fills']);

export function formatMetric(name: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (RATIO_METRICS.has(name)) return `${(value * 100).toFixed(2)}%`;
  if (COUNT_METRICS.has(name)) return value.toFixed(0);
  if (name === 'fees') return value.toFixed(2);
  return value.toFixed(4);
}

function metricTable(columns: { title: string; metrics: Metrics | Record<string, number> }[]): string[] {
  const header = `  ${'metric'.padEnd(14)}${columns.map((column) => column.title.padStart(16)).join('')}`;
  const rows = METRIC_NAMES.map((name) => `  ${name.padEnd(14)}${columns.map((column) => formatMetric(name, column.metrics[name]).padStart(16)).join('')}`);
  return [header, ...rows];
}

/** Symbols listed in the text breakdown; a larger universe shows its largest contributions. */
export const TEXT_BREAKDOWN_ROWS = 10;

const signedPercent = (value: number) => `${value > 0 ? '+' : ''}${(value * 100).toFixed(2)}%`;

/**
 * The per-symbol breakdown, one compact line per symbol: contribution (per channel), then round
 * trips, fees, time in market and average gross exposure of the main channel.
 */
export function breakdownLines(main: { title: string; rows: SymbolBreakdownRow[] }, other?: { title: string; rows: SymbolBreakdownRow[] }): string[] {
  const otherBy = new Map((other?.rows ?? []).map((row) => [row.symbol, row]));
  let rows = main.rows;
  let more = '';
  if (rows.length > TEXT_BREAKDOWN_ROWS) {
    rows = [...rows].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, TEXT_BREAKDOWN_ROWS);
    more = `  … ${main.rows.length - rows.length} more symbols in the JSON report`;
  }
  const width = Math.max(8, ...rows.map((row) => row.symbol.length + 2));
  const header = `  ${'symbol'.padEnd(width)}${other ? `${other.title}`.padStart(12) : ''}${main.title.padStart(12)}${'trips'.padStart(8)}${'fees'.padStart(12)}${'in mkt'.padStart(9)}${'gross'.padStart(8)}`;
  const lines = rows.map((row) => {
    const quick = otherBy.get(row.symbol);
    return `  ${row.symbol.padEnd(width)}${other ? (quick ? signedPercent(quick.contribution) : '–').padStart(12) : ''}${signedPercent(row.contribution).padStart(12)}${String(row.round_trips).padStart(8)}${row.fees.toFixed(2).padStart(12)}${`${(row.exposure * 100).toFixed(1)}%`.padStart(9)}${row.gross_exposure.toFixed(2).padStart(8)}`;
  });
  return [`  by symbol: contribution to the total return; round trips, fees, time in market and mean gross exposure of ${main.title}`, header, ...lines, ...(more ? [more] : [])];
}

function engineLabel(summary: { engine: string; version: string; note?: string }): string {
  return `${summary.engine} ${summary.version}${summary.note ? ` (${summary.note})` : ''}`;
}

export function formatPrecheck(report: PrecheckReport, savedPath?: string): string {
  const lines = [
    `Precheck ${report.passed ? 'PASSED' : 'FAILED'}: ${strategyLabel(report.strategy)} (strategy ${shortHash(report.strategy_hash)})`,
    `  data     ${report.data.symbols.join(', ')}, ${report.data.bars} bars ${report.data.start.slice(0, 10)} .. ${report.data.end.slice(0, 10)}, fingerprint ${shortHash(report.data.fingerprint)}`,
    `  timing   ${report.timing}${report.timing === 'close' ? ' (fills at the signal bar\'s own close: assumes market-on-close orders)' : ''}`,
    `  quick    ${engineLabel(report.quick)}`,
    `  precise  ${engineLabel(report.precise)}`,
    ...(report.precise.fallback ? [`  WARNING  the precise channel fell back to the built-in engine: ${report.precise.fallback.message}`] : []),
    '',
    '  gate              result   value        threshold',
    ...report.gates.map(
      (gate) => `  ${gate.name.padEnd(18)}${(gate.passed ? 'pass' : 'FAIL').padEnd(9)}${gate.value.toPrecision(4).padEnd(13)}${gate.threshold.toPrecision(4).padEnd(11)}${gate.summary}`,
    ),
    '',
    ...metricTable([
      { title: 'quick', metrics: report.quick.metrics },
      { title: report.precise.engine, metrics: report.precise.metrics },
    ]),
    ...(report.precise.breakdown ? ['', ...breakdownLines({ title: report.precise.engine, rows: report.precise.breakdown }, report.quick.breakdown ? { title: 'quick', rows: report.quick.breakdown } : undefined)] : []),
    '',
    `  took ${(report.timings_ms.total / 1000).toFixed(2)} s${savedPath ? `; report saved to ${savedPath}` : ''}`,
  ];
  return lines.join('\n');
}

export function formatCanary(report: CanaryReport, savedPath?: string): string {
  const columns: { title: string; metrics: Metrics | Record<string, number> }[] = [{ title: 'candidate', metrics: report.candidate.metrics }];
  if (report.baseline) columns.push({ title: 'CURRENT', metrics: report.baseline.metrics });
  if (report.deltas) columns.push({ title: 'delta', metrics: report.deltas });
  const lines = [
    `Canary ${report.verdict.toUpperCase()}: ${strategyLabel(report.strategy)} (strategy ${shortHash(report.strategy_hash)})`,
    ...report.reasons.map((reason) => `  - ${reason}`),
    `  window   ${report.window.start.slice(0, 10)} .. ${report.window.end.slice(0, 10)} (${report.window.bars} bars), cash ${report.cash.toLocaleString('en-US')}`,
    `  baseline ${report.baseline ? `CURRENT ${strategyLabel(report.baseline.strategy)} (${shortHash(report.baseline.manifest_hash)})` : (report.baseline_note ?? 'none')}`,
    `  data     ${report.data.symbols.join(', ')}, fingerprint ${shortHash(report.data.fingerprint)}`,
    ...(typeof report.score === 'number' ? [`  score    ${report.score} of 100`] : []),
    ...(report.checks ?? []).map((check) => `  check    ${check.name.padEnd(21)}${(check.score === 1 ? 'pass' : check.score === 0 ? 'FAIL' : 'half').padEnd(6)}${check.detail}`),
    '',
    ...metricTable(columns),
    ...(report.candidate.breakdown ? ['', ...breakdownLines({ title: 'candidate', rows: report.candidate.breakdown })] : []),
    '',
    `  took ${(report.timings_ms.total / 1000).toFixed(2)} s${savedPath ? `; report saved to ${savedPath}` : ''}`,
  ];
  return lines.join('\n');
}
