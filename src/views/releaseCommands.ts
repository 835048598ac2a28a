import * as vscode from 'vscode';
import { z } from 'zod';
import { formatCurrent, formatHistory, formatProposal, formatPublish, formatRollback, formatVerify } from '../core/format';
import { shortHash } from '../core/hash';
import { readJsonFile } from '../core/json';
import { guarded } from './errors';
import { logBlock } from './output';
import { askActor, askNote, confirm, pickCandidate, pickRollbackTarget, pickStrategyFile } from './pickers';
import { pickRelease } from './workspace';

/** Arguments tree items and code lenses pass to the release commands. */
export interface HashArgument {
  manifestHash: string;
}

function hashFrom(argument: unknown): string | undefined {
  if (typeof argument === 'string') return argument;
  if (argument && typeof argument === 'object' && 'manifestHash' in argument && typeof argument.manifestHash === 'string') return argument.manifestHash;
  return undefined;
}

/** Propose, Approve and Publish, Show CURRENT/HISTORY, Rollback and Verify from the palette. */
export function registerReleaseCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const register = (id: string, action: string, body: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(log, action, body as (...args: unknown[]) => unknown)));

  register('qraft.propose', 'Propose', async (argument?: vscode.Uri) => {
    const strategyUri = await pickStrategyFile(argument);
    const target = await pickRelease(strategyUri);
    if (!target) return;
    const payload = readJsonFile(strategyUri.fsPath, z.unknown(), 'strategy');
    const proposedBy = await askActor(target.folder, 'Proposed by');
    const description = await askNote('Description of this proposal');
    const result = target.release.propose(payload, { proposed_by: proposedBy, ...(description ? { description } : {}) });
    logBlock(log, 'Propose', formatProposal(result));
    void vscode.window.showInformationMessage(
      `${result.created ? 'Proposed' : 'Already in the pool:'} ${result.manifest.strategy.name}@${result.manifest.strategy.version} as ${shortHash(result.manifest_hash)}.`,
    );
  });

  register('qraft.approveAndPublish', 'Approve and Publish', async (argument?: unknown) => {
    const target = await pickRelease();
    if (!target) return;
    const hash = hashFrom(argument) ?? (await pickCandidate(target.release));
    const approver = await askActor(target.folder, `Approver for ${shortHash(hash)}`);
    const note = await askNote('Approval note');
    const result = await target.release.approveAndPublish({ hash, approver, note });
    logBlock(log, 'Approve and Publish', formatPublish(result));
    void vscode.window.showInformationMessage(`Published ${shortHash(hash)} as CURRENT.`);
  });

  register('qraft.showCurrent', 'Show CURRENT', async () => {
    const target = await pickRelease();
    if (!target) return;
    const text = formatCurrent(await target.release.current());
    logBlock(log, 'CURRENT', text);
    void vscode.window.showInformationMessage(text.split('\n')[0]);
  });

  register('qraft.showHistory', 'Show HISTORY', async () => {
    const target = await pickRelease();
    if (!target) return;
    logBlock(log, 'HISTORY (newest first)', formatHistory(await target.release.history()));
    log.show(true);
  });

  register('qraft.rollback', 'Rollback', async (argument?: unknown) => {
    const target = await pickRelease();
    if (!target) return;
    const to = hashFrom(argument) ?? (await pickRollbackTarget(target.release));
    await confirm(to ? `Roll CURRENT back to ${shortHash(to)}?` : 'Roll CURRENT back to the previous version?', 'Rollback');
    const actor = await askActor(target.folder, 'Rolled back by');
    const note = await askNote('Why roll back?');
    const result = await target.release.rollback({ to, actor, note });
    logBlock(log, 'Rollback', formatRollback(result));
    void vscode.window.showInformationMessage(`Rolled back: CURRENT is ${shortHash(result.current.manifest_hash)}.`);
  });

  register('qraft.verifyHistory', 'Verify HISTORY', async () => {
    const target = await pickRelease();
    if (!target) return;
    const report = await target.release.verify();
    const text = formatVerify(report);
    logBlock(log, 'Verify', text);
    if (report.ok) void vscode.window.showInformationMessage(text);
    else void vscode.window.showErrorMessage(`${text.split('\n')[0]} See the "Qraft Release" output.`);
  });
}
