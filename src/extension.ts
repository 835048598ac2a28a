import * as vscode from 'vscode';
import { registerStrategyCodeLenses } from './views/codeLenses';
import type { ViewNode } from './views/models/nodes';
import { createLog } from './views/output';
import { registerPoolCommands } from './views/poolCommands';
import { PythonInterpreters } from './views/python';
import { registerReleaseCommands } from './views/releaseCommands';
import { registerReportPanels } from './views/report/panel';
import { registerCurrentStatus } from './views/statusBar';
import { registerStrategyCommands } from './views/strategyCommands';
import { registerTrees } from './views/trees';
import { watchArtifacts } from './views/watchers';

/** What activate() returns: the trees' current rows, for tests and other extensions. */
export interface QraftApi {
  deploymentNodes(): Promise<ViewNode[]>;
  poolNodes(): Promise<ViewNode[]>;
}

/** Wires the views and commands to the core; all behaviour lives in src/core and src/views. */
export function activate(context: vscode.ExtensionContext): QraftApi {
  const log = createLog(context);
  const interpreters = new PythonInterpreters(log);
  context.subscriptions.push(interpreters);
  const reports = registerReportPanels(context, log);
  const trees = registerTrees(context);
  const status = registerCurrentStatus(context);
  const refreshAll = () => {
    trees.refresh();
    void status.refresh();
  };
  registerReleaseCommands(context, log, refreshAll);
  registerPoolCommands(context, log);
  registerStrategyCommands(context, { log, interpreters, reports });
  registerStrategyCodeLenses(context);
  watchArtifacts(context, refreshAll);
  context.subscriptions.push(vscode.commands.registerCommand('qraft.refresh', refreshAll));
  log.info(`Qraft Release ${context.extension.packageJSON.version as string} activated.`);
  return { deploymentNodes: () => trees.deployment.roots(), poolNodes: () => trees.pool.roots() };
}

export function deactivate(): void {}
