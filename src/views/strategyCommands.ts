import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { probeNautilus } from '../core/backtest/engines/nautilus';
import { ENGINE_CHOICES, type EngineChoice } from '../core/backtest/engines/select';
import { CancelledError, InputError } from '../core/shared/errors';
import { canaryFiles, precheckFiles } from '../core/evidence/runFiles';
import { formatCanary, formatPrecheck } from '../core/evidence/reportText';
import { loadStrategy } from '../core/backtest/strategy/load';
import { guarded } from './errors';
import { logBlock } from './output';
import { pickStrategyFile } from './pickers';
import type { PythonInterpreters } from './python';
import type { ReportPanelsApi } from './report/panel';
import { stringSetting } from './settings';
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
  const manage = 'Manage Workspace Trust';
  void vscode.window.showErrorMessage('Running a strategy needs a trusted workspace.', manage).then((answer) => {
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
  if (found.length === 0) throw new InputError('No price CSV in the workspace: add one (date,open,high,low,close,volume) or set qraft.pricesPath.');
  const items: (vscode.QuickPickItem & { path: string })[] = found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), path: uri.fsPath }));
  if (local.length > 1) items.unshift({ label: vscode.workspace.asRelativePath(pricesDir), description: 'the whole folder: one <SYMBOL>.csv per symbol', path: pricesDir });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Prices for ${basename(strategyPath)}`, matchOnDescription: true });
  if (!picked) throw new CancelledError('The run');
  await context.workspaceState.update(PRICES_MEMORY, { ...memory, [strategyPath]: picked.path });
  return picked.path;
}

/** Offers the ways out when NautilusTrader is not importable; resolves to the user's choice. */
async function offerNautilusFixes(python: string, reason: string, modal: boolean): Promise<'builtin' | undefined> {
  const useBuiltin = 'Use built-in engine';
  const install = 'Install nautilus_trader';
  const select = 'Select interpreter';
  const answer = await vscode.window.showWarningMessage(
    `NautilusTrader is not importable by ${python} (${reason}).`,
    { modal, detail: 'The precise backtest can run on the built-in engine instead, or you can install nautilus_trader into this interpreter.' },
    useBuiltin,
    install,
    select,
  );
  if (answer === install) {
    const terminal = vscode.window.createTerminal({ name: 'Install nautilus_trader' });
    terminal.show();
    terminal.sendText(`"${python}" -m pip install "${NAUTILUS_PIP_SPEC}"`);
  } else if (answer === select) {
    void vscode.commands.executeCommand('python.setInterpreter');
  } else if (answer === useBuiltin) {
    await vscode.workspace.getConfiguration('qraft').update('engine', 'builtin', vscode.ConfigurationTarget.Workspace);
    return 'builtin';
  }
  return undefined;
}

/**
 * The engine to run. With `auto` and no NautilusTrader the built-in engine runs at once (the
 * report says so) and a notification offers the fixes, once per interpreter; with `nautilus` the
 * user chooses before anything runs.
 */
async function chooseEngine(folder: vscode.WorkspaceFolder, services: Services, offered: Set<string>): Promise<{ engine: EngineChoice; python: string }> {
  const setting = vscode.workspace.getConfiguration('qraft', folder.uri).get<string>('engine', 'auto');
  const engine: EngineChoice = (ENGINE_CHOICES as readonly string[]).includes(setting) ? (setting as EngineChoice) : 'auto';
  const interpreter = await services.interpreters.resolve(folder);
  services.log.info(`Python for NautilusTrader: ${interpreter.path} (${interpreter.source}); engine setting: ${engine}`);
  if (engine === 'builtin') return { engine, python: interpreter.path };
  const probe = await probeNautilus(interpreter.path);
  if (probe.ok) return { engine, python: interpreter.path };
  if (engine === 'auto') {
    if (!offered.has(interpreter.path)) {
      offered.add(interpreter.path);
      void offerNautilusFixes(interpreter.path, probe.message, false);
    }
    return { engine: 'builtin', python: interpreter.path };
  }
  if ((await offerNautilusFixes(interpreter.path, probe.message, true)) === 'builtin') return { engine: 'builtin', python: interpreter.path };
  throw new CancelledError('The run');
}

/** Runs `work` under a cancellable progress notification; cancelling aborts (and kills Python). */
function withCancellableProgress<T>(title: string, work: (signal: AbortSignal, report: (step: string, share: number) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    // Each step reports when it starts; the bar advances by the share of the step that just ended.
    let previousShare = 0;
    return work(controller.signal, (step, share) => {
      progress.report({ message: step, increment: previousShare * 100 });
      previousShare = share;
    });
  });
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
    const label = `${strategy.strategy.name}@${strategy.strategy.version}`;
    const request = { strategyPath: strategyUri.fsPath, pricesPath, config: target.config, reportsDir: target.reportsDir };
    if (kind === 'precheck') {
      const { engine, python } = await chooseEngine(target.folder, services, askedAbout);
      const saved = await withCancellableProgress(`Qraft: precheck of ${label}`, (signal, progress) =>
        precheckFiles({ ...request, engine, python, signal, progress, onEngineLog: (text) => log.debug(`[nautilus] ${text}`) }),
      );
      logBlock(log, `Precheck of ${label}`, formatPrecheck(saved.report, saved.path));
      services.reports.show({ report: saved.report, path: saved.path });
    } else {
      const saved = await withCancellableProgress(`Qraft: canary of ${label}`, (signal, progress) => canaryFiles({ ...request, release: target.release, signal, progress }));
      logBlock(log, `Canary of ${label}`, formatCanary(saved.report, saved.path));
      services.reports.show({ report: saved.report, path: saved.path });
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('qraft.runPrecheck', guarded(log, 'Run Precheck', (argument?: vscode.Uri) => run('precheck', argument))),
    vscode.commands.registerCommand('qraft.runCanary', guarded(log, 'Run Canary', (argument?: vscode.Uri) => run('canary', argument))),
  );
}
