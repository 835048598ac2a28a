import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { CONFIG_FILE_NAME } from '../core/release/config';
import { defaultPython } from '../core/backtest/engines/python';
import { ENGINE_CHOICES, type EngineChoice } from '../core/backtest/engines/select';
import { InputError, InternalError, RefusedError, isQraftError } from '../core/shared/errors';
import { wordError } from './words';
import { canaryFiles, precheckFiles } from '../core/evidence/runFiles';
import { formatCurrent, formatHistory, formatProposal, formatPublish, formatRollback, formatVerify } from '../core/release/text';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT } from '../core/release/service';
import { formatCanary, formatPrecheck } from '../core/evidence/reportText';
import { DEFAULT_REPORTS_DIR } from '../core/evidence/reports/store';
import { type QraftWorkspace, openWorkspace } from '../core/release/workspace';

type Format = 'text' | 'json';
type Options = Record<string, string | boolean | string[] | undefined>;

interface Outcome {
  json: unknown;
  text: string;
  exitCode?: 0 | 1;
}

interface Subcommand {
  usage: string;
  summary: string;
  options: string[];
  run(options: Options, workspace: () => QraftWorkspace, format: Format): Promise<Outcome> | Outcome;
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
  strategy: { type: 'string' },
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
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const STORE_OPTIONS = ['pool-root', 'deploy-dir', 'reports-dir', 'config', 'set'];
const DATA_OPTIONS = ['strategy', 'prices', 'symbol', 'start', 'end'];

function required(options: Options, name: string, subcommand: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(`qraft deploy ${subcommand} needs --${name}.`);
  return value;
}

function optional(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

function positiveNumber(options: Options, name: string): number | undefined {
  const raw = optional(options, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InputError(`--${name} must be a positive number, not "${raw}".`);
  return value;
}

function engineChoice(options: Options): EngineChoice {
  const raw = optional(options, 'engine') ?? 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(raw)) throw new InputError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, not "${raw}".`);
  return raw as EngineChoice;
}

/** Step names on stderr while a long run works, when a person is watching a terminal. */
function progressReporter(format: Format, what: string): ((step: string) => void) | undefined {
  if (format !== 'text' || !process.stderr.isTTY) return undefined;
  return (step) => process.stderr.write(`${what}: ${step}…\n`);
}

function evidenceRequest(options: Options, workspace: QraftWorkspace, subcommand: string) {
  return {
    strategyPath: required(options, 'strategy', subcommand),
    pricesPath: required(options, 'prices', subcommand),
    symbol: optional(options, 'symbol'),
    start: optional(options, 'start'),
    end: optional(options, 'end'),
    config: workspace.config,
    reportsDir: workspace.reportsDir,
  };
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  precheck: {
    usage: 'precheck --strategy strategy.json --prices prices.csv [--start DATE] [--end DATE] [--engine auto|builtin|nautilus] [--python PATH] [--base-cash N]',
    summary: 'Run the quality gates (consistency, cold_start, cost_sensitivity, leakage); exit 1 when one fails.',
    options: [...DATA_OPTIONS, 'engine', 'python', 'base-cash', ...STORE_OPTIONS],
    async run(options, workspace, format) {
      const ws = workspace();
      const saved = await precheckFiles({
        ...evidenceRequest(options, ws, 'precheck'),
        engine: engineChoice(options),
        python: optional(options, 'python') ?? defaultPython(process.cwd()),
        cash: positiveNumber(options, 'base-cash'),
        progress: progressReporter(format, 'precheck'),
      });
      return { json: { ...saved.report, report_hash: saved.report_hash, report_path: saved.path }, text: formatPrecheck(saved.report, saved.path), exitCode: saved.report.passed ? 0 : 1 };
    },
  },
  canary: {
    usage: 'canary --strategy strategy.json --prices prices.csv [--cash-ratio R] [--base-cash N] [--start DATE] [--end DATE]',
    summary: 'Paper-trade the recent window with small capital against CURRENT; exit 1 on a fail verdict.',
    options: [...DATA_OPTIONS, 'cash-ratio', 'base-cash', ...STORE_OPTIONS],
    async run(options, workspace, format) {
      const ws = workspace();
      const baseCash = positiveNumber(options, 'base-cash');
      const cashRatio = positiveNumber(options, 'cash-ratio');
      if (cashRatio !== undefined && cashRatio > 1) throw new InputError(`--cash-ratio must be at most 1, not ${cashRatio}.`);
      const config = { ...ws.config, canary: { ...ws.config.canary, ...(baseCash ? { base_cash: baseCash } : {}), ...(cashRatio ? { cash_ratio: cashRatio } : {}) } };
      const saved = await canaryFiles({ ...evidenceRequest(options, ws, 'canary'), config, release: ws.release, progress: progressReporter(format, 'canary') });
      return { json: { ...saved.report, report_hash: saved.report_hash, report_path: saved.path }, text: formatCanary(saved.report, saved.path), exitCode: saved.report.verdict === 'fail' ? 1 : 0 };
    },
  },
  propose: {
    usage: 'propose --payload strategy.json --metadata metadata.json',
    summary: 'Put a strategy and its evidence (latest precheck and canary) into the pool as a content-addressed candidate.',
    options: ['payload', 'metadata', ...STORE_OPTIONS],
    run(options, workspace) {
      const result = workspace().release.proposeFiles(required(options, 'payload', 'propose'), required(options, 'metadata', 'propose'));
      return { json: result, text: formatProposal(result) };
    },
  },
  'approve-and-publish': {
    usage: 'approve-and-publish --hash HASH --approver NAME [--note TEXT] [--force]',
    summary: 'Approve a candidate as a stable version and make it CURRENT.',
    options: ['hash', 'approver', 'note', 'force', ...STORE_OPTIONS],
    async run(options, workspace) {
      if (options.force === true && !optional(options, 'note')?.trim()) throw new InputError('--force needs a --note saying why the refusals are overridden.');
      const result = await workspace().release.approveAndPublish({
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
    async run(_options, workspace) {
      const current = await workspace().release.current();
      return { json: current, text: formatCurrent(current) };
    },
  },
  history: {
    usage: 'history',
    summary: 'Show every publish and rollback, newest first.',
    options: STORE_OPTIONS,
    async run(_options, workspace) {
      const history = await workspace().release.history();
      return { json: history, text: formatHistory(history) };
    },
  },
  rollback: {
    usage: 'rollback [--to HASH] [--approver NAME] [--note TEXT]',
    summary: 'Return to the previous version, or to an earlier one with --to.',
    options: ['to', 'hash', 'approver', 'note', ...STORE_OPTIONS],
    async run(options, workspace) {
      const result = await workspace().release.rollback({
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
    async run(_options, workspace) {
      const report = await workspace().release.verify();
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
    `  --reports-dir DIR    precheck and canary reports (default ${DEFAULT_REPORTS_DIR})`,
    `  --config FILE        gate thresholds, canary limits, approval policy (default ./${CONFIG_FILE_NAME} when present)`,
    '  --set KEY=VALUE      override one setting, e.g. --set gates.consistency.tolerance=0.05 (repeatable)',
    '  --fmt text|json      output format (default text)',
    '',
    'Exit codes: 0 success, 1 failed gate or refused action, 2 bad input, 3 internal error.',
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
      // parseArgs explains some errors over several lines; the CLI prints one sentence.
      const reason = unknown ? `Unknown option ${unknown[1]}` : (err as Error).message.split('\n')[0].replace(/\.$/, '');
      throw new InputError(`${reason}. Run "qraft deploy --help" for the options.`);
    }
    const { values, positionals } = parsed;
    format = parseFormat(values.fmt);
    if (values.version) {
      process.stdout.write(`${require('../../package.json').version}\n`);
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
    const workspace = () =>
      openWorkspace({
        root: process.cwd(),
        poolRoot: optional(values, 'pool-root'),
        deployDir: optional(values, 'deploy-dir'),
        reportsDir: optional(values, 'reports-dir'),
        configPath: optional(values, 'config'),
        overrides: values.set,
      });
    const outcome = await subcommand.run(values, workspace, format);
    process.stdout.write((format === 'json' ? JSON.stringify(outcome.json, null, 2) : outcome.text) + '\n');
    return outcome.exitCode ?? 0;
  } catch (err) {
    if (isQraftError(err) && !(err instanceof InternalError)) {
      const sentence = wordError(err);
      process.stderr.write(`qraft: ${sentence}\n`);
      if (format === 'json') {
        const refusal = err instanceof RefusedError ? { refusal: err.refusal } : {};
        process.stdout.write(JSON.stringify({ error: sentence, exit_code: err.exitCode, ...refusal }) + '\n');
      }
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`qraft: internal error: ${message.replace(/\.$/, '')} (set QRAFT_DEBUG=1 to see where it happened).\n`);
    if (process.env.QRAFT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    if (format === 'json') process.stdout.write(JSON.stringify({ error: message, exit_code: 3 }) + '\n');
    return 3;
  }
}

if (require.main === module) {
  // `qraft … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 3;
    },
  );
}
