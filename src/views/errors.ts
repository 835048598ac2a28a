import * as vscode from 'vscode';
import { CancelledError, isQraftError } from '../core/shared/errors';

/**
 * Shows a failure as one sentence. User errors (bad input, refused actions) are shown as they are;
 * anything else is a bug: the message says so and the stack goes to the log only.
 */
export function reportError(log: vscode.LogOutputChannel, action: string, err: unknown): void {
  if (err instanceof CancelledError) {
    log.info(`${action}: cancelled.`);
    return;
  }
  if (isQraftError(err)) {
    log.warn(`${action}: ${err.message}`);
    void vscode.window.showErrorMessage(err.message);
    return;
  }
  log.error(`${action} failed unexpectedly`, err instanceof Error ? (err.stack ?? err.message) : String(err));
  const detail = err instanceof Error ? err.message : String(err);
  void vscode.window.showErrorMessage(vscode.l10n.t('Qraft: {0} failed unexpectedly ({1}). See the "Qraft Release" output for details.', action, detail));
}

/** Runs a command body, reporting any failure; commands never throw into VS Code. */
export function guarded<Args extends unknown[]>(
  log: vscode.LogOutputChannel,
  action: string,
  body: (...args: Args) => Promise<unknown> | unknown,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    try {
      await body(...args);
    } catch (err) {
      reportError(log, action, err);
    }
  };
}
