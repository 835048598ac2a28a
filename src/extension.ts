import type * as vscode from 'vscode';
import { createLog } from './views/output';
import { registerReleaseCommands } from './views/releaseCommands';

/** Wires the views and commands to the core; all behaviour lives in src/core and src/views. */
export function activate(context: vscode.ExtensionContext): void {
  const log = createLog(context);
  registerReleaseCommands(context, log);
  log.info(`Qraft Release ${context.extension.packageJSON.version as string} activated.`);
}

export function deactivate(): void {}
