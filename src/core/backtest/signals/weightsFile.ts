import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { InputError, fsInputError } from '../../shared/errors';
import { parseIso } from '../../shared/time';
import type { Strategy } from '../strategy/schema';
import { changeFlags } from './rebalance';
import type { SignalContext, TargetWeights } from './types';
import { firstIndexAtOrAfter } from '../data/timeIndex';
import { loadArquero } from '../../shared/tables';

/** Largest |weight| a weights file may give one symbol. */
export const MAX_FILE_WEIGHT = 10;

const COLUMNS = ['date', 'symbol', 'weight'] as const;
type Column = (typeof COLUMNS)[number];

export interface WeightsEntry {
  time: number;
  symbol: number;
  weight: number;
  line: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function cellText(raw: string): string {
  const text = raw.trim();
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/""/g, '"').trim() : text;
}

/** Parses and validates the CSV (long format) into entries; every error names file, line and column. */
export function parseWeightsCsv(text: string, path: string, universe: readonly string[], allowShort: boolean): WeightsEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const header = lines[0].split(',').map((cell) => cellText(cell).toLowerCase());
  const position = new Map<Column, number>();
  header.forEach((name, index) => {
    if ((COLUMNS as readonly string[]).includes(name) && !position.has(name as Column)) position.set(name as Column, index);
  });
  if (header.length !== COLUMNS.length || position.size !== COLUMNS.length) {
    // Never quote the line: the file may not be what it claims to be (a secret, say).
    throw new InputError(`${path} line 1: the header must name exactly the columns date,symbol,weight.`);
  }
  const column = (name: Column) => position.get(name) as number;
  const where = (line: number, name: Column) => `${path} line ${line}, column ${column(name) + 1} (${name})`;
  const symbolIndex = new Map(universe.map((symbol, index) => [symbol, index]));
  const seen = new Map<string, number>();
  const entries: WeightsEntry[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const raw = lines[index];
    if (raw.trim() === '') continue;
    const line = index + 1;
    const cells = raw.split(',').map(cellText);
    if (cells.length !== COLUMNS.length) {
      throw new InputError(`${path} line ${line}: expected 3 comma-separated fields (date, symbol, weight), found ${cells.length}.`);
    }
    const dateText = cells[column('date')];
    const time = parseIso(dateText);
    if (Number.isNaN(time)) throw new InputError(`${where(line, 'date')}: not a date (YYYY-MM-DD or an ISO timestamp).`);
    const symbolText = cells[column('symbol')];
    const symbol = symbolIndex.get(symbolText);
    if (symbol === undefined) {
      throw new InputError(`${where(line, 'symbol')}: ${symbolText === '' ? 'the symbol is empty' : "not a symbol of the strategy's universe"} (${universe.join(', ')}).`);
    }
    const weightText = cells[column('weight')];
    const weight = NUMBER.test(weightText) ? Number(weightText) : NaN;
    if (!Number.isFinite(weight)) throw new InputError(`${where(line, 'weight')}: not a number.`);
    if (Math.abs(weight) > MAX_FILE_WEIGHT) throw new InputError(`${where(line, 'weight')}: beyond ±${MAX_FILE_WEIGHT}, the largest weight one symbol may have.`);
    if (weight < 0 && !allowShort) throw new InputError(`${where(line, 'weight')}: a short position, but sizing.allow_short is false.`);
    const key = `${time}\u0000${symbol}`;
    const first = seen.get(key);
    if (first !== undefined) throw new InputError(`${where(line, 'date')}: this symbol and date are already given on line ${first}.`);
    seen.set(key, line);
    entries.push({ time, symbol, weight: weight === 0 ? 0 : weight, line });
  }
  return entries;
}

/** Weights files larger than this are refused before they are read. */
export const MAX_WEIGHTS_FILE_BYTES = 256 * 1024 * 1024;

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The weights file, resolved through every symlink, which must be a regular file inside the
 * strategy's folder or the workspace root: a strategy.json from a pull request must not make CI
 * read `/proc/self/environ` or `../../etc/passwd`.
 */
export function confinedPath(file: string, ctx: Pick<SignalContext, 'strategyDir' | 'workspaceRoot'>): string {
  const given = resolve(ctx.strategyDir, file);
  let real: string;
  try {
    real = realpathSync(given);
  } catch (err) {
    throw fsInputError(err, 'read weights file', given);
  }
  const roots = [ctx.strategyDir, ...(ctx.workspaceRoot ? [ctx.workspaceRoot] : [])].map(realOrSelf);
  if (!roots.some((root) => isInside(real, root))) {
    throw new InputError(`signal.file ${file} resolves outside the strategy's folder${ctx.workspaceRoot ? ' and the workspace root' : ''}; weights files must live there.`);
  }
  const stat = statSync(real);
  if (!stat.isFile()) throw new InputError(`signal.file ${file} is not a regular file.`);
  if (stat.size > MAX_WEIGHTS_FILE_BYTES) throw new InputError(`signal.file ${file} is larger than ${MAX_WEIGHTS_FILE_BYTES / 1024 / 1024} MB.`);
  return real;
}

/**
 * Targets from a `date,symbol,weight` file (relative to the strategy folder). A row applies from
 * the first bar at or after its time (a date is UTC midnight, so: the first bar of that UTC day, or
 * the next bar when that day has none); rows after the last bar are ignored. Each symbol keeps its
 * last given weight until its next row (forward fill); symbols never mentioned stay 0. Weights
 * are used as given: sizing.gross does not rescale them.
 */
export function weightsFileTargets(file: string, sizing: Strategy['sizing'], ctx: SignalContext): TargetWeights {
  const path = confinedPath(file, ctx);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fsInputError(err, 'read', path);
  }
  const { frame } = ctx;
  const bars = frame.times.length;
  const entries = parseWeightsCsv(text, path, frame.symbols, sizing.allow_short);
  const weights = pivotWeights(entries, frame.times, frame.symbols.length);
  return { weights, rebalance: changeFlags(weights, bars) };
}

/**
 * The long → wide pivot: each entry goes to the first bar at or after its time (entries past the
 * last bar are dropped); where one symbol has several entries on one bar, the last by time, then
 * by line, wins; then one column per symbol over every bar, each carrying its last given weight
 * forward (0 before its first entry; symbols never given stay 0).
 *
 * arquero pivots the long rows into one row per bar with a column per symbol, holding the rank
 * (in time, line order) of the entry that wins there, `op.max` of the ranks; the weights are then
 * carried forward over the bars by hand. Expressions are strings: arquero parses function source,
 * which the minified bundles rename.
 */
export function pivotWeights(entries: readonly WeightsEntry[], times: Float64Array, symbols: number): Float64Array[] {
  const bars = times.length;
  const weights = Array.from({ length: symbols }, () => new Float64Array(bars));
  const sorted = [...entries].sort((a, b) => a.time - b.time || a.line - b.line);
  // The long table: entries within the bars, in (time, line) order, each with its bar.
  const bar: number[] = [];
  const symbol: number[] = [];
  const rank: number[] = [];
  for (let index = 0; index < sorted.length; index += 1) {
    const at = firstIndexAtOrAfter(times, sorted[index].time);
    if (at >= bars) break;
    bar.push(at);
    symbol.push(sorted[index].symbol);
    rank.push(index);
  }
  if (rank.length === 0) return weights;
  const wide = loadArquero()
    .table({ bar, symbol, rank })
    .groupby('bar')
    .pivot('symbol', { rank: 'd => op.max(d.rank)' })
    .orderby('bar');
  const atBar = wide.array('bar') as ArrayLike<number>;
  for (const name of wide.columnNames()) {
    if (name === 'bar') continue;
    const column = weights[Number(name)];
    const winner = wide.array(name) as ArrayLike<number | undefined>;
    let weight = 0;
    let since = 0;
    for (let row = 0; row < atBar.length; row += 1) {
      const given = winner[row];
      if (given === undefined || given === null) continue;
      column.fill(weight, since, atBar[row]);
      weight = sorted[given].weight;
      since = atBar[row];
    }
    column.fill(weight, since, bars);
  }
  return weights;
}
