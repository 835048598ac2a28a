import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { ENGINE_CHOICES, type EngineChoice, type SelectedEngine, nautilusRefusal, preciseNeeds, selectPreciseEngine } from '../core/backtest/engines/select';
import type { FallbackCode } from '../core/backtest/engines/types';
import { CancelledError, InputError } from '../core/shared/errors';
import { DEFAULT_BASE_CASH, canaryFiles, precheckFiles } from '../core/evidence/runFiles';
import { formatCanary, formatPrecheck } from '../core/evidence/reportText';
import { type LoadedStrategy, loadStrategy } from '../core/backtest/strategy/load';
import { baselineSource } from '../core/release/baseline';
import { strategyLabel } from '../core/shared/labels';
import { guarded } from './errors';
import { logBlock } from './output';
import { pickStrategyFile } from './pickers';
import { type PythonInterpreters, selectInterpreterCommand } from './python';
import type { ReportPanelsApi } from './report/panel';
import { stringSetting } from './settings';
import { LocalExecutor } from '../core/backtest/tasks/local';
import { RayExecutor, rayAddress } from '../core/backtest/tasks/ray';
import type { TaskExecutor } from '../core/backtest/tasks/task';
import { pickRelease } from './workspace';

const NAUTILUS_PIP_SPEC = 'nautilus_trader>=1.221,<=1.230';
const PRICES_MEMORY = 'qraft.pricesFor';

interface Services {
  log: vscode.LogOutputChannel;
  interpreters: PythonInterpreters;
  reports: ReportPanelsApi;
}

/** Running strategies executes code (NautilusTrader) and reads data: only in a trusted workspace. */
async function requireTrust(): Promise<void> {
  if (vscode.workspace.isTrusted) return;
  const manage = vscode.l10n.t('Manage Workspace Trust');
  void vscode.window.showErrorMessage(vscode.l10n.t('Running a strategy needs a trusted workspace.'), manage).then((answer) => {
    if (answer === manage) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  throw new CancelledError('The run');
}

/**
 * The prices for a strategy: qraft.pricesPath, else the file last used for it, else the one CSV
 * (or folder) next to it that fits, else a pick among the workspace's CSV files.
 */
async function pickPrices(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder, strategyPath: string): Promise<string> {
  const configured = stringSetting(folder, 'pricesPath');
  if (configured) return isAbsolute(configured) ? configured : join(folder.uri.fsPath, configured);
  const memory = context.workspaceState.get<Record<string, string>>(PRICES_MEMORY, {});
  if (memory[strategyPath] && existsSync(memory[strategyPath])) return memory[strategyPath];
  const pricesDir = join(dirname(strategyPath), 'prices');
  const local = existsSync(pricesDir) ? readdirSync(pricesDir).filter((name) => name.toLowerCase().endsWith('.csv')) : [];
  if (local.length === 1) return join(pricesDir, local[0]);
  const found = await vscode.workspace.findFiles('**/*.csv', '**/{node_modules,artifacts,.venv}/**', 500);
  if (found.length === 0) throw new InputError(vscode.l10n.t('No price CSV in the workspace: add one (date,open,high,low,close,volume) or set qraft.pricesPath.'));
  const items: (vscode.QuickPickItem & { path: string })[] = found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), path: uri.fsPath }));
  if (local.length > 1) items.unshift({ label: vscode.workspace.asRelativePath(pricesDir), description: vscode.l10n.t('the whole folder: one <SYMBOL>.csv per symbol'), path: pricesDir });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Prices for {0}', basename(strategyPath)), matchOnDescription: true });
  if (!picked) throw new CancelledError('The run');
  await context.workspaceState.update(PRICES_MEMORY, { ...memory, [strategyPath]: picked.path });
  return picked.path;
}

/** Fallbacks the user can fix in the interpreter (the others are about the strategy itself). */
const INTERPRETER_FIXES: ReadonlySet<FallbackCode> = new Set(['interpreter_missing', 'nautilus_missing', 'nautilus_broken']);

/** Offers the ways out when NautilusTrader cannot run in the interpreter; resolves to the user's choice. */
async function offerNautilusFixes(folder: vscode.WorkspaceFolder, python: string, reason: string, modal: boolean): Promise<'builtin' | undefined> {
  const useBuiltin = vscode.l10n.t('Use built-in engine');
  const install = vscode.l10n.t('Install nautilus_trader');
  const select = vscode.l10n.t('Select interpreter');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('NautilusTrader cannot run with {0}: {1}.', python, reason.replace(/\.$/, '')),
    { modal, detail: vscode.l10n.t('The precise backtest can run on the built-in engine instead, or you can install nautilus_trader into this interpreter.') },
    useBuiltin,
    install,
    select,
  );
  if (answer === install) {
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Install nautilus_trader') });
    terminal.show();
    terminal.sendText(`"${python}" -m pip install "${NAUTILUS_PIP_SPEC}"`);
  } else if (answer === select) {
    void vscode.commands.executeCommand(selectInterpreterCommand());
  } else if (answer === useBuiltin) {
    // qraft.engine is per folder (resource scope): set it where it is read.
    await vscode.workspace.getConfiguration('qraft', folder.uri).update('engine', 'builtin', vscode.ConfigurationTarget.WorkspaceFolder);
    return 'builtin';
  }
  return undefined;
}

/**
 * The precise engine for this run, selected once (the core probes the interpreter once and the
 * precheck reuses the selection). With `auto` and no usable NautilusTrader the built-in engine
 * runs at once (the report says why) and a notification offers the fixes, once per interpreter;
 * with `nautilus` the user chooses before anything runs. A strategy NautilusTrader cannot run
 * (next_open, fractional lots) is no interpreter problem: auto falls back silently, an
 * explicit `nautilus` is the core's error.
 */
async function selectEngine(folder: vscode.WorkspaceFolder, services: Services, offered: Set<string>, strategy: LoadedStrategy, log: (text: string) => void): Promise<SelectedEngine> {
  const setting = vscode.workspace.getConfiguration('qraft', folder.uri).get<string>('engine', 'auto');
  const choice: EngineChoice = (ENGINE_CHOICES as readonly string[]).includes(setting) ? (setting as EngineChoice) : 'auto';
  const interpreter = await services.interpreters.resolve(folder);
  const python = interpreter.path;
  services.log.info(`Python for NautilusTrader: ${python} (${interpreter.source}); engine setting: ${choice}`);
  const options = { ...preciseNeeds(strategy.strategy, DEFAULT_BASE_CASH), python, onStderr: log };
  if (choice === 'nautilus') {
    const refusal = nautilusRefusal(options);
    try {
      return await selectPreciseEngine(choice, options);
    } catch (err) {
      const fixable = !refusal && err instanceof InputError && (err.kind === 'engine_unavailable' || err.kind === 'interpreter_missing');
      if (!fixable) throw err;
      if ((await offerNautilusFixes(folder, python, err.message, true)) === 'builtin') return selectPreciseEngine('builtin');
      throw new CancelledError('The run');
    }
  }
  const selected = await selectPreciseEngine(choice, options);
  const fallback = selected.fallback;
  if (fallback && INTERPRETER_FIXES.has(fallback.code) && !offered.has(python)) {
    offered.add(python);
    void offerNautilusFixes(folder, python, fallback.detail ?? fallback.message, false);
  }
  return selected;
}

/** Runs `work` under a cancellable progress notification; cancelling aborts (and kills every Python process). */
function withCancellableProgress<T>(
  title: string,
  work: (signal: AbortSignal, report: (step: string, share: number) => void, tasks: (done: number, total: number) => void) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    // Each step reports when it starts; the bar advances by the share of the step that just ended.
    let previousShare = 0;
    let step = '';
    return work(
      controller.signal,
      (name, share) => {
        step = name;
        progress.report({ message: step, increment: previousShare * 100 });
        previousShare = share;
      },
      (done, total) => progress.report({ message: vscode.l10n.t('{0}: {1} of {2} tasks done', step, done, total) }),
    );
  });
}

/** Where the precise runs happen: Ray when qraft.ray.address (or $QRAFT_RAY) names a cluster, else a local pool. */
function taskExecutor(folder: vscode.WorkspaceFolder, python: string, onProgress: (done: number, total: number) => void): TaskExecutor {
  const local = new LocalExecutor({ onProgress });
  const address = rayAddress(stringSetting(folder, 'ray.address'));
  return address ? new RayExecutor({ address, python, local }) : local;
}

/** Run Precheck and Run Canary: code lenses, explorer and editor menus, and the palette. */
export function registerStrategyCommands(context: vscode.ExtensionContext, services: Services): void {
  const { log } = services;
  const askedAbout = new Set<string>();
  const run = async (kind: 'precheck' | 'canary', argument?: vscode.Uri) => {
    await requireTrust();
    const strategyUri = await pickStrategyFile(argument);
    const target = await pickRelease(strategyUri);
    if (!target) return;
    const document = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === strategyUri.toString());
    if (document?.isDirty) await document.save();
    const strategy = loadStrategy(strategyUri.fsPath);
    const pricesPath = await pickPrices(context, target.folder, strategyUri.fsPath);
    const label = strategyLabel(strategy.strategy);
    const request = { strategyPath: strategyUri.fsPath, pricesPath, config: target.config, reportsDir: target.reportsDir, workspaceRoot: target.root };
    if (kind === 'precheck') {
      const engine = await selectEngine(target.folder, services, askedAbout, strategy, (text) => log.debug(`[nautilus] ${text}`));
      const python = (await services.interpreters.resolve(target.folder)).path;
      const saved = await withCancellableProgress(vscode.l10n.t('Qraft: precheck of {0}', label), async (signal, progress, tasks) => {
        const executor = taskExecutor(target.folder, python, tasks);
        try {
          return await precheckFiles({ ...request, engine, signal, progress, executor });
        } finally {
          await executor.close();
        }
      });
      logBlock(log, `Precheck of ${label}`, formatPrecheck(saved.report, saved.path));
      services.reports.show({ report: saved.report, path: saved.path });
    } else {
      const saved = await withCancellableProgress(vscode.l10n.t('Qraft: canary of {0}', label), (signal, progress) => canaryFiles({ ...request, baseline: baselineSource(target.release), signal, progress }));
      logBlock(log, `Canary of ${label}`, formatCanary(saved.report, saved.path));
      services.reports.show({ report: saved.report, path: saved.path });
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('qraft.runPrecheck', guarded(log, vscode.l10n.t('Run Precheck'), (argument?: vscode.Uri) => run('precheck', argument))),
    vscode.commands.registerCommand('qraft.runCanary', guarded(log, vscode.l10n.t('Run Canary'), (argument?: vscode.Uri) => run('canary', argument))),
  );
}
