/**
 * Loads prices for a universe into a PriceFrame: one CSV (long or single-symbol layout, see csv.ts)
 * or a directory of <SYMBOL>.csv files, aligned on the dates every symbol shares, optionally cut to
 * a window of dates. Every user error is an InputError of one sentence.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, fsInputError } from '../../shared/errors';
import { sha256Hex } from '../../shared/hashing';
import { type TimeWindow, formatTimestamp, parseWindow } from '../../shared/time';
import { type ParsePriceCsvOptions, type ParsedPriceCsv, type SymbolSeries, parsePriceCsv } from './csv';
import { type ByteReader, parsePriceBytes } from './csvBytes';
import { type PriceFrame, sliceFrame } from './frame';
import { firstIndexAfter, firstIndexAtOrAfter } from './timeIndex';

export interface LoadPricesOptions {
  /** Symbols to load; frame.symbols follows this order. */
  universe: string[];
  /** Symbol of a single-symbol price file whose name is not the symbol. */
  symbol?: string;
  /** Inclusive bounds, ISO dates or date-times; a bare end date includes that whole day. */
  start?: string;
  end?: string;
}

interface Loaded {
  series: SymbolSeries[];
  paths: string[];
  fingerprint: string;
}

/** Loads `path` (a price CSV or a directory of <SYMBOL>.csv files) for the universe. */
export function loadPrices(path: string, options: LoadPricesOptions): PriceFrame {
  const window = parseWindow(options.start, options.end);
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch (err) {
    throw fsInputError(err, 'read price file', path);
  }
  const loaded = directory ? readDirectory(path, options.universe) : readPriceFile(path, options.universe, options.symbol);
  const frame = alignSeries(loaded.series, path, loaded.paths, loaded.fingerprint);
  return window ? cutWindow(frame, window, path) : frame;
}

/**
 * The largest price file: one the byte parser (csvBytes.ts) cannot stream is read whole, and a
 * JavaScript string holds at most ~512 M characters, so a larger file is refused with a sentence
 * rather than crashing (split it into a folder of <SYMBOL>.csv files).
 */
export const MAX_PRICE_FILE_BYTES = 500 * 1024 * 1024;

/** The file's size, after refusing what is not a regular file or is too large. */
function checkPriceFile(path: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new InputError(`${path} is not a regular file.`);
    if (stat.size > MAX_PRICE_FILE_BYTES) {
      throw new InputError(`${path} is ${(stat.size / 1024 / 1024).toFixed(0)} MB, larger than the ${MAX_PRICE_FILE_BYTES / 1024 / 1024} MB a price file may be; split it into a folder of <SYMBOL>.csv files.`);
    }
    return stat.size;
  } catch (err) {
    throw fsInputError(err, 'read price file', path);
  }
}

/**
 * Parses one price file and hashes its bytes: streamed in chunks by the byte parser, or (a file it
 * leaves to parsePriceCsv) read whole and decoded, as parsePriceCsv's text.
 */
function parsePriceFile(path: string, options: ParsePriceCsvOptions): { parsed: ParsedPriceCsv; fingerprint: string } {
  const size = checkPriceFile(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsInputError(err, 'read price file', path);
  }
  try {
    const read: ByteReader = (target, offset, length, position) => {
      try {
        return readSync(fd, target, offset, length, position);
      } catch (err) {
        throw fsInputError(err, 'read price file', path);
      }
    };
    const hasher = createHash('sha256');
    const parsed = parsePriceBytes(read, path, { ...options, size, onBytes: (chunk) => hasher.update(chunk) });
    if (parsed) return { parsed, fingerprint: hasher.digest('hex') };
  } finally {
    closeSync(fd);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw fsInputError(err, 'read price file', path);
  }
  return { parsed: parsePriceCsv(bytes.toString('utf8'), path, options), fingerprint: sha256Hex(bytes) };
}

function readPriceFile(path: string, universe: string[], symbol: string | undefined): Loaded {
  const { parsed, fingerprint } = parsePriceFile(path, { universe, symbol });
  return { series: parsed.series, paths: [path], fingerprint };
}

/** <dir>/<SYMBOL>.csv per universe symbol (the file name matched case-insensitively when not exact). */
function readDirectory(dir: string, universe: string[]): Loaded {
  if (universe.length === 0) throw new InputError(`Cannot load ${dir}: the universe lists no symbols.`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw fsInputError(err, 'read price directory', dir);
  }
  const files: string[] = [];
  const missing: string[] = [];
  for (const symbol of universe) {
    const exact = `${symbol}.csv`;
    const name = entries.includes(exact) ? exact : entries.find((entry) => entry.toLowerCase() === exact.toLowerCase());
    if (name === undefined) missing.push(symbol);
    else files.push(join(dir, name));
  }
  if (missing.length > 0) {
    const expected = missing.map((symbol) => join(dir, `${symbol}.csv`)).join(', ');
    throw new InputError(`The price directory ${dir} has no file for ${missing.join(', ')} (expected ${expected}).`);
  }
  const series: SymbolSeries[] = [];
  const hashes: string[] = [];
  files.forEach((file, index) => {
    const symbol = universe[index];
    const { parsed, fingerprint } = parsePriceFile(file, { universe: [symbol], symbol });
    hashes.push(fingerprint);
    series.push(parsed.series[0]);
  });
  return { series, paths: files, fingerprint: sha256Hex(hashes.join('')) };
}

/** Timestamps present in both sorted arrays. */
function intersect(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out[n++] = x;
      i += 1;
      j += 1;
    } else if (x < y) {
      i += 1;
    } else {
      j += 1;
    }
  }
  return n === out.length ? out : out.slice(0, n);
}

function range(times: Float64Array): string {
  return `${formatTimestamp(times[0])} .. ${formatTimestamp(times[times.length - 1])}`;
}

/**
 * Aligns series (each sorted, non-empty) on the timestamps all of them share. `label` names the
 * source in messages. rows/dropped record, per symbol, the rows read and those not on the common calendar.
 */
export function alignSeries(series: SymbolSeries[], label: string, paths: string[], fingerprint: string): PriceFrame {
  let common = series[0].times;
  for (let k = 1; k < series.length; k += 1) common = intersect(common, series[k].times);
  if (common.length === 0) {
    const spans = series.map((s) => `${s.symbol} ${range(s.times)}`).join(', ');
    throw new InputError(`The symbols ${series.map((s) => s.symbol).join(', ')} in ${label} share no dates (${spans}).`);
  }
  const frame: PriceFrame = {
    symbols: series.map((s) => s.symbol),
    times: common,
    open: [],
    high: [],
    low: [],
    close: [],
    volume: [],
    source: { paths, fingerprint, rows: {}, dropped: {} },
  };
  for (const s of series) {
    frame.source.rows[s.symbol] = s.rows;
    frame.source.dropped[s.symbol] = s.times.length - common.length;
    if (s.times.length === common.length) {
      frame.open.push(s.open);
      frame.high.push(s.high);
      frame.low.push(s.low);
      frame.close.push(s.close);
      frame.volume.push(s.volume);
      continue;
    }
    const pick = new Int32Array(common.length);
    for (let i = 0, j = 0; i < common.length; i += 1) {
      while (s.times[j] !== common[i]) j += 1;
      pick[i] = j;
    }
    const take = (column: Float64Array): Float64Array => {
      const out = new Float64Array(pick.length);
      for (let i = 0; i < pick.length; i += 1) out[i] = column[pick[i]];
      return out;
    };
    frame.open.push(take(s.open));
    frame.high.push(take(s.high));
    frame.low.push(take(s.low));
    frame.close.push(take(s.close));
    frame.volume.push(take(s.volume));
  }
  return frame;
}

function cutWindow(frame: PriceFrame, window: TimeWindow, label: string): PriceFrame {
  const times = frame.times;
  const from = firstIndexAtOrAfter(times, window.startMs);
  const to = firstIndexAfter(times, window.endMs);
  if (to <= from) {
    const bounds = [window.start !== undefined ? `from ${window.start}` : '', window.end !== undefined ? `to ${window.end}` : ''].filter(Boolean).join(' ');
    const shared = frame.symbols.length > 1 ? ` (the dates ${frame.symbols.join(', ')} share)` : '';
    throw new InputError(`The window ${bounds} leaves no bars: ${label} covers ${range(times)}${shared}.`);
  }
  return from === 0 && to === times.length ? frame : sliceFrame(frame, from, to);
}

/**
 * The bars of `frame` within [start, end] (ISO dates or date-times, inclusive; a bare end date
 * includes that whole day). Throws an InputError for a bad bound or a window without bars.
 */
export function priceWindow(frame: PriceFrame, start?: string, end?: string): PriceFrame {
  const window = parseWindow(start, end);
  return window ? cutWindow(frame, window, frame.source.paths.join(', ')) : frame;
}
