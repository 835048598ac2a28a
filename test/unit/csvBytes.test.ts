import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParsedPriceCsv, parsePriceCsv } from '../../src/core/backtest/data/csv';
import { bufferReader, parseNumberBytes, parsePriceBytes } from '../../src/core/backtest/data/csvBytes';
import { loadPrices } from '../../src/core/backtest/data/load';
import { parseIsoBytes, parseIsoSpan } from '../../src/core/shared/time';
import { cleanupTempDirs, tempDir } from '../support/fixtures';
import { seededRandom } from '../support/frames';

const LONG = 'date,symbol,open,high,low,close,volume';
const SINGLE = 'date,open,high,low,close,adj_close,volume';

type Outcome = { ok: true; parsed: ParsedPriceCsv } | { ok: false; message: string };

function outcome(run: () => ParsedPriceCsv | null): Outcome | null {
  try {
    const parsed = run();
    return parsed === null ? null : { ok: true, parsed };
  } catch (err) {
    return { ok: false, message: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

function bits(column: Float64Array): string {
  return Buffer.from(column.buffer, column.byteOffset, column.byteLength).toString('hex');
}

function assertSame(actual: Outcome, expected: Outcome, what: string): void {
  if (!expected.ok || !actual.ok) {
    assert.deepEqual(actual.ok ? 'parsed' : actual.message, expected.ok ? 'parsed' : expected.message, what);
    return;
  }
  assert.equal(actual.parsed.layout, expected.parsed.layout, what);
  assert.equal(actual.parsed.series.length, expected.parsed.series.length, what);
  expected.parsed.series.forEach((series, k) => {
    const got = actual.parsed.series[k];
    assert.equal(got.symbol, series.symbol, what);
    assert.equal(got.rows, series.rows, what);
    for (const column of ['times', 'open', 'high', 'low', 'close', 'volume'] as const) {
      assert.equal(bits(got[column]), bits(series[column]), `${what}: ${series.symbol} ${column}`);
    }
  });
}

const CHUNKS = [16, 17, 19, 23, 29, 31, 37, 41, 53, 64, 97, 1 << 20];

/**
 * The byte parser gives what parsePriceCsv gives for the bytes' UTF-8 text (series bit for bit,
 * or the same error sentence) at every chunk size; returns whether it streamed (not null).
 */
function same(source: string | Buffer, universe: string[], symbol?: string, label = 'p.csv', chunks = CHUNKS): boolean {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  const expected = outcome(() => parsePriceCsv(bytes.toString('utf8'), label, { universe, symbol }))!;
  let streamed = true;
  for (const chunkBytes of chunks) {
    const seen: Buffer[] = [];
    const actual = outcome(() => parsePriceBytes(bufferReader(bytes), label, { universe, symbol, size: bytes.length, chunkBytes, onBytes: (chunk) => seen.push(Buffer.from(chunk)) }));
    if (actual === null) {
      streamed = false;
      continue;
    }
    assertSame(actual, expected, `chunk ${chunkBytes}`);
    if (actual.ok) assert.equal(Buffer.concat(seen).toString('hex'), bytes.toString('hex'), `chunk ${chunkBytes}: every byte seen once, in order`);
  }
  return streamed;
}

function rows(lines: string[], eol = '\n', final = true): string {
  return lines.join(eol) + (final ? eol : '');
}

function longRows(count: number, symbols: string[], startDay = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const date = new Date(Date.UTC(2020, 0, 1 + startDay + i)).toISOString().slice(0, 10);
    symbols.forEach((s, k) => {
      const open = 10 + i + k * 0.25;
      out.push(`${date},${s},${open.toFixed(4)},${(open + 1.125).toFixed(4)},${(open - 0.5).toFixed(3)},${(open + 0.75).toFixed(2)},${1000 + i * 7 + k}`);
    });
  }
  return out;
}

describe('price CSV byte parser (same results and sentences as parsePriceCsv)', () => {
  after(cleanupTempDirs);

  it('reads a long file at every chunk size, rows split across chunks', () => {
    assert.equal(same(rows([LONG, ...longRows(40, ['A', 'BB', 'CCC'])]), ['CCC', 'A']), true);
  });

  it('CRLF line endings, a BOM, no final newline, blank and comma-only lines', () => {
    const body = longRows(12, ['A', 'B']);
    assert.equal(same(rows([LONG, ...body], '\r\n'), ['A', 'B']), true);
    assert.equal(same(`\ufeff${rows([LONG, ...body], '\r\n')}`, ['A', 'B']), true);
    assert.equal(same(rows([LONG, ...body], '\n', false), ['A', 'B']), true);
    assert.equal(same(rows([LONG, ...body], '\r\n', false), ['B']), true);
    assert.equal(same(rows(['', ' ,', LONG, body[0], '', ',,,,,,', ' \t ', body[1], '\r', ...body.slice(2), '', ',,,', '']), ['A', 'B']), true);
  });

  it('multi-byte UTF-8 symbol names split across chunks, and invalid UTF-8', () => {
    const names = ['Ünï', '株式会社', '🚀X', 'é'];
    const text = rows([LONG, ...longRows(15, names)]);
    assert.equal(same(text, ['🚀X', 'é', '株式会社', 'Ünï']), true);
    assert.equal(same(text, ['🚀X', 'Ü']), true); // Ü absent: the names it holds, in file order
    const bad = Buffer.concat([Buffer.from(`${LONG}\n2020-01-01,A\xff`, 'latin1'), Buffer.from([0xe6, 0x97]), Buffer.from(',1,2,1,1,5\n2020-01-02,A\xff,1,2,1,1,5\n')]);
    assert.equal(same(bad, ['A']), true);
  });

  it('quoted fields, spaces, exponents, long mantissas and blank volumes take the string path', () => {
    const lines = [
      LONG,
      '"2020-01-01","A","1.5",2,1,1.5,"10"',
      ' 2020-01-02 , A ,1e0,2.0E0,+1,1.5,',
      '2020-01-03,A,1.00000000000000000000001,12345678901234567890,1,1.5, ',
      '2020-01-04,A,.5,5.,0.25,0.5,-0',
      '2020-01-05,A,0.1234567890123456789012345,1,0.1,0.2,1e3',
      '2020-01-06,"A",1,"1,5",1,1,1',
      '2020-01-07,"A",1,2,1,1,1',
      '2020-01-08,A,1.2345678901234567891,1.2345678901234567891,1.2345678901234567891,1.2345678901234567891,1',
      '2020-01-09,A,3.3333333333333333337,3.3333333333333333337,3.3333333333333333337,3.3333333333333333337,1',
      '2020-01-10,A,9.0071992547409934,9.0071992547409934,9.0071992547409934,9.0071992547409934,1',
      '2020-01-11,A,0.300000000000000000041,0.300000000000000000041,0.300000000000000000041,0.300000000000000000041,1',
    ];
    assert.equal(same(rows(lines), ['A']), true);
    assert.equal(same(rows(lines.slice(0, 6)), ['A']), true);
    assert.equal(same(rows([lines[0], ...lines.slice(7)]), ['A']), true);
  });

  it('dates that differ from the previous row\'s in one byte only', () => {
    const dates = ['2020-01-01', '2020-01-02', '2020-02-02', '2021-02-02', '2031-02-02', '2031-12-02', '2031-12-12', '2231-12-12', '3231-12-12', '3231-12-13'];
    const lines = [LONG];
    dates.forEach((date, i) => ['A', 'B'].forEach((s) => lines.push(`${date},${s},${1 + i},${2 + i},${1 + i},${1 + i},${i}`)));
    assert.equal(same(rows(lines), ['A', 'B']), true);
    // A later date, then (another symbol) an earlier one differing in one byte: a wrong reuse would be accepted.
    const pairs = [['3020-01-01', '2020-01-01'], ['2120-01-01', '2020-01-01'], ['2030-01-01', '2020-01-01'], ['2021-01-01', '2020-01-01'], ['2020-11-01', '2020-01-01'], ['2020-02-01', '2020-01-01'], ['2020-01-21', '2020-01-01'], ['2020-01-02', '2020-01-01']];
    const pairLines = pairs.flatMap(([hi, lo], k) => [`${hi},P${k},1,1,1,1,1`, `${lo},Q${k},1,1,1,1,1`]);
    assert.equal(same(rows([LONG, ...pairLines]), pairs.flatMap((_, k) => [`P${k}`, `Q${k}`])), true);
    assert.equal(same(rows([LONG, '2020-01-01,A,1,1,1,1,1', '2020-01-01,B,1,1,1,1,1', '2020-01-02,A,1,1,1,1,1', '2020-01-02,B,1,1,1,1,1', '2020-01-02,A,1,1,1,1,1']), ['A', 'B']), true);
  });

  it('datetimes with T, space, seconds, milliseconds, Z and offsets', () => {
    const stamps = ['2020-01-01', '2020-01-01T10:00', '2020-01-01 10:00:30', '2020-01-01T10:00:30.5Z', '2020-01-01T10:00:31,123+01:00', '2020-01-01T11:00:32.1234-0130', '2020-01-02t00:00z', '2020-01-03T00:00:00+05'];
    const text = rows([LONG, ...stamps.map((stamp, i) => `${stamp},A,${1 + i},${2 + i},${1 + i},${1 + i},${i}`)]);
    assert.equal(same(text, ['A']), true);
    // The loader's cells and typed text go through one parser (time.ts); these are its values, by hand.
    const expected = [Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 1, 10), Date.UTC(2020, 0, 1, 10, 0, 30), Date.UTC(2020, 0, 1, 10, 0, 30, 500), Date.UTC(2020, 0, 1, 9, 0, 31, 123), Date.UTC(2020, 0, 1, 12, 30, 32, 123), Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 2, 19)];
    stamps.forEach((stamp, i) => {
      const bytes = Buffer.from(`,${stamp},`);
      assert.equal(parseIsoBytes(bytes, 1, bytes.length - 1), expected[i], stamp);
      assert.equal(parseIsoSpan(`,${stamp},`, 1, bytes.length - 1), expected[i], stamp);
    });
    for (const stamp of ['2020-02-30', '2020-13-01', '2020-01-01T24:00', '2020-01-01T10:00:61', '2020-01-01T10:00+', '2020-01-01T10:00+01:', '2020-01-01T10:00:3', '2020-01-01T10', '2020-01-01X']) {
      const bytes = Buffer.from(`,${stamp},`);
      assert.ok(Number.isNaN(parseIsoBytes(bytes, 1, bytes.length - 1)), stamp);
      assert.ok(Number.isNaN(parseIsoSpan(`,${stamp},`, 1, bytes.length - 1)), stamp);
    }
    // A wide character whose low byte is a digit (U+0131 → 0x31) is not a digit.
    assert.ok(Number.isNaN(parseIsoSpan('2020-01-0\u0131', 0, 10)));
  });

  it('plain decimals from bytes are the same doubles as the string parser, anything else NaN', () => {
    const random = seededRandom(11);
    for (let k = 0; k < 2000; k += 1) {
      const digits = Math.floor(random() * 17) + 1;
      let cell = '';
      for (let d = 0; d < digits; d += 1) cell += String(Math.floor(random() * 10));
      const dot = Math.floor(random() * (digits + 1));
      if (random() < 0.8) cell = `${cell.slice(0, dot)}.${cell.slice(dot)}`;
      if (random() < 0.1) cell = `-${cell}`;
      const bytes = Buffer.from(cell);
      const value = parseNumberBytes(bytes, 0, bytes.length);
      if (!Number.isNaN(value)) assert.ok(Object.is(value, Number(cell)), cell);
    }
    for (const cell of ['', '-', '+', '.', '1e5', ' 1', '1 ', '1..2', '0x10', '12345678901234567890', '1.00000000000000000000001']) {
      assert.ok(Number.isNaN(parseNumberBytes(Buffer.from(cell), 0, Buffer.byteLength(cell))), cell);
    }
  });

  it('single-symbol files, by file name or explicit symbol, with adj_close and columns in another order', () => {
    const body = Array.from({ length: 30 }, (_, i) => `2020-02-${String(1 + (i % 28)).padStart(2, '0')}T${String(i).padStart(2, '0')}:00,${10 + i},${12 + i},${9 + i},${11 + i},,${i}`);
    assert.equal(same(rows([SINGLE, ...body]), ['SPY'], undefined, 'data/SPY.csv'), true);
    assert.equal(same(rows([SINGLE, ...body]), ['X'], 'X', 'data/prices.csv'), true);
    assert.equal(same(rows(['Volume,Close,Low,High,Open,Date', '5,11,9,12,10,2020-01-01', '6,12,10,13,11,2020-01-02']), ['X'], undefined, 'x.csv'), true);
  });

  it('every rejection: the same sentence for the same first bad line', () => {
    const good = longRows(6, ['A', 'B']);
    const mutate = (index: number, line: string): string => rows([LONG, ...good.slice(0, index), line, ...good.slice(index)]);
    const cases = [
      '2020-01-03,A,x,2,1,1,5',
      '2020-01-03,A,,2,1,1,5',
      '2020-01-03,A,-1,2,1,1,5',
      '2020-01-03,A,0,2,1,1,5',
      '2020-01-03,A,1,2,1,1,-5',
      '2020-01-03,A,1,2,1,1,5x',
      '2020-01-03,A,1,0.5,0.4,1,5',
      '2020-01-03,A,1,2,1.5,1,5',
      '2020-01-01,A,1,2,1,1,5', // not after the previous A row (read back from an earlier chunk)
      '2020-01-03,A,1,2,1,1', // too few fields
      '2020-01-03,A,1,2,1,1,5,6', // too many
      '2020-01-03,,1,2,1,1,5',
      '  ,  ,1,2,1,1,5',
      '2020-01-3,A,1,2,1,1,5',
      ',A,1,2,1,1,5',
      '"2020-01-03","A",1,2,1,1,"x"',
    ];
    for (const line of cases) {
      for (const index of [0, 1, 5, good.length]) assert.equal(same(mutate(index, line), ['A', 'B']), true, line);
    }
    // Duplicate and unsorted rows whose previous row took the string path (spaces around the date).
    assert.equal(same(rows([LONG, ' 2020-01-02 ,A,1,2,1,1,5', ...good.slice(0, 3)]), ['A']), true);
    assert.equal(same(rows([LONG, ...good.slice(0, 4), '2020-01-02T00:00Z,B,1,2,1,1,5']), ['A', 'B']), true);
  });

  it('a bad number at the very last byte, with and without a final newline', () => {
    const good = longRows(5, ['A']);
    assert.equal(same(rows([LONG, ...good, '2020-02-01,A,1,2,1,1,5x'], '\n', false), ['A']), true);
    assert.equal(same(rows([LONG, ...good, '2020-02-01,A,1,2,1,1,x'], '\r\n', false), ['A']), true);
    assert.equal(same(rows([LONG, ...good, '2020-02-01,A,1,2,1,1,5,'], '\n', true), ['A']), true);
    assert.equal(same(rows([LONG, ...good, '2020-02-01,A,1,2,1,1.'], '\n', false), ['A']), true);
  });

  it('header problems, files without data, absent symbols and empty universes', () => {
    assert.equal(same(rows([LONG]), ['A']), true);
    assert.equal(same(rows(['date,symbol,open,high,low,close,volume,Open', '2020-01-01,A,1,1,1,1,1']), ['A']), true);
    assert.equal(same(rows(['date,symbol,open,close', '2020-01-01,A,1,1']), ['A']), true);
    assert.equal(same(rows([LONG, ...longRows(3, ['A', 'B'])]), ['A', 'Z', 'Y']), true);
    assert.equal(same(rows([LONG, ...longRows(3, ['A'])]), ['A', 'A']), true);
    assert.equal(same(rows([LONG, ...longRows(3, ['A'])]), []), true);
    assert.equal(same(rows([SINGLE, '2020-01-01,1,1,1,1,,1']), ['A', 'B'], undefined, 'A.csv'), true);
  });

  it('leaves a file without any LF (empty, one line, CR-only breaks) to parsePriceCsv', () => {
    assert.equal(same('', ['A']), false);
    assert.equal(same(LONG, ['A']), false);
    assert.equal(same(rows([LONG, ...longRows(4, ['A'])], '\r'), ['A']), false);
  });

  it('agrees with parsePriceCsv on randomly damaged files', () => {
    const random = seededRandom(5);
    const pieces = [',', '"', ' ', '\r', '\n', '\r\n', '-', '+', '.', 'e', '0', '9', 'x', 'é', '株', '\t', '2020-01-0', 'T10:00', 'Z'];
    const base = rows([LONG, ...longRows(8, ['A', 'B', 'C'])]);
    for (let trial = 0; trial < 300; trial += 1) {
      let text = base;
      const edits = 1 + Math.floor(random() * 3);
      for (let k = 0; k < edits; k += 1) {
        const at = LONG.length + 1 + Math.floor(random() * (text.length - LONG.length - 1));
        const piece = pieces[Math.floor(random() * pieces.length)];
        text = random() < 0.3 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + piece + text.slice(at);
      }
      same(text, ['A', 'C'], undefined, 'p.csv', [16, 29, 1 << 20]);
    }
  });

  it('loadPrices streams a file: the same frame and fingerprint (sha256 of the bytes) as the whole-text parse', () => {
    const dir = tempDir();
    const text = rows([LONG, ...longRows(3000, ['A', 'B', 'Ünï'])], '\r\n');
    const path = join(dir, 'long.csv');
    writeFileSync(path, text);
    const frame = loadPrices(path, { universe: ['Ünï', 'A'] });
    const expected = parsePriceCsv(text, path, { universe: ['Ünï', 'A'] });
    assert.equal(frame.source.fingerprint, createHash('sha256').update(text).digest('hex'));
    assert.deepEqual(frame.symbols, ['Ünï', 'A']);
    assert.equal(bits(frame.close[0]), bits(expected.series[0].close));
    assert.equal(bits(frame.times), bits(expected.series[1].times));
    // A CR-only file goes the whole-text way, with the same fingerprint rule.
    const cr = join(dir, 'cr.csv');
    const crText = rows([LONG, ...longRows(5, ['A'])], '\r');
    writeFileSync(cr, crText);
    const crFrame = loadPrices(cr, { universe: ['A'] });
    assert.equal(crFrame.source.fingerprint, createHash('sha256').update(crText).digest('hex'));
    assert.equal(crFrame.times.length, 5);
    // An error on a row whose previous row is read back from the file.
    const unsorted = join(dir, 'unsorted.csv');
    writeFileSync(unsorted, rows([LONG, ...longRows(40000, ['A']), '2020-01-05,A,1,2,1,1,1']));
    assert.throws(() => loadPrices(unsorted, { universe: ['A'] }), { message: /line 40002, column date: 2020-01-05 is not after 2129-07-07 \(the previous A row, line 40001\); rows must be sorted by date\.$/ });
  });
});
