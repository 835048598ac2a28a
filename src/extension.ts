import * as vscode from 'vscode';
import type { ViewNode } from './views/models/nodes';
import type * as Views from './views/wiring';

/** What activate() returns: the trees' current rows, for tests and other extensions. */
export interface QraftApi {
  deploymentNodes(): Promise<ViewNode[]>;
  poolNodes(): Promise<ViewNode[]>;
}

/**
 * The views, the core and the libraries they use, loaded on activation: requiring the bundle runs
 * no module's top-level code (no schema is built, no library set up) until VS Code calls activate().
 */
function loadViews(): typeof Views {
  return require('./views/wiring') as typeof Views;
}

/** Wires the views and commands to the core; all behaviour lives in src/core and src/views. */
export function activate(context: vscode.ExtensionContext): QraftApi {
  const { useTranslator, createLog, PythonInterpreters, registerReportPanels, registerTrees, registerCurrentStatus, registerReleaseCommands, registerPoolCommands, registerRegistryCommands, registerStrategyCommands, registerStrategyCodeLenses, watchArtifacts, registerStorePassword, resetStores } = loadViews();
  // The view models word their rows through vscode.l10n (English, or the bundle of VS Code's display language).
  useTranslator(vscode.l10n.t);
  const log = createLog(context);
  const interpreters = new PythonInterpreters(log);
  context.subscriptions.push(interpreters);
  const reports = registerReportPanels(context, log);
  const trees = registerTrees(context);
  const status = registerCurrentStatus(context);
  const refreshAll = () => {
    trees.refresh();
    reports.refreshRelease();
    void status.refresh();
  };
  registerReleaseCommands(context, log, refreshAll);
  registerPoolCommands(context, log);
  registerRegistryCommands(context, log, refreshAll);
  registerStrategyCommands(context, { log, interpreters, reports });
  registerStrategyCodeLenses(context);
  const watching = watchArtifacts(context, refreshAll);
  // A new store password: reconnect (close the database stores; the next read opens them again).
  const reconnect = () => void resetStores().finally(() => watching.rebuild());
  // Once the stored passwords are read: reconnect with them.
  void registerStorePassword(context, log, reconnect).then(reconnect, reconnect);
  context.subscriptions.push({ dispose: () => void resetStores() });
  context.subscriptions.push(vscode.commands.registerCommand('qraft.refresh', refreshAll));
  log.info(`Qraft Release ${context.extension.packageJSON.version as string} activated.`);
  return { deploymentNodes: () => trees.deployment.roots(), poolNodes: () => trees.pool.roots() };
}

export function deactivate(): void {}
