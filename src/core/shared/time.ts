/**
 * Timestamps: the one parser of ISO dates and date-times. Every time the user writes (price and
 * weights files, window bounds) goes through it, so they all mean the same instant:
 *
 * - `YYYY-MM-DD` is that day's midnight UTC; as the END of a window it covers the whole day;
 * - `YYYY-MM-DD[T ]HH:MM[:SS[.fff…]]` is UTC unless it carries `Z` or an offset `±hh[:mm]`
 *   (`T` or `t`, `.` or `,` before the fraction; digits past milliseconds are dropped).
 *
 * The price loader parses millions of cells: `parseIsoBytes` reads a slice of its byte buffer
 * without allocating; text (`parseIsoSpan`, `parseIso`) goes through the same function.
 */
import { InputError } from './errors';

export const DAY_MS = 86_400_000;

/** What a timestamp may look like, for messages. */
export const ISO_FORMATS = 'YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with an optional Z or ±hh:mm offset';

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Two decimal digits at bytes[i], or -1 (NaN past the end: rejected by the caller's later checks). */
function twoDigits(bytes: Uint8Array, i: number): number {
  const a = bytes[i] - 48;
  const b = bytes[i + 1] - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * The ISO date or date-time in bytes[s, e) (ASCII) as ms since the epoch, or NaN when it is not
 * exactly one (no surrounding spaces). See the module comment for the accepted forms.
 */
export function parseIsoBytes(bytes: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n < 10) return NaN;
  const hi = twoDigits(bytes, s);
  const lo = twoDigits(bytes, s + 2);
  const month = twoDigits(bytes, s + 5);
  const day = twoDigits(bytes, s + 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return NaN;
  if (bytes[s + 4] !== 45 || bytes[s + 7] !== 45) return NaN;
  const year = hi * 100 + lo;
  if (day > daysInMonth(year, month)) return NaN;
  const date = daysFromCivil(year, month, day) * DAY_MS;
  if (n === 10) return date;
  return parseClockBytes(bytes, s + 10, e, date);
}

function parseClockBytes(bytes: Uint8Array, i: number, e: number, date: number): number {
  const sep = bytes[i];
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return NaN;
  i += 1;
  if (e - i < 5 || bytes[i + 2] !== 58 /* : */) return NaN;
  const hour = twoDigits(bytes, i);
  const minute = twoDigits(bytes, i + 3);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  i += 5;
  let second = 0;
  let millis = 0;
  if (i < e && bytes[i] === 58) {
    if (i + 3 > e) return NaN;
    second = twoDigits(bytes, i + 1);
    if (second < 0 || second > 59) return NaN;
    i += 3;
    if (i < e && (bytes[i] === 46 || bytes[i] === 44) /* . or , */) {
      i += 1;
      let places = 0;
      for (; i < e; i += 1) {
        const d = bytes[i] - 48;
        if (d < 0 || d > 9) break;
        if (places < 3) millis = millis * 10 + d;
        places += 1;
      }
      if (places === 0) return NaN;
      for (; places < 3; places += 1) millis *= 10;
    }
  }
  let offset = 0;
  if (i < e) {
    const c = bytes[i];
    if ((c === 90 /* Z */ || c === 122) && i + 1 === e) {
      i += 1;
    } else if (c === 43 || c === 45) {
      if (i + 3 > e) return NaN;
      const oh = twoDigits(bytes, i + 1);
      if (oh < 0 || oh > 23) return NaN;
      let om = 0;
      i += 3;
      if (i < e) {
        if (bytes[i] === 58) i += 1;
        if (i + 2 !== e) return NaN;
        om = twoDigits(bytes, i);
        if (om < 0 || om > 59) return NaN;
        i += 2;
      }
      offset = (c === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return NaN;
    }
  }
  if (i !== e) return NaN;
  return date + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset * 60_000;
}

let scratch = new Uint8Array(64);

/** parseIsoBytes over text[s, e): the same parser for what users type and what files hold. */
export function parseIsoSpan(text: string, s: number, e: number): number {
  const n = e - s;
  if (n < 10) return NaN;
  if (n > scratch.length) scratch = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const code = text.charCodeAt(s + i);
    if (code > 127) return NaN; // timestamps are ASCII; a wider char must not alias a digit
    scratch[i] = code;
  }
  return parseIsoBytes(scratch, 0, n);
}

/** An ISO date or date-time as ms since the epoch (UTC unless it says otherwise), or NaN. Surrounding spaces are allowed. */
export function parseIso(value: string): number {
  const trimmed = value.trim();
  return parseIsoSpan(trimmed, 0, trimmed.length);
}

/** True when the value is a bare date (YYYY-MM-DD, no time of day). */
export function isBareDate(value: string): boolean {
  return value.trim().length === 10;
}

/** Which end of a window a bound is. */
export type BoundSide = 'start' | 'end';

/**
 * A window bound as ms since the epoch, or NaN when it is not an ISO date or date-time. A bare
 * date starts at its midnight UTC; as the end it covers that whole day (its last millisecond).
 */
export function parseBound(value: string, side: BoundSide): number {
  const ms = parseIso(value);
  return side === 'end' && isBareDate(value) && !Number.isNaN(ms) ? ms + DAY_MS - 1 : ms;
}

/** Inclusive window bounds in ms; -Infinity / Infinity where a side is not given. */
export interface TimeWindow {
  /** The bounds as given (trimmed), for messages; undefined where not given. */
  start?: string;
  end?: string;
  startMs: number;
  endMs: number;
}

/**
 * Validates a window's bounds (blank counts as not given); undefined when neither is given.
 * Throws an InputError of one sentence for a bound that is not a timestamp or a start after the end.
 */
export function parseWindow(start: string | undefined, end: string | undefined): TimeWindow | undefined {
  const from = start?.trim() || undefined;
  const to = end?.trim() || undefined;
  if (from === undefined && to === undefined) return undefined;
  const bound = (value: string | undefined, side: BoundSide): number => {
    if (value === undefined) return side === 'start' ? -Infinity : Infinity;
    const ms = parseBound(value, side);
    if (Number.isNaN(ms)) throw new InputError(`The window ${side} ${JSON.stringify(value)} is not an ISO date or datetime (expected ${ISO_FORMATS}).`);
    return ms;
  };
  const startMs = bound(from, 'start');
  const endMs = bound(to, 'end');
  if (startMs > endMs) throw new InputError(`The window start ${from} is after its end ${to}.`);
  return { start: from, end: to, startMs, endMs };
}

/** A timestamp for messages: YYYY-MM-DD at midnight UTC, else the ISO date-time (without .000). */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (ms % DAY_MS === 0) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}
