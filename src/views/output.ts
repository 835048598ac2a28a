import * as vscode from 'vscode';

/** The extension's log channel ("Qraft Release" in the Output view); one per activation. */
export function createLog(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  const log = vscode.window.createOutputChannel('Qraft Release', { log: true });
  context.subscriptions.push(log);
  return log;
}

/** Writes a multi-line result block to the log, one log line per text line. */
export function logBlock(log: vscode.LogOutputChannel, title: string, text: string): void {
  log.info(title);
  for (const line of text.split('\n')) if (line.length > 0) log.info(`  ${line}`);
}
