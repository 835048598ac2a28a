import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { loadStrategy } from '../core/backtest/strategy/load';
import { defaultPython } from '../core/backtest/engines/python';
import { canaryFiles, precheckFiles } from '../core/evidence/runFiles';
import { formatCanary, formatPrecheck } from '../core/evidence/reportText';
import { DEFAULT_REPORTS_DIR } from '../core/evidence/reports/store';
import { baselineSource } from '../core/release/baseline';
import { CONFIG_FILE_NAME } from '../core/release/config';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT } from '../core/release/service';
import { formatCurrent, formatHistory, formatProposal, formatPublish, formatRollback, formatVerify } from '../core/release/text';
import { formatDetails, formatDiff, formatListing, formatRejection } from '../core/release/registryText';
import { gitLineage } from '../core/release/lineage';
import type { QraftWorkspace } from '../core/release/workspace';
import { InputError } from '../core/shared/errors';
import { type Format, type Options, defaultActor, engineChoice, expectedHead, historyOrder, isoDate, jobsOption, optional, positiveNumber, required, signKey, strategyPaths } from './options';
import { LocalExecutor } from '../core/backtest/tasks/local';
import { RayExecutor, rayAddress } from '../core/backtest/tasks/ray';
import { OPTION_HELP } from './words';
import { reportSubcommand } from './report';
import { TRANSFER_SUBCOMMANDS } from './transfer';

export interface Outcome {
  json: unknown;
  text: string;
  exitCode?: 0 | 1;
  /** One sentence for stderr when the outcome is a failure (a failed verify). */
  error?: string;
}

export interface Subcommand {
  usage: string;
  summary: string;
  options: string[];
  /** The positional arguments it takes, all required (`show HASH`: ['HASH']); none when absent. */
  args?: string[];
  run(options: Options, workspace: () => QraftWorkspace, format: Format, args: string[]): Promise<Outcome> | Outcome;
}


const STORE_OPTIONS = ['store', 'pool-root', 'deploy-dir', 'reports-dir', 'config', 'set'];
const DATA_OPTIONS = ['strategy', 'prices', 'symbol', 'start', 'end'];





/** Step names on stderr while a long run works, when a person is watching a terminal. */
function progressReporter(format: Format, what: string): ((step: string) => void) | undefined {
  if (format !== 'text' || !process.stderr.isTTY) return undefined;
  // \r and erase-line: a step replaces the "tasks done/total" line being rewritten in place.
  return (step) => process.stderr.write(`\r\x1b[K${what}: ${step}…\n`);
}

/** "precheck: tasks 3/29" on stderr, rewritten in place, when a person is watching a terminal (not with --fmt json). */
function taskReporter(format: Format, what: string): { report?: (done: number, total: number) => void; end: () => void } {
  if (format !== 'text' || !process.stderr.isTTY) return { end: () => undefined };
  let shown = false;
  return {
    report: (done, total) => {
      shown = true;
      process.stderr.write(`\r\x1b[K${what}: tasks ${done}/${total}`);
    },
    end: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}

function evidenceRequest(options: Options, workspace: QraftWorkspace, subcommand: string, strategyPath = required(options, 'strategy', subcommand)) {
  return {
    strategyPath,
    pricesPath: required(options, 'prices', subcommand),
    symbol: optional(options, 'symbol'),
    start: isoDate(options, 'start'),
    end: isoDate(options, 'end'),
    config: workspace.config,
    reportsDir: workspace.reportsDir,
    workspaceRoot: workspace.root,
  };
}

/**
 * After a precheck or canary, the strategy is staged as the pool's payload.json (and a
 * metadata.json naming the proposer, when there is none), so that `propose` with the default
 * paths proposes what was just tested.
 */
function stageForPropose(ws: QraftWorkspace, strategyPath: string): { payload: string; metadata: string } {
  const { document } = loadStrategy(strategyPath);
  return ws.release.stage(document, defaultActor(), gitLineage(strategyPath));
}

function stagedText(staged: { payload: string; metadata: string }): string {
  const here = (path: string) => relative(process.cwd(), path) || path;
  return `  staged for propose: --payload ${here(staged.payload)} --metadata ${here(staged.metadata)}`;
}

export const SUBCOMMANDS: Record<string, Subcommand> = {
  precheck: {
    usage: 'precheck --strategy strategy.json|DIR [--strategy …] --prices prices.csv [--start DATE] [--end DATE] [--engine auto|builtin|nautilus] [--python PATH] [--base-cash N] [--jobs N] [--ray ADDRESS] [--sign-key KEY]',
    summary: 'Run the quality gates (consistency, cold_start, cost_sensitivity, leakage); exit 1 when one fails. Several --strategy (or a folder) make one report each. --sign-key signs the report (approval.evidence_signers).',
    options: [...DATA_OPTIONS, 'engine', 'python', 'base-cash', 'jobs', 'ray', 'sign-key', ...STORE_OPTIONS],
    async run(options, workspace, format) {
      const ws = workspace();
      const paths = strategyPaths(options, 'precheck');
      // Only an explicit key signs evidence (e.g. CI's); checked before the run, used after it.
      const reportKey = optional(options, 'sign-key') === undefined ? undefined : signKey(options);
      if (reportKey && !/^(key::|ssh-|ecdsa-|sk-)/.test(reportKey) && !existsSync(reportKey)) throw new InputError(`Cannot sign with ${reportKey}: no such key file.`);
      const python = optional(options, 'python') ?? defaultPython(process.cwd());
      const tasks = taskReporter(format, 'precheck');
      const local = new LocalExecutor({ jobs: jobsOption(options), onProgress: tasks.report });
      const address = rayAddress(optional(options, 'ray'));
      const executor = address ? new RayExecutor({ address, python, local }) : local;
      // Ctrl-C cancels: the runner processes live in process groups of their own, so they are killed here.
      const controller = new AbortController();
      const onInterrupt = () => controller.abort();
      process.once('SIGINT', onInterrupt);
      let saved;
      try {
        if (executor instanceof RayExecutor) await executor.connect();
        const request = (strategyPath: string) => ({
          ...evidenceRequest(options, ws, 'precheck', strategyPath),
          engine: engineChoice(options),
          python,
          cash: positiveNumber(options, 'base-cash'),
          progress: paths.length === 1 ? progressReporter(format, 'precheck') : undefined,
          executor,
          signal: controller.signal,
        });
        saved = await Promise.all(
          paths.map((path) =>
            precheckFiles(request(path)).catch((err: unknown) => {
              controller.abort();
              throw err;
            }),
          ),
        );
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        tasks.end();
        await executor.close();
      }
      const signed = saved.map((one) => (reportKey ? ws.release.signReport(one, reportKey) : undefined));
      const passed = saved.every((one) => one.report.passed);
      const jsonOf = (i: number) => ({ ...saved[i].report, report_hash: saved[i].report_hash, report_path: saved[i].path, ...(signed[i] ? { signature: signed[i].signature, signature_path: signed[i].path } : {}) });
      const textOf = (i: number) => `${formatPrecheck(saved[i].report, saved[i].path)}${signed[i] ? `\n  signed: ${relative(process.cwd(), signed[i].path) || signed[i].path}` : ''}`;
      if (paths.length === 1) {
        const staged = stageForPropose(ws, paths[0]);
        return { json: { ...jsonOf(0), staged }, text: `${textOf(0)}\n${stagedText(staged)}`, exitCode: passed ? 0 : 1 };
      }
      const failed = saved.filter((one) => !one.report.passed).length;
      const summary = `${saved.length} prechecks: ${saved.length - failed} passed, ${failed} failed (nothing staged for propose: precheck one strategy to stage it)`;
      return { json: { passed, reports: saved.map((_, i) => jsonOf(i)) }, text: [...saved.map((_, i) => textOf(i)), summary].join('\n\n'), exitCode: passed ? 0 : 1 };
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
      const saved = await canaryFiles({ ...evidenceRequest(options, ws, 'canary'), config, baseline: baselineSource(ws.release), progress: progressReporter(format, 'canary') });
      const staged = stageForPropose(ws, required(options, 'strategy', 'canary'));
      return { json: { ...saved.report, report_hash: saved.report_hash, report_path: saved.path, staged }, text: `${formatCanary(saved.report, saved.path)}\n${stagedText(staged)}`, exitCode: saved.report.verdict === 'fail' ? 1 : 0 };
    },
  },
  propose: {
    usage: 'propose [--payload strategy.json] [--metadata metadata.json]',
    summary: 'Put a strategy into the pool as a content-addressed candidate, with the newest precheck and canary of that payload as its evidence (default paths: what precheck staged in the pool).',
    options: ['payload', 'metadata', ...STORE_OPTIONS],
    async run(options, workspace) {
      const { release } = workspace();
      const staged = release.stagedFiles();
      const result = await release.proposeFiles(optional(options, 'payload') ?? staged.payload, optional(options, 'metadata') ?? staged.metadata);
      return { json: result, text: formatProposal(result) };
    },
  },
  'approve-and-publish': {
    usage: 'approve-and-publish --hash HASH --approver NAME [--note TEXT] [--force] [--prices CSV|DIR] [--python PATH] [--sign-key KEY] [--dry-run]',
    summary: 'Verify the candidate\'s evidence under the approval policy, approve it as a stable version and make it CURRENT; prints the new HISTORY head. --dry-run checks everything and writes nothing.',
    options: ['hash', 'approver', 'note', 'force', 'prices', 'python', 'sign-key', 'dry-run', ...STORE_OPTIONS],
    async run(options, workspace) {
      if (options.force === true && !optional(options, 'note')?.trim()) throw new InputError('--force needs a --note saying why the refusals are overridden.');
      const result = await workspace().release.approveAndPublish({
        hash: required(options, 'hash', 'approve-and-publish'),
        approver: required(options, 'approver', 'approve-and-publish'),
        note: optional(options, 'note'),
        force: options.force === true,
        prices: optional(options, 'prices'),
        signKey: signKey(options),
        dryRun: options['dry-run'] === true,
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
    usage: 'history [--order newest|oldest]',
    summary: 'Show every publish and rollback, newest first (text and json alike; --order oldest for the file\'s order).',
    options: ['order', ...STORE_OPTIONS],
    async run(options, workspace) {
      const order = historyOrder(options);
      const oldestFirst = await workspace().release.history();
      const entries = order === 'oldest' ? oldestFirst : [...oldestFirst].reverse();
      // formatHistory prints newest first from the file's (oldest-first) order.
      return { json: entries, text: order === 'oldest' ? formatHistory([...oldestFirst].reverse()) : formatHistory(oldestFirst) };
    },
  },
  rollback: {
    usage: 'rollback [--to HASH] [--approver NAME] [--note TEXT] [--sign-key KEY] [--dry-run]',
    summary: 'Return to the previous version, or to an earlier one with --to; prints the new HISTORY head. --dry-run checks everything and writes nothing.',
    options: ['to', 'hash', 'approver', 'note', 'sign-key', 'dry-run', ...STORE_OPTIONS],
    async run(options, workspace) {
      const result = await workspace().release.rollback({
        to: optional(options, 'to') ?? optional(options, 'hash'),
        actor: optional(options, 'approver') ?? defaultActor(),
        note: optional(options, 'note'),
        signKey: signKey(options),
        dryRun: options['dry-run'] === true,
      });
      return { json: result, text: formatRollback(result) };
    },
  },
  list: {
    usage: 'list',
    summary: 'List the strategy pool: candidates waiting for approval (with their evidence and lineage), stable versions (CURRENT marked) and rejected candidates, newest first.',
    options: STORE_OPTIONS,
    async run(_options, workspace) {
      const { release } = workspace();
      const listing = await release.listPool();
      const current = (await release.current())?.manifest_hash;
      const waiting = listing.candidates.filter((listed) => !listed.stable);
      const stable = listing.candidates.filter((listed) => listed.stable);
      return { json: { candidates: waiting, stable, rejected: listing.rejected ?? [], current: current ?? null, problems: listing.problems }, text: formatListing(listing, current) };
    },
  },
  show: {
    usage: 'show HASH',
    summary: 'Show one version: status, payload, metadata, lineage, evidence verdicts, approval or rejection, and its HISTORY entries.',
    options: STORE_OPTIONS,
    args: ['HASH'],
    async run(_options, workspace, _format, [hash]) {
      const details = await workspace().release.show(hash);
      return { json: details, text: formatDetails(details) };
    },
  },
  diff: {
    usage: 'diff HASH HASH',
    summary: 'Compare two versions: the payload fields that changed, and the metrics of their newest precheck (and canary, when both have one) with b − a.',
    options: STORE_OPTIONS,
    args: ['HASH', 'HASH'],
    async run(_options, workspace, _format, [a, b]) {
      const diff = await workspace().release.diff(a, b);
      return { json: diff, text: formatDiff(diff) };
    },
  },
  reject: {
    usage: 'reject --hash HASH --note TEXT [--approver NAME]',
    summary: 'Reject a candidate waiting for approval: recorded in the pool with who and why; it leaves the candidate list and approval refuses it, even forced.',
    options: ['hash', 'note', 'approver', ...STORE_OPTIONS],
    async run(options, workspace) {
      const hash = required(options, 'hash', 'reject');
      if (!optional(options, 'note')?.trim()) throw new InputError('qraft deploy reject needs --note saying why the candidate is rejected.');
      const result = await workspace().release.reject({ hash, actor: optional(options, 'approver') ?? defaultActor(), note: optional(options, 'note') ?? '' });
      return { json: result, text: formatRejection(result) };
    },
  },
  report: reportSubcommand,
  verify: {
    usage: 'verify [--expect-head HASH]',
    summary: 'Check the HISTORY chain, CURRENT against it, every pool file and signature it points at (reads only); with --expect-head, that HISTORY ends with that entry.',
    options: ['expect-head', ...STORE_OPTIONS],
    async run(options, workspace) {
      const expectHead = expectedHead(options);
      const report = await workspace().release.verify({ expectHead });
      if (report.ok) return { json: report, text: formatVerify(report) };
      const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more problem${report.problems.length > 2 ? 's' : ''})` : '';
      return { json: report, text: formatVerify(report), exitCode: 1, error: `HISTORY failed verification: ${report.problems[0].replace(/\.$/, '')}${more}.` };
    },
  },  export: TRANSFER_SUBCOMMANDS.export,
  migrate: TRANSFER_SUBCOMMANDS.migrate,
};

/** `qraft deploy <subcommand> --help`: its usage, what it does, and each of its options. */
export function subcommandHelp(name: string): string {
  const sub = SUBCOMMANDS[name];
  const own = sub.options.filter((option) => !STORE_OPTIONS.includes(option));
  const lines = [`Usage: qraft deploy ${sub.usage} [--fmt text|json]`, '', sub.summary, ''];
  if (own.length > 0) lines.push('Options:', ...own.map((option) => `  ${OPTION_HELP[option] ?? `--${option}`}`), '');
  lines.push('Common options:', ...STORE_OPTIONS.filter((option) => sub.options.includes(option)).map((option) => `  ${OPTION_HELP[option]}`), '  --fmt text|json      output format (default text)', '  -h, --help           this help');
  lines.push('', 'Exit codes: 0 success, 1 failed gate or refused action, 2 bad input, 3 internal error.');
  return lines.join('\n');
}

export function helpText(): string {
  const lines = ['Usage: qraft deploy <subcommand> [options] [--fmt text|json]', '', 'Subcommands:'];
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(20)} ${sub.summary}`, `  ${''.padEnd(20)}   qraft deploy ${sub.usage}`);
  lines.push(
    '',
    'Common options:',
    '  --store URL          a shared PostgreSQL store, postgresql://HOST/DATABASE (default $QRAFT_STORE, else the folders below)',
    `  --pool-root DIR      strategy pool (default ${DEFAULT_POOL_ROOT})`,
    `  --deploy-dir DIR     CURRENT.json and HISTORY.json (default ${DEFAULT_DEPLOY_DIR})`,
    `  --reports-dir DIR    precheck and canary reports (default ${DEFAULT_REPORTS_DIR})`,
    `  --config FILE        gate thresholds, canary limits, approval policy (default ./${CONFIG_FILE_NAME} when present)`,
    '  --set KEY=VALUE      override one setting, e.g. --set gates.consistency.tolerance=0.05 (repeatable)',
    '  --fmt text|json      output format (default text)',
    '  -h, --help           with a subcommand: its usage and options',
    '',
    'Exit codes: 0 success, 1 failed gate or refused action, 2 bad input, 3 internal error.',
  );
  return lines.join('\n');
}

