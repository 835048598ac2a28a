/**
 * Price CSV parsing: a hand-written scanner over the file's text (no split() per row, no object
 * per row), numbers and timestamps read from char codes, columns kept in typed arrays that grow
 * by doubling. Every rejection is an InputError of one sentence naming the file, the line
 * (1-based, the header is line 1) and the column (its header name).
 *
 * Layouts (header names case-insensitive, any column order, unknown columns ignored):
 * - long: date,symbol,open,high,low,close,volume (several symbols in one file);
 * - single-symbol: date,open,high,low,close[,adj_close],volume; the symbol is `options.symbol`
 *   or the file name's stem (`SPY.csv` → SPY).
 * The date column may be named date, datetime, timestamp or time.
 *
 * The loader reads files with the byte parser (csvBytes.ts), which gives exactly what
 * parsePriceCsv gives for the file's text and runs this module's row logic on any unusual line;
 * parsePriceCsv itself reads what that parser leaves to it (files without any LF).
 */
import { basename, extname } from 'node:path';
import { InputError } from '../../shared/errors';
import { ISO_FORMATS, parseIso, parseIsoSpan } from '../../shared/time';

export interface ParsePriceCsvOptions {
  /** Symbols to load, in order; rows of other symbols are skipped (only their field count is checked). */
  universe: string[];
  /** Symbol of a single-symbol file whose name is not the symbol. Ignored by the long layout. */
  symbol?: string;
}

/** One symbol's rows as read (sorted, validated), before alignment to a common calendar. */
export interface SymbolSeries {
  symbol: string;
  times: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Data rows read for this symbol. */
  rows: number;
}

export interface ParsedPriceCsv {
  layout: 'long' | 'single';
  /** One series per universe symbol, in universe order. */
  series: SymbolSeries[];
}

const DATE_HEADERS = ['date', 'datetime', 'timestamp', 'time'];
const REQUIRED = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;

/** 10^k for k ≤ 22: exact doubles, so digits / 10^k is correctly rounded (the same as Number()). */
export const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number in text[s, e), or NaN. The fast path reads plain decimals from char codes. */
export function parseNumber(text: string, s: number, e: number): number {
  let i = s;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === 45 /* - */) {
    negative = true;
    i += 1;
  } else if (c === 43 /* + */) {
    i += 1;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < e; i += 1) {
    c = text.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits += 1;
      if (dot) fraction += 1;
    } else if (c === 46 /* . */ && !dot) {
      dot = true;
    } else {
      return parseNumberSlow(text, s, e);
    }
  }
  if (digits === 0) return parseNumberSlow(text, s, e);
  if (mantissa > 9007199254740991 || fraction > 22) return parseNumberSlow(text, s, e);
  const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -value : value;
}

function parseNumberSlow(text: string, s: number, e: number): number {
  const value = text.slice(s, e).trim();
  return NUMBER_RE.test(value) ? Number(value) : NaN;
}

/** The symbol a single-symbol file holds by its name: `prices/SPY.csv` → SPY. */
export function symbolFromFileName(label: string): string {
  const name = basename(label);
  return name.slice(0, name.length - extname(name).length);
}

const MAX_BLOCK_ROWS = 1 << 16;

/**
 * A symbol's rows as read, in column blocks (a full block is kept, never copied or regrown),
 * joined into exact-length columns by finish().
 */
export class SeriesBuilder {
  /** The block being filled, one array per column. */
  times: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Rows the current block holds so far, and its capacity in rows. */
  fill = 0;
  blockRows: number;
  /** Full blocks before the current one: [times, open, high, low, close, volume] each. */
  private full: Float64Array[][] = [];
  count = 0;
  /** Line and date field of the previous row, for ordering messages. */
  lastLine = 0;
  lastDateStart = 0;
  lastDateEnd = 0;
  lastTime = -Infinity;
  /** The byte-scanning parser (csvBytes.ts): the previous row's date cell as text when a row took the string path, else null and its bytes at lastDateStart (an offset in the file) for lastDateEnd - lastDateStart bytes. */
  lastDateText: string | null = null;

  constructor(
    readonly symbol: string,
    capacity: number,
  ) {
    this.blockRows = Math.max(16, capacity);
    this.times = new Float64Array(this.blockRows);
    this.open = new Float64Array(this.blockRows);
    this.high = new Float64Array(this.blockRows);
    this.low = new Float64Array(this.blockRows);
    this.close = new Float64Array(this.blockRows);
    this.volume = new Float64Array(this.blockRows);
  }

  /** Starts a new block (the current one is full). */
  nextBlock(): void {
    this.full.push([this.times, this.open, this.high, this.low, this.close, this.volume]);
    const rows = Math.min(this.blockRows * 2, Math.max(MAX_BLOCK_ROWS, this.blockRows));
    this.blockRows = rows;
    this.times = new Float64Array(rows);
    this.open = new Float64Array(rows);
    this.high = new Float64Array(rows);
    this.low = new Float64Array(rows);
    this.close = new Float64Array(rows);
    this.volume = new Float64Array(rows);
    this.fill = 0;
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (this.fill === this.blockRows) this.nextBlock();
    const n = this.fill;
    this.times[n] = time;
    this.open[n] = open;
    this.high[n] = high;
    this.low[n] = low;
    this.close[n] = close;
    this.volume[n] = volume;
    this.fill = n + 1;
    this.count += 1;
  }

  finish(): SymbolSeries {
    const n = this.count;
    const blocks = [...this.full, [this.times, this.open, this.high, this.low, this.close, this.volume]];
    const columns = [0, 1, 2, 3, 4, 5].map((c) => {
      if (blocks.length === 1) return blocks[0][c].slice(0, n);
      const out = new Float64Array(n);
      let at = 0;
      for (const block of blocks) {
        const rows = Math.min(block[c].length, n - at);
        out.set(rows === block[c].length ? block[c] : block[c].subarray(0, rows), at);
        at += rows;
      }
      return out;
    });
    this.full = [];
    return { symbol: this.symbol, times: columns[0], open: columns[1], high: columns[2], low: columns[3], close: columns[4], volume: columns[5], rows: n };
  }
}

/**
 * Splits text[s, e) at commas honouring double quotes (a field's surrounding quotes are dropped;
 * quoted fields may hold commas, not line breaks). Fills starts/ends up to `max` fields and
 * returns the number of fields on the line.
 */
export function splitQuoted(text: string, s: number, e: number, starts: Int32Array | number[], ends: Int32Array | number[], max: number): number {
  let field = 0;
  let i = s;
  for (;;) {
    let fs = i;
    let fe: number;
    if (i < e && text.charCodeAt(i) === 34) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1 || q >= e) {
          j = e;
          break;
        }
        if (q + 1 < e && text.charCodeAt(q + 1) === 34) {
          j = q + 2;
          continue;
        }
        j = q;
        break;
      }
      fs = i + 1;
      fe = j;
      const comma = text.indexOf(',', Math.min(j + 1, e));
      i = comma === -1 || comma >= e ? e : comma;
    } else {
      const comma = text.indexOf(',', i);
      i = comma === -1 || comma >= e ? e : comma;
      fe = i;
    }
    if (field < max) {
      starts[field] = fs;
      ends[field] = fe;
    }
    field += 1;
    if (i >= e) return field;
    i += 1;
  }
}

/** Fields of text[s, e) split at plain commas (fast path, no quotes in the file); same contract as splitQuoted. */
function splitPlain(text: string, s: number, e: number, starts: Int32Array, ends: Int32Array, max: number): number {
  let p = s;
  const last = max - 1;
  for (let field = 0; field < last; field += 1) {
    const comma = text.indexOf(',', p);
    if (comma === -1 || comma >= e) {
      starts[field] = p;
      ends[field] = e;
      return field + 1;
    }
    starts[field] = p;
    ends[field] = comma;
    p = comma + 1;
  }
  const comma = text.indexOf(',', p);
  if (comma !== -1 && comma < e) return max + countCommas(text, comma, e);
  starts[last] = p;
  ends[last] = e;
  return max;
}

function countCommas(text: string, s: number, e: number): number {
  let count = 0;
  for (let i = text.indexOf(',', s); i !== -1 && i < e; i = text.indexOf(',', i + 1)) count += 1;
  return count;
}

/** A line of nothing but whitespace and commas (as spreadsheets export trailing rows): skipped. */
export function isBlankLine(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i += 1) {
    const c = text.charCodeAt(i);
    if (c !== 44 && c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

export function listNames(names: string[], max = 10): string {
  return names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', ');
}

export interface Columns {
  /** Header names as written (trimmed), for messages. */
  names: string[];
  date: number;
  symbol: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function locateColumns(names: string[], label: string, line: number): Columns {
  const lower = names.map((name) => name.toLowerCase());
  const find = (name: string): number => {
    const first = lower.indexOf(name);
    if (first !== -1 && lower.indexOf(name, first + 1) !== -1) {
      throw new InputError(`${label} line ${line}: column ${names[first]} appears twice in the header.`);
    }
    return first;
  };
  let date = -1;
  for (const alias of DATE_HEADERS) {
    date = find(alias);
    if (date !== -1) break;
  }
  const columns: Columns = {
    names,
    date,
    symbol: find('symbol'),
    open: find('open'),
    high: find('high'),
    low: find('low'),
    close: find('close'),
    volume: find('volume'),
  };
  const missing = REQUIRED.filter((name) => columns[name] === -1);
  if (missing.length > 0) {
    // Name what is missing, never what the line holds: the file may not be a price file at all.
    const which = missing.length === 1 ? `column ${missing[0]}` : `columns ${missing.join(', ')}`;
    throw new InputError(`${label} line ${line}: missing ${which} (expected date,open,high,low,close,volume, with symbol for several symbols).`);
  }
  return columns;
}

/** The universe symbol a single-symbol file holds: the explicit one, else the file name's stem. */
export function singleSymbol(label: string, universe: string[], explicit: string | undefined): string {
  const given = explicit?.trim();
  const stem = symbolFromFileName(label);
  const symbol = given || universe.find((s) => s === stem) || universe.find((s) => s.toLowerCase() === stem.toLowerCase()) || stem;
  if (universe.length > 1) {
    const others = universe.filter((s) => s !== symbol);
    throw new InputError(
      `${label} has no symbol column, so it holds one symbol (${symbol}), but the universe also needs ${listNames(others)}; ` +
        'use a CSV with a symbol column or a directory of <SYMBOL>.csv files.',
    );
  }
  if (!universe.includes(symbol)) {
    if (given) throw new InputError(`The symbol ${given} given for ${label} is not in the universe (${universe.join(', ')}).`);
    throw new InputError(
      `${label} has no symbol column and its file name does not name the universe's symbol (${universe[0]}); ` +
        `name the file ${universe[0]}.csv or give the symbol explicitly.`,
    );
  }
  return symbol;
}

export function cellError(label: string, line: number, column: string, detail: string): InputError {
  return new InputError(`${label} line ${line}, column ${column}: ${detail}.`);
}

export function priceError(text: string, label: string, line: number, column: string, s: number, e: number, value: number): InputError {
  const raw = text.slice(s, e).trim();
  if (raw === '') return cellError(label, line, column, 'the value is empty; prices must be numbers greater than 0');
  if (Number.isNaN(value)) return cellError(label, line, column, `${JSON.stringify(raw)} is not a number`);
  return cellError(label, line, column, `${raw} is not a positive price; open, high, low and close must be greater than 0`);
}

export function volumeError(text: string, label: string, line: number, column: string, s: number, e: number, value: number): InputError {
  const raw = text.slice(s, e).trim();
  if (Number.isNaN(value)) return cellError(label, line, column, `${JSON.stringify(raw)} is not a number`);
  return cellError(label, line, column, `${raw} is negative; volume must be 0 or more`);
}

export function fieldCountError(label: string, line: number, found: number, names: string[]): InputError {
  const expected = names.length;
  if (found < expected) {
    const absent = names.slice(found).filter((name) => name !== '');
    const which = absent.length === 0 ? '' : absent.length === 1 ? ` (no value for column ${absent[0]})` : ` (no values for columns ${listNames(absent)})`;
    return new InputError(`${label} line ${line} has ${found} ${found === 1 ? 'field' : 'fields'} but the header has ${expected}${which}.`);
  }
  return new InputError(`${label} line ${line} has ${found} fields but the header has ${expected}.`);
}

/** A data row's values once checked (readRowValues fills it; callers reuse one). */
export interface RowValues {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * The date and prices of one split data row of text[lineStart, lineEnd), checked as the module
 * comment says: fills `row` and returns true, returns false for a blank line, or throws the cell's
 * one sentence. A date not after `lastTime` (the symbol's previous row) throws `outOfOrder(time)`.
 * The one row check of both parsers (this module's and the byte scanner's unusual lines).
 */
export function readRowValues(
  text: string,
  lineStart: number,
  lineEnd: number,
  starts: Int32Array,
  ends: Int32Array,
  columns: Columns,
  names: string[],
  label: string,
  line: number,
  lastTime: number,
  outOfOrder: (time: number) => InputError,
  row: RowValues,
): boolean {
  const { date: dc, open: oc, high: hc, low: lc, close: cc, volume: vc } = columns;
  const ds = starts[dc];
  const de = ends[dc];
  // The cell as is (the usual case), else trimmed: the shared timestamp parser either way.
  let time = parseIsoSpan(text, ds, de);
  if (time !== time) {
    time = parseIso(text.slice(ds, de));
    if (time !== time) {
      if (isBlankLine(text, lineStart, lineEnd)) return false;
      const raw = text.slice(ds, de).trim();
      throw cellError(label, line, names[dc], raw === '' ? 'the value is empty' : `${JSON.stringify(raw)} is not a date (expected ${ISO_FORMATS})`);
    }
  }
  if (time <= lastTime) throw outOfOrder(time);

  const open = parseNumber(text, starts[oc], ends[oc]);
  if (!(open > 0)) throw priceError(text, label, line, names[oc], starts[oc], ends[oc], open);
  const high = parseNumber(text, starts[hc], ends[hc]);
  if (!(high > 0)) throw priceError(text, label, line, names[hc], starts[hc], ends[hc], high);
  const low = parseNumber(text, starts[lc], ends[lc]);
  if (!(low > 0)) throw priceError(text, label, line, names[lc], starts[lc], ends[lc], low);
  const close = parseNumber(text, starts[cc], ends[cc]);
  if (!(close > 0)) throw priceError(text, label, line, names[cc], starts[cc], ends[cc], close);
  let volume = 0;
  const vs = starts[vc];
  const ve = ends[vc];
  if (ve > vs) {
    volume = parseNumber(text, vs, ve);
    if (!(volume >= 0)) {
      if (text.slice(vs, ve).trim() === '') volume = 0;
      else throw volumeError(text, label, line, names[vc], vs, ve, volume);
    }
  }
  if (high < open || high < close) {
    throw cellError(label, line, names[hc], `${text.slice(starts[hc], ends[hc]).trim()} is below max(open, close) = ${Math.max(open, close)}; high must be at least the open and the close`);
  }
  if (low > open || low > close) {
    throw cellError(label, line, names[lc], `${text.slice(starts[lc], ends[lc]).trim()} is above min(open, close) = ${Math.min(open, close)}; low must be at most the open and the close`);
  }
  row.time = time;
  row.open = open;
  row.high = high;
  row.low = low;
  row.close = close;
  row.volume = volume;
  return true;
}

function orderError(text: string, label: string, line: number, column: string, s: number, e: number, time: number, previous: SeriesBuilder): InputError {
  return orderErrorOf(label, line, column, text.slice(s, e).trim(), time, previous, () => text.slice(previous.lastDateStart, previous.lastDateEnd).trim());
}

/** The ordering message for a row whose date cell (trimmed) is `raw`; `before()` is the previous row's date cell, trimmed. */
export function orderErrorOf(label: string, line: number, column: string, raw: string, time: number, previous: SeriesBuilder, before: () => string): InputError {
  if (time === previous.lastTime) {
    return cellError(label, line, column, `duplicate timestamp ${raw} for ${previous.symbol} (also on line ${previous.lastLine})`);
  }
  return cellError(label, line, column, `${raw} is not after ${before()} (the previous ${previous.symbol} row, line ${previous.lastLine}); rows must be sorted by date`);
}

/**
 * Parses a price CSV's text. `label` names the file in messages (the path as the caller gave it).
 * Returns one validated, date-sorted series per universe symbol, in universe order. Rows of
 * symbols outside the universe are skipped after their field count is checked.
 */
export function parsePriceCsv(text: string, label: string, options: ParsePriceCsvOptions): ParsedPriceCsv {
  const universe = options.universe;
  const universeIndex = universeIndexOf(universe, label);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Classic Mac line endings (CR only): treat CR as the line break.
  if (text.indexOf('\n') === -1 && text.indexOf('\r') !== -1) text = text.replace(/\r/g, '\n');
  const length = text.length;
  const quoted = text.indexOf('"') !== -1;

  // The header is the first non-blank line.
  let pos = 0;
  let line = 0;
  let headerStart = -1;
  let headerEnd = -1;
  while (pos < length) {
    const start = pos;
    const nl = text.indexOf('\n', pos);
    let end = nl === -1 ? length : nl;
    pos = nl === -1 ? length : nl + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end -= 1;
    line += 1;
    if (!isBlankLine(text, start, end)) {
      headerStart = start;
      headerEnd = end;
      break;
    }
  }
  if (headerStart === -1) throw new InputError(`${label} is empty; expected a header line (date,open,high,low,close,volume) and data rows.`);
  const headerLine = line;
  const starts0: number[] = [];
  const ends0: number[] = [];
  const fieldCount = splitQuoted(text, headerStart, headerEnd, starts0, ends0, Infinity);
  const names = starts0.slice(0, fieldCount).map((s, i) => text.slice(s, ends0[i]).trim());
  const columns = locateColumns(names, label, headerLine);
  const long = columns.symbol !== -1;

  const builders: SeriesBuilder[] = [];
  if (long) {
    for (const symbol of universe) builders.push(new SeriesBuilder(symbol, 1024));
  } else {
    const symbol = singleSymbol(label, universe, options.symbol);
    // Rows ≈ remaining characters / header length (rows are usually longer: a slight overestimate).
    const estimate = Math.ceil((length - pos) / Math.max(16, headerEnd - headerStart + 1)) + 16;
    builders.push(new SeriesBuilder(symbol, Math.min(estimate, 1 << 24)));
  }

  const starts = new Int32Array(fieldCount);
  const ends = new Int32Array(fieldCount);
  const { date: dc, symbol: sc } = columns;
  // Long layout: symbol → builder index (-1: not in the universe), with the previous row's symbol cached.
  const symbolIndex = new Map<string, number>();
  let lastSymbolText = '\n';
  let lastSymbolIndex = -1;
  let dataRows = 0;
  const single = builders[0];
  const row: RowValues = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };

  while (pos < length) {
    const start = pos;
    const nl = text.indexOf('\n', pos);
    let end: number;
    if (nl === -1) {
      end = length;
      pos = length;
    } else {
      end = nl;
      pos = nl + 1;
    }
    if (end > start && text.charCodeAt(end - 1) === 13) end -= 1;
    line += 1;
    if (end === start) continue;
    const found = quoted ? splitQuoted(text, start, end, starts, ends, fieldCount) : splitPlain(text, start, end, starts, ends, fieldCount);
    if (found !== fieldCount) {
      if (isBlankLine(text, start, end)) continue;
      throw fieldCountError(label, line, found, names);
    }

    let builder = single;
    if (long) {
      const ss = starts[sc];
      const se = ends[sc];
      let index: number;
      if (se - ss === lastSymbolText.length && text.startsWith(lastSymbolText, ss)) {
        index = lastSymbolIndex;
      } else {
        const raw = text.slice(ss, se);
        const name = raw.trim();
        if (name === '') {
          if (isBlankLine(text, start, end)) continue;
          throw cellError(label, line, names[sc], 'the value is empty');
        }
        let known = symbolIndex.get(name);
        if (known === undefined) {
          known = universeIndex.get(name) ?? -1;
          symbolIndex.set(name, known);
        }
        index = known;
        lastSymbolText = raw;
        lastSymbolIndex = index;
      }
      dataRows += 1;
      if (index < 0) continue;
      builder = builders[index];
    } else {
      dataRows += 1;
    }

    const ds = starts[dc];
    const de = ends[dc];
    const previous = builder;
    if (!readRowValues(text, start, end, starts, ends, columns, names, label, line, builder.lastTime, (time) => orderError(text, label, line, names[dc], ds, de, time, previous), row)) {
      dataRows -= 1;
      continue;
    }
    const { time, open, high, low, close, volume } = row;
    builder.push(time, open, high, low, close, volume);
    builder.lastTime = time;
    builder.lastLine = line;
    builder.lastDateStart = ds;
    builder.lastDateEnd = de;
  }

  return finishParse(label, long, builders, symbolIndex, dataRows);
}

/** Universe symbol → its index; refuses an empty universe or a symbol listed twice. */
export function universeIndexOf(universe: string[], label: string): Map<string, number> {
  if (universe.length === 0) throw new InputError(`Cannot load ${label}: the universe lists no symbols.`);
  const universeIndex = new Map<string, number>();
  universe.forEach((symbol, index) => {
    if (universeIndex.has(symbol)) throw new InputError(`Cannot load ${label}: the universe lists ${symbol} twice.`);
    universeIndex.set(symbol, index);
  });
  return universeIndex;
}

/** The parse's result once every row is read: refuses a file without data rows or without rows for a universe symbol. */
export function finishParse(label: string, long: boolean, builders: SeriesBuilder[], symbolIndex: Map<string, number>, dataRows: number): ParsedPriceCsv {
  if (dataRows === 0) throw new InputError(`${label} has a header but no data rows.`);
  const absent = builders.filter((builder) => builder.count === 0).map((builder) => builder.symbol);
  if (absent.length > 0) {
    const held = [...symbolIndex.keys()];
    const holds = held.length > 0 ? `; it holds ${listNames(held)}` : '';
    const which = absent.length === 1 ? `symbol ${absent[0]}` : `symbols ${listNames(absent)}`;
    throw new InputError(`${label} has no rows for the universe's ${which}${holds}.`);
  }
  return { layout: long ? 'long' : 'single', series: builders.map((builder) => builder.finish()) };
}
