import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError, isQraftError } from './core/errors';
import { formatCurrent, formatHistory, formatProposal, formatPublish, formatRollback, formatVerify } from './core/format';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT, ReleaseService } from './core/release';
import { userInfo } from 'node:os';

type Format = 'text' | 'json';
type Options = Record<string, string | boolean | undefined>;

interface Outcome {
  json: unknown;
  text: string;
  exitCode?: 0 | 1;
}

interface Subcommand {
  usage: string;
  summary: string;
  options: string[];
  run(options: Options, release: () => ReleaseService): Promise<Outcome> | Outcome;
}

const OPTION_TYPES = {
  fmt: { type: 'string' },
  payload: { type: 'string' },
  metadata: { type: 'string' },
  'pool-root': { type: 'string' },
  'deploy-dir': { type: 'string' },
  hash: { type: 'string' },
  to: { type: 'string' },
  approver: { type: 'string' },
  note: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const STORE_OPTIONS = ['pool-root', 'deploy-dir'];

function required(options: Options, name: string, subcommand: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(`qraft deploy ${subcommand} needs --${name}.`);
  return value;
}

function optional(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  propose: {
    usage: 'propose --payload strategy.json --metadata metadata.json',
    summary: 'Put a strategy and its evidence into the pool as a content-addressed candidate.',
    options: ['payload', 'metadata', ...STORE_OPTIONS],
    run(options, release) {
      const result = release().proposeFiles(required(options, 'payload', 'propose'), required(options, 'metadata', 'propose'));
      return { json: result, text: formatProposal(result) };
    },
  },
  'approve-and-publish': {
    usage: 'approve-and-publish --hash HASH --approver NAME [--note TEXT] [--force]',
    summary: 'Approve a candidate as a stable version and make it CURRENT.',
    options: ['hash', 'approver', 'note', 'force', ...STORE_OPTIONS],
    async run(options, release) {
      const result = await release().approveAndPublish({
        hash: required(options, 'hash', 'approve-and-publish'),
        approver: required(options, 'approver', 'approve-and-publish'),
        note: optional(options, 'note'),
        force: options.force === true,
      });
      return { json: result, text: formatPublish(result) };
    },
  },
  current: {
    usage: 'current',
    summary: 'Show the live release.',
    options: STORE_OPTIONS,
    async run(_options, release) {
      const current = await release().current();
      return { json: current, text: formatCurrent(current) };
    },
  },
  history: {
    usage: 'history',
    summary: 'Show every publish and rollback, newest first.',
    options: STORE_OPTIONS,
    async run(_options, release) {
      const history = await release().history();
      return { json: history, text: formatHistory(history) };
    },
  },
  rollback: {
    usage: 'rollback [--to HASH] [--approver NAME] [--note TEXT]',
    summary: 'Return to the previous version, or to an earlier one with --to.',
    options: ['to', 'hash', 'approver', 'note', ...STORE_OPTIONS],
    async run(options, release) {
      const result = await release().rollback({
        to: optional(options, 'to') ?? optional(options, 'hash'),
        actor: optional(options, 'approver') ?? process.env.QRAFT_ACTOR ?? userInfo().username,
        note: optional(options, 'note'),
      });
      return { json: result, text: formatRollback(result) };
    },
  },
  verify: {
    usage: 'verify',
    summary: 'Check the HISTORY hash chain and that CURRENT agrees with it.',
    options: STORE_OPTIONS,
    async run(_options, release) {
      const report = await release().verify();
      return { json: report, text: formatVerify(report), exitCode: report.ok ? 0 : 1 };
    },
  },
};

function helpText(): string {
  const lines = ['Usage: qraft deploy <subcommand> [options] [--fmt text|json]', '', 'Subcommands:'];
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(20)} ${sub.summary}`, `  ${''.padEnd(20)}   qraft deploy ${sub.usage}`);
  lines.push(
    '',
    'Common options:',
    `  --pool-root DIR      strategy pool (default ${DEFAULT_POOL_ROOT})`,
    `  --deploy-dir DIR     CURRENT.json and HISTORY.json (default ${DEFAULT_DEPLOY_DIR})`,
    '  --fmt text|json      output format (default text)',
    '',
    'Exit codes: 0 success, 1 failed gate or refused action, 2 bad input.',
  );
  return lines.join('\n');
}

function parseFormat(value: string | boolean | undefined): Format {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new InputError(`--fmt must be text or json, not "${String(value)}".`);
}

/** Runs one invocation; returns the exit code. Writes results to stdout and errors to stderr. */
export async function main(argv: string[]): Promise<number> {
  let format: Format = 'text';
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTION_TYPES, allowPositionals: true, strict: true });
    } catch (err) {
      const unknown = /Unknown option '([^']+)'/.exec((err as Error).message);
      const reason = unknown ? `Unknown option ${unknown[1]}` : (err as Error).message.replace(/\.$/, '');
      throw new InputError(`${reason}. Run "qraft deploy --help" for the options.`);
    }
    const { values, positionals } = parsed;
    format = parseFormat(values.fmt);
    if (values.version) {
      process.stdout.write(`${require('../package.json').version}\n`);
      return 0;
    }
    const [group, name, ...extra] = positionals;
    if (values.help || group === undefined || (group === 'deploy' && name === undefined)) {
      process.stdout.write(helpText() + '\n');
      return group === undefined && !values.help ? 2 : 0;
    }
    if (group !== 'deploy') throw new InputError(`Unknown command "${group}"; the commands are under "qraft deploy".`);
    const subcommand = SUBCOMMANDS[name];
    if (!subcommand) throw new InputError(`Unknown subcommand "${name}"; expected one of ${Object.keys(SUBCOMMANDS).join(', ')}.`);
    if (extra.length > 0) throw new InputError(`Unexpected argument "${extra[0]}" for qraft deploy ${name}.`);
    for (const key of Object.keys(values)) {
      if (key !== 'fmt' && key !== 'help' && values[key as keyof typeof values] !== undefined && !subcommand.options.includes(key)) {
        throw new InputError(`--${key} is not an option of qraft deploy ${name}.`);
      }
    }
    const release = () =>
      new ReleaseService({
        poolRoot: resolve(optional(values, 'pool-root') ?? DEFAULT_POOL_ROOT),
        deployDir: resolve(optional(values, 'deploy-dir') ?? DEFAULT_DEPLOY_DIR),
      });
    const outcome = await subcommand.run(values, release);
    process.stdout.write((format === 'json' ? JSON.stringify(outcome.json, null, 2) : outcome.text) + '\n');
    return outcome.exitCode ?? 0;
  } catch (err) {
    if (isQraftError(err)) {
      process.stderr.write(`qraft: ${err.message}\n`);
      if (format === 'json') process.stdout.write(JSON.stringify({ error: err.message, exit_code: err.exitCode }) + '\n');
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`qraft: internal error: ${message} (set QRAFT_DEBUG=1 to see where it happened).\n`);
    if (process.env.QRAFT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
