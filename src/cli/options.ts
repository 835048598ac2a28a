import { existsSync, readdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseJobs } from '../core/backtest/tasks/local';
import { ENGINE_CHOICES, type EngineChoice } from '../core/backtest/engines/select';
import type { ConfigOverrides } from '../core/release/config';
import { expandPath, gitSigningKey } from '../core/release/signing';
import { InputError } from '../core/shared/errors';
import { isFullHash } from '../core/shared/hashing';
import { ISO_FORMATS, parseIso } from '../core/shared/time';

export type Format = 'text' | 'json';
export type Options = Record<string, string | boolean | string[] | undefined>;

/** Every option of every subcommand, for node:util parseArgs. */
export const OPTION_TYPES = {
  fmt: { type: 'string' },
  payload: { type: 'string' },
  metadata: { type: 'string' },
  'pool-root': { type: 'string' },
  'deploy-dir': { type: 'string' },
  store: { type: 'string' },
  hash: { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  approver: { type: 'string' },
  note: { type: 'string' },
  force: { type: 'boolean' },
  strategy: { type: 'string', multiple: true },
  jobs: { type: 'string' },
  ray: { type: 'string' },
  prices: { type: 'string' },
  symbol: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  engine: { type: 'string' },
  python: { type: 'string' },
  'base-cash': { type: 'string' },
  'cash-ratio': { type: 'string' },
  'reports-dir': { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'expect-head': { type: 'string' },
  'sign-key': { type: 'string' },
  html: { type: 'string' },
  'dry-run': { type: 'boolean' },
  order: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/**
 * node:util parseArgs refuses a string option's value that starts with '-' (`--cash-ratio -0.1`:
 * "argument is ambiguous"). Such a value is joined to its option (`--cash-ratio=-0.1`), so the
 * option's own check words the error; a following token that is itself an option stays one.
 */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i];
    const next = argv[i + 1];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : undefined;
    const spec = name === undefined ? undefined : (OPTION_TYPES as Record<string, { type: string }>)[name];
    if (spec?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '--' && !isOptionToken(next)) {
      out.push(`${token}=${next}`);
      i += 1;
    } else out.push(token);
  }
  return out;
}

function isOptionToken(token: string): boolean {
  if (token === '-h') return true;
  if (!token.startsWith('--')) return false;
  return token.slice(2).split('=')[0] in OPTION_TYPES;
}

/** --order for history: newest first (the default) or oldest first. */
export function historyOrder(options: Options): 'newest' | 'oldest' {
  const raw = optional(options, 'order') ?? 'newest';
  if (raw !== 'newest' && raw !== 'oldest') throw new InputError(`--order must be newest or oldest, not "${raw}".`);
  return raw;
}

/** The key that signs an approval or rollback: --sign-key, else git's SSH signing key, else none. */
export function signKey(options: Options): string | undefined {
  const given = optional(options, 'sign-key');
  if (given !== undefined) {
    if (given.trim() === '') throw new InputError('--sign-key needs the path of an SSH key.');
    return expandPath(given, process.cwd());
  }
  return gitSigningKey(process.cwd());
}

/** --expect-head: the full hash of the entry HISTORY must end with. */
export function expectedHead(options: Options): string | undefined {
  const value = optional(options, 'expect-head');
  if (value === undefined) return undefined;
  const hash = value.trim().toLowerCase();
  if (!isFullHash(hash)) throw new InputError(`--expect-head "${value}" is not an entry hash: expected the 64 hex characters a write printed as its head.`);
  return hash;
}

/** Who acts when no name is given: $QRAFT_ACTOR, else the OS user. */
export function defaultActor(): string {
  return process.env.QRAFT_ACTOR?.trim() || userInfo().username;
}

export function required(options: Options, name: string, subcommand: string): string {
  const value = single(options, name, subcommand);
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(`qraft deploy ${subcommand} needs --${name}.`);
  return value;
}

export function optional(options: Options, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable option where one value is expected: the value, or a sentence when it was given twice. */
function single(options: Options, name: string, subcommand: string): Options[string] {
  const value = options[name];
  if (!Array.isArray(value)) return value;
  if (value.length > 1) throw new InputError(`qraft deploy ${subcommand} takes one --${name}, not ${value.length}.`);
  return value[0];
}

/** Every --strategy: files as given, and a folder's strategy files (strategy.json, *.strategy.json, and DIR/<name>/strategy.json). */
export function strategyPaths(options: Options, subcommand: string): string[] {
  const raw = options.strategy;
  const given = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  if (given.length === 0 || given.some((value) => value.trim() === '')) throw new InputError(`qraft deploy ${subcommand} needs --strategy.`);
  const paths: string[] = [];
  for (const path of given) {
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      paths.push(path);
      continue;
    }
    const found: string[] = [];
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isFile() && (entry.name === 'strategy.json' || entry.name.endsWith('.strategy.json'))) found.push(join(path, entry.name));
      else if (entry.isDirectory() && existsSync(join(path, entry.name, 'strategy.json'))) found.push(join(path, entry.name, 'strategy.json'));
    }
    if (found.length === 0) throw new InputError(`--strategy ${path} is a folder without strategy files (strategy.json, *.strategy.json, or <name>/strategy.json).`);
    paths.push(...found);
  }
  return [...new Set(paths)];
}

/** --jobs: how many tasks run at once on this machine (default: the core count). */
export function jobsOption(options: Options): number | undefined {
  const raw = optional(options, 'jobs');
  return raw === undefined ? undefined : parseJobs(raw, '--jobs');
}

export function positiveNumber(options: Options, name: string): number | undefined {
  const raw = optional(options, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InputError(`--${name} must be a positive number, not "${raw}".`);
  return value;
}

/** A date option (--start, --end): checked here, so that the message names the option. */
export function isoDate(options: Options, name: string): string | undefined {
  const value = optional(options, name);
  if (value !== undefined && value.trim() !== '' && Number.isNaN(parseIso(value))) {
    throw new InputError(`--${name} "${value}" is not an ISO date or datetime (expected ${ISO_FORMATS}).`);
  }
  return value;
}

export function engineChoice(options: Options): EngineChoice {
  const raw = optional(options, 'engine') ?? 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(raw)) throw new InputError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, not "${raw}".`);
  return raw as EngineChoice;
}

export function parseFormat(value: string | boolean | undefined): Format {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new InputError(`--fmt must be text or json, not "${String(value)}".`);
}

/**
 * `--set section.key=value` options as config overrides: a number, a boolean, a word (an enum such
 * as approval.recheck=none) or a [list] of numbers at a dotted key, e.g. "gates.consistency.tolerance=0.05". The config schema then
 * validates the result with the file.
 */
export function parseSetOptions(settings: readonly string[] | undefined): ConfigOverrides | undefined {
  if (!settings?.length) return undefined;
  const document: Record<string, unknown> = {};
  for (const setting of settings) {
    const match = /^([a-z_]+(?:\.[a-z_]+)+)=(.+)$/.exec(setting.trim());
    if (!match) throw new InputError(`--set "${setting}" must look like section.key=value, e.g. gates.consistency.tolerance=0.05.`);
    const [, key, raw] = match;
    let value: unknown;
    if (raw === 'true' || raw === 'false') value = raw === 'true';
    else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) value = Number(raw);
    else if (/^\[.*\]$/.test(raw)) value = raw.slice(1, -1).split(',').filter(Boolean).map(Number);
    else if (/^[a-z_]+$/.test(raw)) value = raw;
    else throw new InputError(`--set ${key}: "${raw}" is not a number, a boolean, a word or a [list] of numbers.`);
    const parts = key.split('.');
    let node = document;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node[part] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new InputError(`--set ${key}: ${part} is not a section.`);
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  // The config schema validates the shape (unknown keys, types) with the file.
  return document as ConfigOverrides;
}
