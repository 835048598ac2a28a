import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePriceCsv } from '../../src/core/backtest/data/csv';
import { loadPrices, priceWindow } from '../../src/core/backtest/data/load';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { parseWeightsCsv } from '../../src/core/backtest/signals/weightsFile';
import { canaryWindow, runCanary } from '../../src/core/evidence/canary';
import { CanaryConfigSchema } from '../../src/core/evidence/gates/config';
import { InputError } from '../../src/core/shared/errors';
import { DAY_MS, formatTimestamp, isBareDate, parseBound, parseIso, parseIsoSpan, parseWindow } from '../../src/core/shared/time';
import { cleanupTempDirs, tempDir } from '../support/fixtures';

/** The instant a price file and a weights file give the same cell: both must agree with parseIso. */
function viaPriceFile(cell: string): number {
  const parsed = parsePriceCsv(`date,open,high,low,close,volume\n"${cell}",1,1,1,1,0\n`, 'X.csv', { universe: ['X'] });
  return parsed.series[0].times[0];
}

function viaWeightsFile(cell: string): number {
  return parseWeightsCsv(`date,symbol,weight\n${cell},X,1\n`, 'weights.csv', ['X'], false)[0].time;
}

describe('timestamps: one parser', () => {
  after(cleanupTempDirs);

  const cases: [string, number][] = [
    ['2020-02-29', Date.UTC(2020, 1, 29)],
    ['1900-03-01', Date.UTC(1900, 2, 1)],
    ['2020-01-02T03:04', Date.UTC(2020, 0, 2, 3, 4)],
    ['2020-01-02 03:04:05', Date.UTC(2020, 0, 2, 3, 4, 5)],
    ['2020-01-02t03:04:05', Date.UTC(2020, 0, 2, 3, 4, 5)],
    ['2020-01-02T03:04:05.678', Date.UTC(2020, 0, 2, 3, 4, 5, 678)],
    ['2020-01-02T03:04:05,5', Date.UTC(2020, 0, 2, 3, 4, 5, 500)],
    ['2020-01-02T03:04:05.123456789Z', Date.UTC(2020, 0, 2, 3, 4, 5, 123)],
    ['2020-01-02T03:04:05Z', Date.UTC(2020, 0, 2, 3, 4, 5)],
    ['2020-01-02T03:04z', Date.UTC(2020, 0, 2, 3, 4)],
    ['2020-01-02T03:04:05+02:00', Date.UTC(2020, 0, 2, 1, 4, 5)],
    ['2020-01-02T03:04:05-02:30', Date.UTC(2020, 0, 2, 5, 34, 5)],
    ['2020-01-02T03:04:05+0530', Date.UTC(2020, 0, 1, 21, 34, 5)],
    ['2020-01-02T03:04:05-05', Date.UTC(2020, 0, 2, 8, 4, 5)],
    ['2020-01-01T00:30:00+01:00', Date.UTC(2019, 11, 31, 23, 30)],
  ];
  const invalid = [
    '',
    'today',
    '20200102',
    '2020-1-02',
    '2019-02-29',
    '2100-02-29',
    '2020-00-10',
    '2020-13-01',
    '2020-01-32',
    '2020-04-31',
    '2020-01-02T',
    '2020-01-02T10',
    '2020-01-02T24:00',
    '2020-01-02T10:60',
    '2020-01-02T10:00:60',
    '2020-01-02T10:00:00.',
    '2020-01-02T10:00:00ZZ',
    '2020-01-02T10:00:00+24:00',
    '2020-01-02T10:00:00+01:60',
    '2020-01-02T10:00:00 UTC',
    '2020-01-02X10:00',
    '01/02/2020',
  ];

  it('reads dates and date-times as UTC unless an offset or Z says otherwise', () => {
    for (const [text, expected] of cases) assert.equal(parseIso(text), expected, text);
  });

  it('a date-time without an offset is UTC, not the local time of the machine', () => {
    assert.equal(parseIso('2024-07-01T12:00'), Date.UTC(2024, 6, 1, 12));
    assert.equal(parseIso('2024-07-01T12:00'), parseIso('2024-07-01T12:00Z'));
    assert.equal(parseIso('2024-07-01T12:00'), parseIso('2024-07-01T14:00+02:00'));
  });

  it('refuses everything else with NaN', () => {
    for (const text of invalid) assert.ok(Number.isNaN(parseIso(text)), JSON.stringify(text));
  });

  it('allows surrounding spaces; parseIsoSpan reads a slice of a longer text exactly', () => {
    assert.equal(parseIso('  2020-01-02T03:04:05Z \t'), Date.UTC(2020, 0, 2, 3, 4, 5));
    const text = 'x,2020-01-02T03:04:05+01:00,y';
    assert.equal(parseIsoSpan(text, 2, 27), Date.UTC(2020, 0, 2, 2, 4, 5));
    assert.ok(Number.isNaN(parseIsoSpan(text, 1, 27)));
    assert.ok(Number.isNaN(parseIsoSpan(' 2020-01-02', 0, 11)), 'the span itself is not trimmed');
  });

  it('the price loader and the weights file read every form exactly as parseIso does', () => {
    for (const [text, expected] of cases) {
      assert.equal(viaPriceFile(text), expected, `price file: ${text}`);
      // The weights file splits at every comma (no quoting), so it cannot hold a comma fraction.
      if (!text.includes(',')) assert.equal(viaWeightsFile(text), expected, `weights file: ${text}`);
    }
    for (const text of invalid.filter((t) => t !== '' && !t.includes(','))) {
      assert.throws(() => viaPriceFile(text), InputError, `price file: ${text}`);
      assert.throws(() => viaWeightsFile(text), InputError, `weights file: ${text}`);
    }
  });

  it('a bare date starts at midnight UTC and, as an end bound, covers the whole day', () => {
    assert.equal(isBareDate(' 2020-01-02 '), true);
    assert.equal(isBareDate('2020-01-02T00:00'), false);
    assert.equal(parseBound('2020-01-02', 'start'), Date.UTC(2020, 0, 2));
    assert.equal(parseBound('2020-01-02', 'end'), Date.UTC(2020, 0, 3) - 1);
    assert.equal(parseBound('2020-01-02T00:00Z', 'end'), Date.UTC(2020, 0, 2), 'an explicit time is exact');
    assert.ok(Number.isNaN(parseBound('2020-02-30', 'end')));
    assert.equal(parseBound('2020-01-02T10:00+02:00', 'start'), Date.UTC(2020, 0, 2, 8));
  });

  it('parseWindow validates both bounds in one sentence that names no option', () => {
    assert.equal(parseWindow(undefined, undefined), undefined);
    assert.equal(parseWindow(' ', ''), undefined);
    assert.deepEqual(parseWindow('2020-01-02', '2020-01-02'), { start: '2020-01-02', end: '2020-01-02', startMs: Date.UTC(2020, 0, 2), endMs: Date.UTC(2020, 0, 3) - 1 });
    assert.deepEqual(parseWindow(undefined, '2020-01-02'), { start: undefined, end: '2020-01-02', startMs: -Infinity, endMs: Date.UTC(2020, 0, 3) - 1 });
    const refused = (start: string | undefined, end: string | undefined, message: string) =>
      assert.throws(
        () => parseWindow(start, end),
        (err: Error) => err instanceof InputError && err.kind === 'invalid' && err.message === message && !err.message.includes('--'),
      );
    refused('x', undefined, 'The window start "x" is not an ISO date or datetime (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with an optional Z or ±hh:mm offset).');
    refused(undefined, '2020-02-30', 'The window end "2020-02-30" is not an ISO date or datetime (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with an optional Z or ±hh:mm offset).');
    refused('2020-01-03', '2020-01-02', 'The window start 2020-01-03 is after its end 2020-01-02.');
    // The same day as start and end is a whole day, not an empty window.
    assert.ok(parseWindow('2020-01-02T23:00', '2020-01-02'));
  });

  it('formatTimestamp shows a midnight as a date and anything else as an ISO date-time', () => {
    assert.equal(formatTimestamp(Date.UTC(2020, 0, 2)), '2020-01-02');
    assert.equal(formatTimestamp(Date.UTC(2020, 0, 2, 14, 30)), '2020-01-02T14:30:00Z');
    assert.equal(formatTimestamp(Date.UTC(2020, 0, 2, 14, 30, 0, 5)), '2020-01-02T14:30:00.005Z');
    assert.equal(DAY_MS, 86_400_000);
  });

  describe('windows on intraday bars: the canary and the precheck cut the same bars', () => {
    // Hourly bars, 14:00 to 20:00 UTC, on five weekdays: 2024-01-01 .. 2024-01-05.
    const rows: string[] = [];
    let price = 100;
    for (let day = 1; day <= 5; day += 1) {
      for (let hour = 14; hour <= 20; hour += 1) {
        price *= 1 + 0.002 * Math.sin(day * 7 + hour);
        const p = price.toFixed(4);
        rows.push(`2024-01-0${day}T${hour}:00:00Z,${p},${p},${p},${p},1000`);
      }
    }
    const load = (window: { start?: string; end?: string } = {}) => {
      const file = join(tempDir(), 'SPY.csv');
      writeFileSync(file, `datetime,open,high,low,close,volume\n${rows.join('\n')}\n`);
      return loadPrices(file, { universe: ['SPY'], ...window });
    };
    const config = CanaryConfigSchema.parse({});
    const strategy = parseStrategy({ name: 'intraday', version: '1', universe: ['SPY'], bar: '1h', signal: { type: 'buy_and_hold' } }, 'strategy.json', __dirname);

    it('a bare end date includes that day’s bars in both windows', async () => {
      const frame = load();
      const precheckFrame = load({ start: '2024-01-02', end: '2024-01-03' });
      assert.equal(precheckFrame.times.length, 14);
      assert.equal(precheckFrame.times[0], Date.UTC(2024, 0, 2, 14));
      assert.equal(precheckFrame.times[13], Date.UTC(2024, 0, 3, 20));
      const window = canaryWindow(frame, config, '2024-01-02', '2024-01-03');
      assert.equal(window.start, Date.UTC(2024, 0, 2));
      assert.equal(window.end, Date.UTC(2024, 0, 4) - 1);
      const report = await runCanary({ strategy, frame, start: '2024-01-02', end: '2024-01-03', config, baseline: { note: 'none' } });
      assert.equal(report.window.bars, precheckFrame.times.length);
      assert.equal(report.window.start, new Date(precheckFrame.times[0]).toISOString());
      assert.equal(report.window.end, new Date(precheckFrame.times[13]).toISOString());
      // priceWindow (the precheck's cut of a loaded frame) agrees as well.
      assert.deepEqual(Array.from(priceWindow(frame, '2024-01-02', '2024-01-03').times), Array.from(precheckFrame.times));
    });

    it('a bare end date alone: the canary takes the last share of bars up to the end of that day', async () => {
      const frame = load();
      const report = await runCanary({ strategy, frame, end: '2024-01-04', config, baseline: { note: 'none' } });
      assert.equal(report.window.end, new Date(Date.UTC(2024, 0, 4, 20)).toISOString());
      assert.equal(report.window.bars, Math.round(frame.times.length * config.window));
    });

    it('date-times without an offset are UTC in the canary as in the precheck', async () => {
      const frame = load();
      const start = '2024-01-03T15:00';
      const end = '2024-01-03T18:30';
      const report = await runCanary({ strategy, frame, start, end, config, baseline: { note: 'none' } });
      const precheckFrame = load({ start, end });
      assert.equal(report.window.bars, 4);
      assert.equal(precheckFrame.times.length, 4);
      assert.equal(report.window.start, new Date(Date.UTC(2024, 0, 3, 15)).toISOString());
      assert.equal(report.window.end, new Date(Date.UTC(2024, 0, 3, 18)).toISOString());
      const offset = await runCanary({ strategy, frame, start: '2024-01-03T10:00-05:00', end: '2024-01-03T13:30-05:00', config, baseline: { note: 'none' } });
      assert.equal(offset.window.bars, 4);
      assert.equal(offset.window.start, report.window.start);
    });

    it('bad canary bounds are the same sentences as the precheck’s', async () => {
      const frame = load();
      await assert.rejects(runCanary({ strategy, frame, start: 'yesterday', config, baseline: { note: 'none' } }), {
        message: /^The window start "yesterday" is not an ISO date or datetime/,
      });
      await assert.rejects(runCanary({ strategy, frame, start: '2024-01-04', end: '2024-01-03', config, baseline: { note: 'none' } }), {
        message: 'The window start 2024-01-04 is after its end 2024-01-03.',
      });
      assert.throws(() => load({ start: '2024-01-04', end: '2024-01-03' }), { message: 'The window start 2024-01-04 is after its end 2024-01-03.' });
    });
  });
});
