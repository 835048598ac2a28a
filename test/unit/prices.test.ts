import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parsePriceCsv } from '../../src/core/backtest/data/csv';
import { loadPrices, priceWindow } from '../../src/core/backtest/data/load';
import { InputError } from '../../src/core/shared/errors';
import { formatTimestamp, parseIso as parseTimestamp } from '../../src/core/shared/time';
import { EXAMPLES, cleanupTempDirs, tempDir } from '../support/fixtures';
import { seededRandom } from '../support/frames';

const DAY = 86_400_000;
const LONG_HEADER = 'date,symbol,open,high,low,close,volume';
const SINGLE_HEADER = 'date,open,high,low,close,adj_close,volume';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** YYYY-MM-DD of 2020-01-01 + i days. */
function day(i: number): string {
  return new Date(Date.UTC(2020, 0, 1) + i * DAY).toISOString().slice(0, 10);
}

function ms(iso: string): number {
  return Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
}

/** A valid single-symbol row for day i: open 100+i, high +2, low -1, close +1. */
function singleRow(i: number): string {
  const open = 100 + i;
  return `${day(i)},${open},${open + 2},${open - 1},${open + 1},${open + 0.5},${1000 + i}`;
}

function longRow(i: number, symbol: string, base = 100): string {
  const open = base + i;
  return `${day(i)},${symbol},${open},${open + 2},${open - 1},${open + 1},${1000 + i}`;
}

/** Writes `name` in a fresh temp dir with the header and rows joined by \n (plus a final newline). */
function writeCsv(name: string, header: string, rows: string[], dir = tempDir('qraft-prices-')): string {
  const path = join(dir, name);
  writeFileSync(path, [header, ...rows].join('\n') + '\n');
  return path;
}

/** Rows 0..n-1 of single-symbol data, with `edit` replacing some of them by index. */
function singleRows(n: number, edit: Record<number, string> = {}): string[] {
  return Array.from({ length: n }, (_, i) => edit[i] ?? singleRow(i));
}

function rejects(run: () => unknown, expected: string | RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    return true;
  });
}

describe('price loading', () => {
  afterEach(cleanupTempDirs);

  describe('layouts', () => {
    it('loads the single-symbol layout, taking the symbol from the file name', () => {
      const file = writeCsv('SPY.csv', SINGLE_HEADER, singleRows(3));
      const frame = loadPrices(file, { universe: ['SPY'] });
      assert.deepEqual(frame.symbols, ['SPY']);
      assert.deepEqual(Array.from(frame.times), [ms('2020-01-01'), ms('2020-01-02'), ms('2020-01-03')]);
      assert.deepEqual(Array.from(frame.open[0]), [100, 101, 102]);
      assert.deepEqual(Array.from(frame.high[0]), [102, 103, 104]);
      assert.deepEqual(Array.from(frame.low[0]), [99, 100, 101]);
      assert.deepEqual(Array.from(frame.close[0]), [101, 102, 103]);
      assert.deepEqual(Array.from(frame.volume[0]), [1000, 1001, 1002]);
      assert.deepEqual(frame.source.paths, [file]);
      assert.equal(frame.source.fingerprint, sha256(readFileSync(file)));
      assert.deepEqual(frame.source.rows, { SPY: 3 });
      assert.deepEqual(frame.source.dropped, { SPY: 0 });
    });

    it('finds columns by header name in any order and case, ignoring unknown columns', () => {
      const header = 'Volume,Close,note,DATE,Low,High,Open';
      const file = writeCsv('spy.csv', header, ['500,11,hello,2021-03-04,9,12,10', '600,12.5,,2021-03-05,10.5,13,11']);
      const frame = loadPrices(file, { universe: ['SPY'] });
      assert.deepEqual(frame.symbols, ['SPY']);
      assert.deepEqual(Array.from(frame.times), [ms('2021-03-04'), ms('2021-03-05')]);
      assert.deepEqual(Array.from(frame.open[0]), [10, 11]);
      assert.deepEqual(Array.from(frame.close[0]), [11, 12.5]);
      assert.deepEqual(Array.from(frame.volume[0]), [500, 600]);
    });

    it('uses an explicit symbol for a file whose name is not the symbol', () => {
      const file = writeCsv('daily-data.csv', SINGLE_HEADER, singleRows(2));
      const frame = loadPrices(file, { universe: ['QQQ'], symbol: 'QQQ' });
      assert.deepEqual(frame.symbols, ['QQQ']);
      assert.deepEqual(frame.source.rows, { QQQ: 2 });
    });

    it('loads the long layout in universe order and ignores symbols outside the universe', () => {
      const rows = [0, 1, 2].flatMap((i) => [longRow(i, 'SPY', 100), longRow(i, 'IWM', 50), longRow(i, 'QQQ', 200)]);
      const file = writeCsv('prices.csv', LONG_HEADER, rows);
      const frame = loadPrices(file, { universe: ['QQQ', 'SPY'] });
      assert.deepEqual(frame.symbols, ['QQQ', 'SPY']);
      assert.equal(frame.times.length, 3);
      assert.deepEqual(Array.from(frame.close[0]), [201, 202, 203]);
      assert.deepEqual(Array.from(frame.close[1]), [101, 102, 103]);
      assert.deepEqual(Array.from(frame.open[1]), [100, 101, 102]);
      assert.deepEqual(frame.source.rows, { QQQ: 3, SPY: 3 });
      assert.equal(frame.open.length, 2);
      assert.equal(frame.volume.length, 2);
    });

    it('accepts a long file grouped by symbol, with the header in another case', () => {
      const rows = [...[0, 1, 2, 3].map((i) => longRow(i, 'B', 10)), ...[0, 1, 2, 3].map((i) => longRow(i, 'A', 20))];
      const file = writeCsv('long.csv', 'Date,SYMBOL,Open,High,Low,Close,Volume', rows);
      const frame = loadPrices(file, { universe: ['A', 'B'] });
      assert.deepEqual(Array.from(frame.open[0]), [20, 21, 22, 23]);
      assert.deepEqual(Array.from(frame.open[1]), [10, 11, 12, 13]);
    });

    it('reads datetimes with Z, offsets and no offset (UTC), and datetime/timestamp/time headers', () => {
      const rows = [
        '2020-01-02T09:30:00-05:00,10,11,9,10.5,1',
        '2020-01-02 15:00:00,10,11,9,10.5,2',
        '2020-01-02T16:00:00.5+0100,10,11,9,10.5,3',
        '2020-01-02T15:01Z,10,11,9,10.5,4',
        '2020-01-03T00:30:00+05:30,10,11,9,10.5,5',
      ];
      const expected = [
        Date.UTC(2020, 0, 2, 14, 30),
        Date.UTC(2020, 0, 2, 15, 0),
        Date.UTC(2020, 0, 2, 15, 0, 0, 500),
        Date.UTC(2020, 0, 2, 15, 1),
        Date.UTC(2020, 0, 2, 19, 0),
      ];
      for (const name of ['datetime', 'Timestamp', 'time']) {
        const file = writeCsv('X.csv', `${name},open,high,low,close,volume`, rows);
        const frame = loadPrices(file, { universe: ['X'] });
        assert.deepEqual(Array.from(frame.times), expected, name);
        assert.deepEqual(Array.from(frame.volume[0]), [1, 2, 3, 4, 5]);
      }
    });

    it('accepts CRLF line endings, a UTF-8 BOM, trailing blank lines and a blank adj_close', () => {
      const dir = tempDir();
      const file = join(dir, 'SPY.csv');
      const text = `\uFEFF${SINGLE_HEADER}\r\n2020-01-02,10,11,9,10.5,,100\r\n2020-01-03,10.5,12,10,11.5,11.4,200\r\n\r\n\r\n`;
      writeFileSync(file, text, 'utf8');
      const frame = loadPrices(file, { universe: ['SPY'] });
      assert.deepEqual(Array.from(frame.times), [ms('2020-01-02'), ms('2020-01-03')]);
      assert.deepEqual(Array.from(frame.close[0]), [10.5, 11.5]);
      assert.deepEqual(Array.from(frame.volume[0]), [100, 200]);
      assert.deepEqual(frame.source.rows, { SPY: 2 });
      // The fingerprint covers the bytes as stored, BOM included.
      assert.equal(frame.source.fingerprint, sha256(Buffer.from(text, 'utf8')));
    });

    it('accepts a file without a final newline, quoted fields, spaces around values and a blank volume', () => {
      const text = `"date","open","high","low","close","volume"\n"2020-01-02", 10 ,11,9,10.5,\n2020-01-03,"10.5",12,10,11.5, 7 `;
      const { series } = parsePriceCsv(text, 'prices/SPY.csv', { universe: ['SPY'] });
      assert.deepEqual(Array.from(series[0].times), [ms('2020-01-02'), ms('2020-01-03')]);
      assert.deepEqual(Array.from(series[0].open), [10, 10.5]);
      assert.deepEqual(Array.from(series[0].volume), [0, 7]);
    });

    it('reads decimals exactly as Number() does', () => {
      const random = seededRandom(42);
      const values: string[] = [];
      for (let i = 0; i < 2000; i += 1) {
        const digits = 1 + Math.floor(random() * 6);
        values.push((random() * 10 ** digits).toFixed(Math.floor(random() * 9)));
      }
      values.push('0.1', '0.3', '123456789.123456', '1e3', '2.5E-1', '12345678901234567890.5', '+7', '.5');
      const positive = values.filter((v) => Number(v) > 0);
      const rows = positive.map((v, i) => `${day(i)},${v},${v},${v},${v},${v}`);
      const { series } = parsePriceCsv(['date,open,high,low,close,volume', ...rows].join('\n'), 'X.csv', { universe: ['X'] });
      assert.equal(series[0].rows, positive.length);
      positive.forEach((v, i) => assert.equal(series[0].close[i], Number(v), v));
    });

    it('grows its columns past the initial capacity (20 000 long rows, 4 symbols)', () => {
      const symbols = ['A', 'B', 'C', 'D'];
      const lines = [LONG_HEADER];
      for (let i = 0; i < 5000; i += 1) {
        const date = new Date(Date.UTC(1990, 0, 1) + i * DAY).toISOString().slice(0, 10);
        symbols.forEach((symbol, s) => lines.push(`${date},${symbol},${i + s + 1},${i + s + 3},${i + s + 0.5},${i + s + 2},${i}`));
      }
      const { series, layout } = parsePriceCsv(lines.join('\n'), 'long.csv', { universe: ['D', 'A'] });
      assert.equal(layout, 'long');
      assert.deepEqual(series.map((s) => s.symbol), ['D', 'A']);
      assert.deepEqual(series.map((s) => s.rows), [5000, 5000]);
      assert.equal(series[0].close[4999], 4999 + 3 + 2);
      assert.equal(series[1].open[2500], 2501);
      assert.equal(series[1].times[4999], Date.UTC(1990, 0, 1) + 4999 * DAY);
    });
  });

  describe('alignment', () => {
    it('keeps the dates every universe symbol has and counts the dropped rows per symbol', () => {
      const rows = [
        longRow(0, 'SPY'),
        longRow(1, 'SPY'),
        longRow(1, 'QQQ', 200),
        longRow(2, 'QQQ', 200),
        longRow(2, 'SPY'),
        longRow(3, 'SPY'),
        longRow(4, 'SPY'),
        longRow(4, 'QQQ', 200),
        longRow(5, 'QQQ', 200),
        longRow(5, 'IWM', 50),
      ];
      const file = writeCsv('prices.csv', LONG_HEADER, rows);
      const frame = loadPrices(file, { universe: ['SPY', 'QQQ'] });
      assert.deepEqual(Array.from(frame.times), [ms(day(1)), ms(day(2)), ms(day(4))]);
      assert.deepEqual(Array.from(frame.close[0]), [102, 103, 105]);
      assert.deepEqual(Array.from(frame.close[1]), [202, 203, 205]);
      assert.deepEqual(Array.from(frame.volume[1]), [1001, 1002, 1004]);
      assert.deepEqual(frame.source.rows, { SPY: 5, QQQ: 4 });
      assert.deepEqual(frame.source.dropped, { SPY: 2, QQQ: 1 });
    });

    it('rejects symbols that share no dates', () => {
      const file = writeCsv('prices.csv', LONG_HEADER, [longRow(0, 'SPY'), longRow(1, 'SPY'), longRow(2, 'QQQ'), longRow(3, 'QQQ')]);
      rejects(
        () => loadPrices(file, { universe: ['SPY', 'QQQ'] }),
        `The symbols SPY, QQQ in ${file} share no dates (SPY 2020-01-01 .. 2020-01-02, QQQ 2020-01-03 .. 2020-01-04).`,
      );
    });
  });

  describe('directory of <SYMBOL>.csv files', () => {
    it('loads one file per symbol and fingerprints the per-file hashes in universe order', () => {
      const dir = tempDir();
      writeCsv('SPY.csv', SINGLE_HEADER, singleRows(4), dir);
      writeCsv('QQQ.csv', SINGLE_HEADER, singleRows(5).slice(1), dir);
      writeCsv('IWM.csv', SINGLE_HEADER, ['not,even,a,price,file'], dir);
      const frame = loadPrices(dir, { universe: ['QQQ', 'SPY'] });
      assert.deepEqual(frame.symbols, ['QQQ', 'SPY']);
      assert.deepEqual(frame.source.paths, [join(dir, 'QQQ.csv'), join(dir, 'SPY.csv')]);
      const hashes = frame.source.paths.map((path) => sha256(readFileSync(path)));
      assert.equal(frame.source.fingerprint, sha256(hashes.join('')));
      assert.deepEqual(Array.from(frame.times), [ms(day(1)), ms(day(2)), ms(day(3))]);
      assert.deepEqual(frame.source.rows, { QQQ: 4, SPY: 4 });
      assert.deepEqual(frame.source.dropped, { QQQ: 1, SPY: 1 });
    });

    it('names the symbols without a file', () => {
      const dir = tempDir();
      writeCsv('SPY.csv', SINGLE_HEADER, singleRows(2), dir);
      rejects(
        () => loadPrices(dir, { universe: ['SPY', 'QQQ', 'TLT'] }),
        `The price directory ${dir} has no file for QQQ, TLT (expected ${join(dir, 'QQQ.csv')}, ${join(dir, 'TLT.csv')}).`,
      );
    });

    it('names the file and line of an error inside one of the files', () => {
      const dir = tempDir();
      writeCsv('SPY.csv', SINGLE_HEADER, singleRows(2), dir);
      writeCsv('QQQ.csv', SINGLE_HEADER, singleRows(3, { 1: `${day(1)},101,103,100,abc,101.5,1001` }), dir);
      rejects(() => loadPrices(dir, { universe: ['SPY', 'QQQ'] }), `${join(dir, 'QQQ.csv')} line 3, column close: "abc" is not a number.`);
    });
  });

  describe('windows', () => {
    const intraday = [
      '2020-01-02T14:30:00Z,10,11,9,10,1',
      '2020-01-02T20:00:00Z,10,11,9,10,2',
      '2020-01-03T14:30:00Z,10,11,9,10,3',
      '2020-01-06T14:30:00Z,10,11,9,10,4',
    ];

    it('cuts to an inclusive start/end window; a bare end date includes its whole day', () => {
      const file = writeCsv('X.csv', 'datetime,open,high,low,close,volume', intraday);
      const volumes = (options: { start?: string; end?: string }) => Array.from(loadPrices(file, { universe: ['X'], ...options }).volume[0]);
      assert.deepEqual(volumes({ end: '2020-01-02' }), [1, 2]);
      assert.deepEqual(volumes({ start: '2020-01-03' }), [3, 4]);
      assert.deepEqual(volumes({ start: '2020-01-02T20:00:00Z', end: '2020-01-03T14:30:00Z' }), [2, 3]);
      assert.deepEqual(volumes({ start: '2020-01-02T15:00:00-01:00', end: '2020-01-03' }), [2, 3]);
      assert.deepEqual(volumes({ start: '2020-01-01', end: '2020-12-31' }), [1, 2, 3, 4]);
      const frame = loadPrices(file, { universe: ['X'], start: '2020-01-03' });
      assert.deepEqual(frame.source.rows, { X: 4 }, 'rows count what was read, not what the window keeps');
    });

    it('priceWindow cuts a loaded frame the same way', () => {
      const file = writeCsv('X.csv', 'datetime,open,high,low,close,volume', intraday);
      const frame = loadPrices(file, { universe: ['X'] });
      assert.deepEqual(Array.from(priceWindow(frame, '2020-01-03').volume[0]), [3, 4]);
      assert.deepEqual(Array.from(priceWindow(frame, undefined, '2020-01-02T14:30:00Z').times), [Date.UTC(2020, 0, 2, 14, 30)]);
      assert.equal(priceWindow(frame), frame);
    });

    it('rejects bad bounds naming the window start or end, and a window without bars naming the range', () => {
      const file = writeCsv('SPY.csv', SINGLE_HEADER, singleRows(5));
      rejects(() => loadPrices(file, { universe: ['SPY'], start: '2020-13-01' }), /^The window start "2020-13-01" is not an ISO date or datetime \(expected YYYY-MM-DD/);
      rejects(() => loadPrices(file, { universe: ['SPY'], end: '31/12/2020' }), /^The window end "31\/12\/2020" is not an ISO date or datetime \(expected YYYY-MM-DD/);
      rejects(() => loadPrices(file, { universe: ['SPY'], start: '2020-02-01', end: '2020-01-01' }), 'The window start 2020-02-01 is after its end 2020-01-01.');
      rejects(
        () => loadPrices(file, { universe: ['SPY'], start: '2021-01-01' }),
        `The window from 2021-01-01 leaves no bars: ${file} covers 2020-01-01 .. 2020-01-05.`,
      );
      rejects(
        () => loadPrices(file, { universe: ['SPY'], start: '2019-01-01', end: '2019-12-31' }),
        `The window from 2019-01-01 to 2019-12-31 leaves no bars: ${file} covers 2020-01-01 .. 2020-01-05.`,
      );
    });
  });

  describe('rejections', () => {
    /** Loads a single-symbol SPY.csv of 20 rows where row index 12 (line 14) is `bad`. */
    const withLine14 = (bad: string, header = SINGLE_HEADER) => {
      const file = writeCsv('SPY.csv', header, singleRows(20, { 12: bad }));
      return { file, load: () => loadPrices(file, { universe: ['SPY'] }) };
    };

    it('a non-numeric, empty or non-positive price', () => {
      let t = withLine14(`${day(12)},112,114,111,abc,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column close: "abc" is not a number.`);
      t = withLine14(`${day(12)},0,114,111,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column open: 0 is not a positive price; open, high, low and close must be greater than 0.`);
      t = withLine14(`${day(12)},112,114,-1,113,112.5,1012`);
      rejects(t.load, /line 14, column low: -1 is not a positive price/);
      t = withLine14(`${day(12)},112,,111,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column high: the value is empty; prices must be numbers greater than 0.`);
      t = withLine14(`${day(12)},112,0x20,111,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column high: "0x20" is not a number.`);
      t = withLine14(`${day(12)},112,NaN,111,113,112.5,1012`);
      rejects(t.load, /line 14, column high: "NaN" is not a number\.$/);
    });

    it('a non-numeric or negative volume', () => {
      let t = withLine14(`${day(12)},112,114,111,113,112.5,many`);
      rejects(t.load, `${t.file} line 14, column volume: "many" is not a number.`);
      t = withLine14(`${day(12)},112,114,111,113,112.5,-5`);
      rejects(t.load, `${t.file} line 14, column volume: -5 is negative; volume must be 0 or more.`);
    });

    it('high below max(open, close) or low above min(open, close)', () => {
      let t = withLine14(`${day(12)},112,112.5,111,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column high: 112.5 is below max(open, close) = 113; high must be at least the open and the close.`);
      t = withLine14(`${day(12)},112,114,112.5,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column low: 112.5 is above min(open, close) = 112; low must be at most the open and the close.`);
    });

    it('unsorted and duplicate timestamps per symbol', () => {
      let t = withLine14(singleRow(2));
      rejects(t.load, `${t.file} line 14, column date: 2020-01-03 is not after 2020-01-12 (the previous SPY row, line 13); rows must be sorted by date.`);
      t = withLine14(singleRow(11));
      rejects(t.load, `${t.file} line 14, column date: duplicate timestamp 2020-01-12 for SPY (also on line 13).`);
      // In the long layout, order is per symbol: interleaved symbols are fine, a repeat within one is not.
      const file = writeCsv('long.csv', LONG_HEADER, [longRow(0, 'SPY'), longRow(0, 'QQQ'), longRow(1, 'QQQ'), longRow(1, 'SPY'), longRow(0, 'QQQ')]);
      rejects(() => loadPrices(file, { universe: ['SPY', 'QQQ'] }), `${file} line 6, column date: 2020-01-01 is not after 2020-01-02 (the previous QQQ row, line 4); rows must be sorted by date.`);
      const offsets = writeCsv('X.csv', 'timestamp,open,high,low,close,volume', ['2020-01-02T15:00:00+01:00,1,1,1,1,1', '2020-01-02T14:00:00Z,1,1,1,1,1']);
      rejects(() => loadPrices(offsets, { universe: ['X'] }), `${offsets} line 3, column timestamp: duplicate timestamp 2020-01-02T14:00:00Z for X (also on line 2).`);
    });

    it('unparseable dates, naming the header as written', () => {
      for (const bad of ['01/02/2020', '2020-02-30', '2020-1-5', '2020-01-05T25:00:00', '2020-01-05T10:00:00+5', '2020-01-05Z']) {
        const t = withLine14(`${bad},112,114,111,113,112.5,1012`, SINGLE_HEADER.replace('date', 'Date'));
        rejects(t.load, `${t.file} line 14, column Date: ${JSON.stringify(bad)} is not a date (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with an optional Z or ±hh:mm offset).`);
      }
      const t = withLine14(`,112,114,111,113,112.5,1012`);
      rejects(t.load, `${t.file} line 14, column date: the value is empty.`);
    });

    it('a wrong number of fields on a line', () => {
      let t = withLine14(`${day(12)},112,114,111,113,112.5`);
      rejects(t.load, `${t.file} line 14 has 6 fields but the header has 7 (no value for column volume).`);
      t = withLine14(`${day(12)},112,114,111`);
      rejects(t.load, `${t.file} line 14 has 4 fields but the header has 7 (no values for columns close, adj_close, volume).`);
      t = withLine14(`${day(12)},112,114,111,113,112.5,1012,extra`);
      rejects(t.load, `${t.file} line 14 has 8 fields but the header has 7.`);
    });

    it('missing or repeated columns, named on line 1', () => {
      let file = writeCsv('SPY.csv', 'date,open,high,low,adj_close', [`${day(0)},1,1,1,1`]);
      rejects(() => loadPrices(file, { universe: ['SPY'] }), `${file} line 1: missing columns close, volume (expected date,open,high,low,close,volume, with symbol for several symbols).`);
      file = writeCsv('SPY.csv', 'day,open,high,low,close,volume', [`${day(0)},1,1,1,1,1`]);
      rejects(() => loadPrices(file, { universe: ['SPY'] }), `${file} line 1: missing column date (expected date,open,high,low,close,volume, with symbol for several symbols).`);
      file = writeCsv('SPY.csv', 'date,open,high,low,close,Close,volume', [`${day(0)},1,1,1,1,1,1`]);
      rejects(() => loadPrices(file, { universe: ['SPY'] }), `${file} line 1: column close appears twice in the header.`);
    });

    it('an empty file and a file without data rows', () => {
      const dir = tempDir();
      const empty = join(dir, 'SPY.csv');
      writeFileSync(empty, '');
      rejects(() => loadPrices(empty, { universe: ['SPY'] }), `${empty} is empty; expected a header line (date,open,high,low,close,volume) and data rows.`);
      writeFileSync(empty, '\uFEFF\r\n\r\n');
      rejects(() => loadPrices(empty, { universe: ['SPY'] }), /is empty; expected a header line/);
      const headerOnly = writeCsv('QQQ.csv', SINGLE_HEADER, ['', '']);
      rejects(() => loadPrices(headerOnly, { universe: ['QQQ'] }), `${headerOnly} has a header but no data rows.`);
    });

    it('universe symbols absent from the file, named', () => {
      const file = writeCsv('prices.csv', LONG_HEADER, [longRow(0, 'SPY'), longRow(0, 'IWM')]);
      rejects(() => loadPrices(file, { universe: ['SPY', 'QQQ', 'TLT'] }), `${file} has no rows for the universe's symbols QQQ, TLT; it holds SPY, IWM.`);
      rejects(() => loadPrices(file, { universe: ['GLD'] }), `${file} has no rows for the universe's symbol GLD; it holds SPY, IWM.`);
    });

    it('a single-symbol file for a universe of several symbols, or whose name is not the symbol', () => {
      const file = writeCsv('SPY.csv', SINGLE_HEADER, singleRows(2));
      rejects(
        () => loadPrices(file, { universe: ['SPY', 'QQQ'] }),
        `${file} has no symbol column, so it holds one symbol (SPY), but the universe also needs QQQ; use a CSV with a symbol column or a directory of <SYMBOL>.csv files.`,
      );
      const other = writeCsv('prices.csv', SINGLE_HEADER, singleRows(2));
      rejects(
        () => loadPrices(other, { universe: ['SPY'] }),
        `${other} has no symbol column and its file name does not name the universe's symbol (SPY); name the file SPY.csv or give the symbol explicitly.`,
      );
      rejects(() => loadPrices(other, { universe: ['SPY'], symbol: 'QQQ' }), `The symbol QQQ given for ${other} is not in the universe (SPY).`);
    });

    it('a missing or unreadable file, using the path as given', () => {
      const dir = tempDir();
      const missing = relative(process.cwd(), join(dir, 'prices', 'SPY.csv'));
      assert.ok(!missing.startsWith('/'));
      rejects(() => loadPrices(missing, { universe: ['SPY'] }), `Cannot read price file ${missing}: no such file or directory.`);
      const notDir = writeCsv('SPY.csv', SINGLE_HEADER, singleRows(1));
      rejects(() => loadPrices(join(notDir, 'x.csv'), { universe: ['SPY'] }), `Cannot read price file ${join(notDir, 'x.csv')}: a part of the path is not a directory.`);
      // A relative path stays relative in line messages too.
      const bad = writeCsv('SPY.csv', SINGLE_HEADER, singleRows(3, { 2: `${day(2)},1,1,1,x,1,1` }));
      const rel = relative(process.cwd(), bad);
      rejects(() => loadPrices(rel, { universe: ['SPY'] }), `${rel} line 4, column close: "x" is not a number.`);
    });
  });

  describe('real data', () => {
    const dailyDir = path('../data/daily');
    const files = existsSync(dailyDir) ? readdirSync(dailyDir).filter((name) => name.endsWith('.csv')).sort() : [];

    /** An independent reading: the date column of a simple comma-separated file. */
    const datesOf = (file: string): string[] =>
      readFileSync(file, 'utf8')
        .split('\n')
        .slice(1)
        .filter((line) => line.trim() !== '')
        .map((line) => line.split(',')[0]);

    function checkSane(frame: ReturnType<typeof loadPrices>): void {
      for (let bar = 1; bar < frame.times.length; bar += 1) assert.ok(frame.times[bar] > frame.times[bar - 1]);
      frame.symbols.forEach((symbol, s) => {
        for (let bar = 0; bar < frame.times.length; bar += 1) {
          const [o, h, l, c, v] = [frame.open[s][bar], frame.high[s][bar], frame.low[s][bar], frame.close[s][bar], frame.volume[s][bar]];
          assert.ok(c > 0 && o > 0 && l > 0 && h >= Math.max(o, c) && l <= Math.min(o, c) && v >= 0, `${symbol} bar ${bar}`);
        }
      });
    }

    it('the shared daily files are all present', () => {
      assert.deepEqual(files, ['AAPL.csv', 'GLD.csv', 'MSFT.csv', 'QQQ.csv', 'SPY.csv', 'TLT.csv']);
    });

    it('each shared daily file loads with its rows, first and last values', () => {
      for (const name of files) {
        const file = join(dailyDir, name);
        const symbol = name.replace('.csv', '');
        const frame = loadPrices(file, { universe: [symbol] });
        const dates = datesOf(file);
        assert.equal(frame.times.length, dates.length, name);
        assert.equal(formatTimestamp(frame.times[0]), dates[0]);
        assert.equal(formatTimestamp(frame.times[frame.times.length - 1]), dates[dates.length - 1]);
        assert.equal(frame.source.fingerprint, sha256(readFileSync(file)));
        checkSane(frame);
      }
      const spy = loadPrices(join(dailyDir, 'SPY.csv'), { universe: ['SPY'] });
      assert.equal(spy.times.length, 7843);
      assert.equal(formatTimestamp(spy.times[0]), '1993-01-29');
      assert.equal(spy.close[0][0], 43.9375);
      assert.equal(spy.volume[0][0], 1003200);
      assert.equal(spy.close[0][spy.times.length - 1], 521.210022);
    });

    it('the shared daily directory aligns all six symbols on their common span', () => {
      const universe = ['SPY', 'QQQ', 'TLT', 'GLD', 'AAPL', 'MSFT'];
      const frame = loadPrices(dailyDir, { universe });
      let common = new Set(datesOf(join(dailyDir, 'SPY.csv')));
      for (const symbol of universe) {
        const dates = new Set(datesOf(join(dailyDir, `${symbol}.csv`)));
        common = new Set([...common].filter((date) => dates.has(date)));
        assert.equal(frame.source.rows[symbol], dates.size, symbol);
      }
      assert.equal(frame.times.length, common.size);
      assert.equal(formatTimestamp(frame.times[0]), '2004-11-18');
      assert.equal(formatTimestamp(frame.times[frame.times.length - 1]), '2020-09-25');
      for (const symbol of universe) assert.equal(frame.source.dropped[symbol], frame.source.rows[symbol] - common.size, symbol);
      assert.equal(frame.source.rows.SPY, 7843);
      checkSane(frame);
      const windowed = loadPrices(dailyDir, { universe: ['SPY', 'GLD'], start: '2020-01-01', end: '2020-12-31' });
      assert.equal(formatTimestamp(windowed.times[0]), '2020-01-02');
      assert.equal(windowed.times.length, datesOf(join(dailyDir, 'SPY.csv')).filter((date) => date.startsWith('2020-')).length);
    });

    it('examples/prices/SPY.csv loads', () => {
      const file = join(EXAMPLES, 'prices', 'SPY.csv');
      const frame = loadPrices(file, { universe: ['SPY'] });
      const dates = datesOf(file);
      assert.equal(frame.times.length, dates.length);
      assert.ok(frame.times.length > 2000);
      assert.equal(formatTimestamp(frame.times[0]), '2015-01-02');
      assert.equal(frame.close[0][0], 205.429993);
      assert.equal(frame.open[0][1], 204.169998);
      checkSane(frame);
    });
  });

  describe('timestamps', () => {
    it('parseTimestamp reads ISO dates and date-times and refuses the rest', () => {
      assert.equal(parseTimestamp('2020-02-29'), Date.UTC(2020, 1, 29));
      assert.equal(parseTimestamp('1900-03-01'), Date.UTC(1900, 2, 1));
      assert.equal(parseTimestamp(' 2020-01-02T03:04:05.678Z '), Date.UTC(2020, 0, 2, 3, 4, 5, 678));
      assert.equal(parseTimestamp('2020-01-02T03:04:05-02:30'), Date.UTC(2020, 0, 2, 5, 34, 5));
      for (const bad of ['2019-02-29', '2020-00-10', '2020-01-32', '20200102', '2020-01-02T', '2020-01-02T10', '2020-01-02T10:00:00ZZ', '', 'today']) {
        assert.ok(Number.isNaN(parseTimestamp(bad)), bad);
      }
    });
  });
});

function path(relativeToHere: string): string {
  return resolve(__dirname, relativeToHere);
}
