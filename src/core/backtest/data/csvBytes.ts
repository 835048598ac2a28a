/**
 * The price CSV parser the loader uses: it scans the file's bytes chunk by chunk (no decode of the
 * file to a JS string, no whole-file buffer, nothing allocated per row) and gives exactly what
 * parsePriceCsv (csv.ts) gives for the same file's text: the same series, bit for bit, and the
 * same sentence for the same first bad line.
 *
 * How: each line is scanned once for its commas; a plain row (no quote, the header's field count,
 * an exact ISO timestamp, plain decimals, every check passing) is read straight from the bytes.
 * Any other line (quotes, blanks, spaces, exponents, long mantissas, a value the checks refuse, an
 * empty symbol) is decoded alone and goes through parsePriceCsv's own per-row logic, which reads or
 * rejects it as before. Symbol names are decoded once per distinct spelling and then found by a
 * hash of their bytes. A file without any LF (empty, one line, CR-only line breaks, which
 * parsePriceCsv reads as line breaks only then) is left to parsePriceCsv: the function returns null
 * and the caller reads the file whole.
 */
import { parseIsoBytes as isoBytes } from '../../shared/time';
import {
  type Columns,
  type ParsePriceCsvOptions,
  type ParsedPriceCsv,
  type RowValues,
  POW10,
  SeriesBuilder,
  cellError,
  fieldCountError,
  finishParse,
  isBlankLine,
  locateColumns,
  orderErrorOf,
  readRowValues,
  singleSymbol,
  splitQuoted,
  universeIndexOf,
} from './csv';

/** Copies up to `length` bytes of the source at `position` into target[offset...]; returns how many (0 at the end). */
export type ByteReader = (target: Buffer, offset: number, length: number, position: number) => number;

export interface ParsePriceBytesOptions extends ParsePriceCsvOptions {
  /** The source's size in bytes (sizes the single-symbol columns up front). */
  size: number;
  /** Bytes read per chunk (a line longer than this widens the buffer); 1 MiB unless given. */
  chunkBytes?: number;
  /** Sees every byte of the source once, in order (the loader hashes them). */
  onBytes?: (chunk: Buffer) => void;
}

export const CHUNK_BYTES = 1 << 20;

// Imports read once into module constants (a bundler's or tsx's live bindings cost a getter call per use in the hot loop).
const parseIsoBytes = isoBytes;
const pow10: readonly number[] = POW10;

const DATE = 1;
const SYMBOL = 2;
const OPEN = 3;
const HIGH = 4;
const LOW = 5;
const CLOSE = 6;
const VOLUME = 7;

/** A reader over bytes in memory. */
export function bufferReader(source: Uint8Array): ByteReader {
  return (target, offset, length, position) => {
    if (position >= source.length) return 0;
    const n = Math.min(length, source.length - position);
    target.set(source.subarray(position, position + n), offset);
    return n;
  };
}

/** The source read chunk by chunk into one buffer; the unread tail of a chunk moves to its front. */
class Chunks {
  buf: Buffer;
  /** Bytes of buf holding source data. */
  filled = 0;
  /** Source position of buf[0]. */
  base = 0;
  eof = false;

  constructor(
    private readonly read: ByteReader,
    size: number,
    private readonly onBytes: ((chunk: Buffer) => void) | undefined,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  fill(): void {
    while (!this.eof && this.filled < this.buf.length) {
      const n = this.read(this.buf, this.filled, this.buf.length - this.filled, this.base + this.filled);
      if (n <= 0) {
        this.eof = true;
        return;
      }
      this.onBytes?.(this.buf.subarray(this.filled, this.filled + n));
      this.filled += n;
    }
  }

  /** Drops buf[0, pos), keeps the rest at the front (widening the buffer when one line fills it) and reads on. */
  shift(pos: number): void {
    if (pos > 0) {
      this.buf.copyWithin(0, pos, this.filled);
      this.filled -= pos;
      this.base += pos;
    } else if (this.filled === this.buf.length) {
      const wider = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(wider, 0, 0, this.filled);
      this.buf = wider;
    }
    this.fill();
  }
}

const MISSING = -2;

/** Symbol spellings (raw cell bytes) → universe index (-1: not in the universe), open addressing on a byte hash. */
class SymbolTable {
  private slots = new Int32Array(256);
  private hashes: number[] = [];
  private offsets: number[] = [];
  private lengths: number[] = [];
  private values: number[] = [];
  private pool = Buffer.allocUnsafe(1024);
  private used = 0;

  get(buf: Buffer, s: number, e: number, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const n = e - s;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot] - 1;
      if (id < 0) return MISSING;
      if (this.hashes[id] === h && this.lengths[id] === n) {
        const pool = this.pool;
        const at = this.offsets[id];
        let k = 0;
        while (k < n && pool[at + k] === buf[s + k]) k += 1;
        if (k === n) return this.values[id];
      }
    }
  }

  add(buf: Buffer, s: number, e: number, h: number, value: number): void {
    const n = e - s;
    if (this.used + n > this.pool.length) {
      const wider = Buffer.allocUnsafe(Math.max(this.pool.length * 2, this.used + n));
      this.pool.copy(wider, 0, 0, this.used);
      this.pool = wider;
    }
    buf.copy(this.pool, this.used, s, e);
    const id = this.hashes.length;
    this.hashes.push(h);
    this.offsets.push(this.used);
    this.lengths.push(n);
    this.values.push(value);
    this.used += n;
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(this.slots, id);
  }

  private place(slots: Int32Array, id: number): void {
    const mask = slots.length - 1;
    let slot = this.hashes[id] & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    for (let id = 0; id < this.hashes.length; id += 1) this.place(slots, id);
    this.slots = slots;
  }
}


/**
 * parseNumber's fast path (csv.ts) over bytes: the same value for a plain decimal
 * ([+-]digits[.digits], ≤ 2^53 - 1 as an integer, ≤ 22 decimals), NaN for anything else (the row
 * then takes the string path, which reads it as parsePriceCsv does).
 */
export function parseNumberBytes(buf: Buffer, s: number, e: number): number {
  let i = s;
  let negative = false;
  if (i < e) {
    const c = buf[i];
    if (c === 45 /* - */) {
      negative = true;
      i += 1;
    } else if (c === 43 /* + */) {
      i += 1;
    }
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < e; i += 1) {
    const c = buf[i];
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits += 1;
      if (dot) fraction += 1;
    } else if (c === 46 /* . */ && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || mantissa > 9007199254740991 || fraction > 22) return NaN;
  const value = fraction === 0 ? mantissa : mantissa / pow10[fraction];
  return negative ? -value : value;
}

/** A line of nothing but whitespace and commas (isBlankLine over bytes). */
function isBlankBytes(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i += 1) {
    const c = buf[i];
    if (c !== 44 && c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** What the per-line string path needs (no hot-loop variable is captured). */
interface Context {
  label: string;
  names: string[];
  columns: Columns;
  fieldCount: number;
  long: boolean;
  builders: SeriesBuilder[];
  symbolIndex: Map<string, number>;
  universeIndex: Map<string, number>;
  starts: Int32Array;
  ends: Int32Array;
  read: ByteReader;
  /** Filled by readRowValues for each unusual line. */
  row: RowValues;
}

/** The previous row's date cell of `builder`, trimmed (for ordering messages). */
function previousDate(ctx: Context, builder: SeriesBuilder): string {
  if (builder.lastDateText !== null) return builder.lastDateText.trim();
  const n = builder.lastDateEnd - builder.lastDateStart;
  const bytes = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const k = ctx.read(bytes, got, n - got, builder.lastDateStart + got);
    if (k <= 0) break;
    got += k;
  }
  return bytes.toString('utf8', 0, got).trim();
}

/**
 * One line (its text, CR stripped, not empty) as parsePriceCsv reads it; returns the data rows it
 * counts (0 or 1) or throws parsePriceCsv's sentence.
 */
function stringRow(ctx: Context, text: string, line: number): number {
  const { label, names, fieldCount, starts, ends } = ctx;
  const { date: dc, symbol: sc } = ctx.columns;
  const end = text.length;
  const found = splitQuoted(text, 0, end, starts, ends, fieldCount);
  if (found !== fieldCount) {
    if (isBlankLine(text, 0, end)) return 0;
    throw fieldCountError(label, line, found, names);
  }
  let builder = ctx.builders[0];
  if (ctx.long) {
    const name = text.slice(starts[sc], ends[sc]).trim();
    if (name === '') {
      if (isBlankLine(text, 0, end)) return 0;
      throw cellError(label, line, names[sc], 'the value is empty');
    }
    let known = ctx.symbolIndex.get(name);
    if (known === undefined) {
      known = ctx.universeIndex.get(name) ?? -1;
      ctx.symbolIndex.set(name, known);
    }
    if (known < 0) return 1;
    builder = ctx.builders[known];
  }

  const ds = starts[dc];
  const de = ends[dc];
  const previous = builder;
  const outOfOrder = (time: number) => orderErrorOf(label, line, names[dc], text.slice(ds, de).trim(), time, previous, () => previousDate(ctx, previous));
  if (!readRowValues(text, 0, end, starts, ends, ctx.columns, names, label, line, builder.lastTime, outOfOrder, ctx.row)) return 0;
  const { time, open, high, low, close, volume } = ctx.row;
  append(builder, time, open, high, low, close, volume, line);
  builder.lastDateText = text.slice(ds, de);
  return 1;
}

function append(builder: SeriesBuilder, time: number, open: number, high: number, low: number, close: number, volume: number, line: number): void {
  builder.push(time, open, high, low, close, volume);
  builder.lastTime = time;
  builder.lastLine = line;
}

/**
 * Parses a price CSV read through `read` (see the module comment). `label` names the file in
 * messages. Returns what parsePriceCsv returns for the source's UTF-8 text, throws what it throws,
 * or returns null, having read only the first chunk, for a file parsePriceCsv must read whole.
 */
export function parsePriceBytes(read: ByteReader, label: string, options: ParsePriceBytesOptions): ParsedPriceCsv | null {
  const universe = options.universe;
  const universeIndex = universeIndexOf(universe, label);
  const chunks = new Chunks(read, Math.max(16, options.chunkBytes ?? CHUNK_BYTES), options.onBytes);
  chunks.fill();
  let buf = chunks.buf;
  let filled = chunks.filled;
  let pos = filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;

  // The header: the first non-blank line. A source without any LF (CR-only line breaks, one line)
  // is parsePriceCsv's to read.
  let line = 0;
  let headerStart = -1;
  let headerEnd = -1;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= filled) {
      if (chunks.eof) return null;
      chunks.shift(pos);
      buf = chunks.buf;
      filled = chunks.filled;
      pos = 0;
      continue;
    }
    let end = nl;
    if (end > pos && buf[end - 1] === 13) end -= 1;
    line += 1;
    const start = pos;
    pos = nl + 1;
    if (!isBlankBytes(buf, start, end)) {
      headerStart = start;
      headerEnd = end;
      break;
    }
  }
  const headerLine = line;
  const header = buf.toString('utf8', headerStart, headerEnd);
  const starts0: number[] = [];
  const ends0: number[] = [];
  const fieldCount = splitQuoted(header, 0, header.length, starts0, ends0, Infinity);
  const names = starts0.slice(0, fieldCount).map((s, i) => header.slice(s, ends0[i]).trim());
  const columns = locateColumns(names, label, headerLine);
  const long = columns.symbol !== -1;

  const builders: SeriesBuilder[] = [];
  if (long) {
    for (const symbol of universe) builders.push(new SeriesBuilder(symbol, 1024));
  } else {
    const symbol = singleSymbol(label, universe, options.symbol);
    const estimate = Math.ceil((options.size - pos) / Math.max(16, headerEnd - headerStart + 1)) + 16;
    builders.push(new SeriesBuilder(symbol, Math.min(Math.max(estimate, 16), 1 << 24)));
  }
  const symbolIndex = new Map<string, number>();
  const ctx: Context = {
    label,
    names,
    columns,
    fieldCount,
    long,
    builders,
    symbolIndex,
    universeIndex,
    starts: new Int32Array(fieldCount),
    ends: new Int32Array(fieldCount),
    read,
    row: { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 },
  };

  const { date: dc, symbol: sc, open: oc, high: hc, low: lc, close: cc, volume: vc } = columns;
  const roles = new Int8Array(fieldCount);
  roles[dc] = DATE;
  if (long) roles[sc] = SYMBOL;
  roles[oc] = OPEN;
  roles[hc] = HIGH;
  roles[lc] = LOW;
  roles[cc] = CLOSE;
  roles[vc] = VOLUME;
  const last = fieldCount - 1;
  const symbols = new SymbolTable();
  const single = builders[0];
  let base = chunks.base;
  let dataRows = 0;
  // The last bare date read (10 bytes, all 0 until one is) and its value.
  const lastDate = new Uint8Array(10);
  let lastDateTime = NaN;

  for (;;) {
    let nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= filled) {
      if (!chunks.eof) {
        chunks.shift(pos);
        buf = chunks.buf;
        filled = chunks.filled;
        base = chunks.base;
        pos = 0;
        continue;
      }
      if (pos >= filled) break;
      nl = filled;
    }
    const start = pos;
    pos = nl + 1;
    let end = nl;
    if (end > start && buf[end - 1] === 13) end -= 1;
    line += 1;
    if (end === start) continue;

    // The fields in one pass, each read by its column's role; anything unusual takes the string path.
    let p = start;
    let plain = true;
    let index = -1;
    let time = NaN;
    let ds = 0;
    let de = 0;
    let open = NaN;
    let high = NaN;
    let low = NaN;
    let close = NaN;
    let volume = 0;
    for (let field = 0; field <= last; field += 1) {
      const role = roles[field];
      if (role >= OPEN) {
        // parseNumber's fast path, ending at the comma.
        let negative = false;
        const c = p < end ? buf[p] : 44;
        if (role === VOLUME && c === 44) {
          volume = 0;
        } else {
          if (c === 45 /* - */) {
            negative = true;
            p += 1;
          } else if (c === 43 /* + */) {
            p += 1;
          }
          // Digits, an optional point, digits: the same doubles as parseNumber's loop (the same operations in the same order).
          let mantissa = 0;
          const first = p;
          for (; p < end; p += 1) {
            const d = buf[p] - 48;
            if (d >>> 0 > 9) break;
            mantissa = mantissa * 10 + d;
          }
          let digits = p - first;
          let fraction = 0;
          if (p < end && buf[p] === 46 /* . */) {
            p += 1;
            const point = p;
            for (; p < end; p += 1) {
              const d = buf[p] - 48;
              if (d >>> 0 > 9) break;
              mantissa = mantissa * 10 + d;
            }
            fraction = p - point;
            digits += fraction;
          }
          if ((p < end && buf[p] !== 44) || digits === 0 || mantissa > 9007199254740991 || fraction > 22) {
            plain = false;
            break;
          }
          let value = fraction === 0 ? mantissa : mantissa / pow10[fraction];
          if (negative) value = -value;
          if (role === OPEN) open = value;
          else if (role === HIGH) high = value;
          else if (role === LOW) low = value;
          else if (role === CLOSE) close = value;
          else volume = value;
        }
      } else if (role === DATE) {
        ds = p;
        de = p + 10;
        if (!(de === end || (de < end && buf[de] === 44))) {
          for (de = p; de < end; de += 1) {
            const c = buf[de];
            if (c === 44) break;
            if (c === 34) plain = false;
          }
        }
        if (de - ds === 10) {
          // A bare date: the previous one's value when the bytes are the same (rows of one date run together).
          let k = 9;
          while (k >= 0 && buf[ds + k] === lastDate[k]) k -= 1;
          if (k < 0) {
            time = lastDateTime;
          } else {
            time = parseIsoBytes(buf, ds, de);
            if (time === time) {
              for (k = 0; k < 10; k += 1) lastDate[k] = buf[ds + k];
              lastDateTime = time;
            }
          }
        } else {
          time = parseIsoBytes(buf, ds, de);
        }
        p = de;
      } else if (role === SYMBOL) {
        const ss = p;
        let h = 0;
        for (; p < end; p += 1) {
          const c = buf[p];
          if (c === 44) break;
          if (c === 34) plain = false;
          h = (Math.imul(h, 31) + c) | 0;
        }
        if (p === ss || !plain) {
          plain = false;
          break;
        }
        h ^= h >>> 15;
        h = Math.imul(h, 0x2c1b3c6d);
        h ^= h >>> 12;
        index = symbols.get(buf, ss, p, h);
        if (index === MISSING) {
          const name = buf.toString('utf8', ss, p).trim();
          if (name === '') {
            plain = false;
            break;
          }
          let known = symbolIndex.get(name);
          if (known === undefined) {
            known = universeIndex.get(name) ?? -1;
            symbolIndex.set(name, known);
          }
          symbols.add(buf, ss, p, h, known);
          index = known;
        }
      } else {
        for (; p < end; p += 1) {
          const c = buf[p];
          if (c === 44) break;
          if (c === 34) plain = false;
        }
      }
      // Each field but the last ends at a comma, the last at the line's end.
      if (field < last) {
        if (p >= end) {
          plain = false;
          break;
        }
        p += 1;
      } else if (p !== end) {
        plain = false;
      }
    }
    if (plain && index < 0 && long) {
      // A symbol outside the universe: only the field count is checked, and that passed.
      dataRows += 1;
      continue;
    }
    const builder = long ? (index >= 0 ? builders[index] : single) : single;
    if (!(plain && time > builder.lastTime && open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0 && high >= open && high >= close && low <= open && low <= close)) {
      dataRows += stringRow(ctx, buf.toString('utf8', start, end), line);
      continue;
    }
    dataRows += 1;
    let fill = builder.fill;
    if (fill === builder.blockRows) {
      builder.nextBlock();
      fill = 0;
    }
    builder.times[fill] = time;
    builder.open[fill] = open;
    builder.high[fill] = high;
    builder.low[fill] = low;
    builder.close[fill] = close;
    builder.volume[fill] = volume;
    builder.fill = fill + 1;
    builder.count += 1;
    builder.lastTime = time;
    builder.lastLine = line;
    builder.lastDateText = null;
    builder.lastDateStart = base + ds;
    builder.lastDateEnd = base + de;
  }
  return finishParse(label, long, builders, symbolIndex, dataRows);
}
