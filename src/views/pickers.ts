import { basename } from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, InputError } from '../core/shared/errors';
import { shortHash, strategyLabel } from '../core/shared/labels';
import type { ReleaseService } from '../core/release/service';
import { defaultActor } from './gitUser';
import { isStrategyDocumentName } from './models/codeLens';

/** Thrown when the user dismisses a picker: the command ends quietly. */
function dismissed(): never {
  throw new CancelledError('The command');
}

export const STRATEGY_GLOB = '**/{strategy.json,*.strategy.json}';

export function isStrategyFile(uri: vscode.Uri | undefined): uri is vscode.Uri {
  if (!uri || uri.scheme !== 'file') return false;
  return isStrategyDocumentName(basename(uri.fsPath));
}

/** The strategy file a command acts on: its argument, the active editor's file, else a pick. */
export async function pickStrategyFile(argument?: vscode.Uri): Promise<vscode.Uri> {
  if (isStrategyFile(argument)) return argument;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isStrategyFile(active)) return active;
  const found = await vscode.workspace.findFiles(STRATEGY_GLOB, '**/{node_modules,artifacts}/**', 200);
  if (found.length === 0) throw new InputError(vscode.l10n.t('No strategy.json or *.strategy.json in the workspace: create one (see examples/strategy.json).'));
  if (found.length === 1) return found[0];
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: vscode.l10n.t('Strategy file') },
  );
  return picked?.uri ?? dismissed();
}

export async function askActor(folder: vscode.WorkspaceFolder, prompt: string): Promise<string> {
  const value = await vscode.window.showInputBox({
    prompt,
    value: await defaultActor(folder.uri.fsPath),
    // Asked right after a click in a report page, whose webview may take the focus back a moment later.
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() ? undefined : vscode.l10n.t('A name is required: HISTORY records who did it.')),
  });
  return value?.trim() || dismissed();
}

export async function askNote(prompt: string, required = false): Promise<string> {
  const value = await vscode.window.showInputBox({
    prompt,
    placeHolder: required ? vscode.l10n.t('Required') : vscode.l10n.t('Optional'),
    ignoreFocusOut: true,
    validateInput: (text) => (required && !text.trim() ? vscode.l10n.t('A note is required here.') : undefined),
  });
  return value === undefined ? dismissed() : value.trim();
}

/** A candidate not yet published as stable (stable ones are offered too, marked). */
export async function pickCandidate(release: ReleaseService): Promise<string> {
  const { candidates } = await release.listPool();
  if (candidates.length === 0) throw new InputError(vscode.l10n.t('The strategy pool is empty: propose a strategy first.'));
  const items = [...candidates]
    .sort((a, b) => b.manifest.proposed_at.localeCompare(a.manifest.proposed_at))
    .map((candidate) => ({
      label: strategyLabel(candidate.manifest.strategy),
      description: shortHash(candidate.manifest.manifest_hash),
      detail: candidate.stable
        ? vscode.l10n.t('proposed by {0} at {1} · stable, approved by {2}', candidate.manifest.proposed_by, candidate.manifest.proposed_at, candidate.stable.approved_by)
        : vscode.l10n.t('proposed by {0} at {1}', candidate.manifest.proposed_by, candidate.manifest.proposed_at),
      hash: candidate.manifest.manifest_hash,
    }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Candidate to approve and publish'), matchOnDescription: true });
  return picked?.hash ?? dismissed();
}

/** Where to roll back to: the previous version, or any version lower on the release stack. */
export async function pickRollbackTarget(release: ReleaseService): Promise<string | undefined> {
  await release.rollbackTarget(); // refuses, as the rollback itself would, when there is no earlier version
  const { stack } = await release.store.readDeploy();
  const below = stack.slice(0, -1).reverse();
  const items = below.map((item, index) => ({
    label: strategyLabel(item.strategy),
    description: shortHash(item.manifest_hash) + (index === 0 ? ` · ${vscode.l10n.t('previous version')}` : ''),
    hash: index === 0 ? undefined : item.manifest_hash,
  }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Roll CURRENT back to') });
  if (!picked) dismissed();
  return picked.hash;
}

export async function confirm(message: string, action: string): Promise<void> {
  const answer = await vscode.window.showWarningMessage(message, { modal: true }, action);
  if (answer !== action) dismissed();
}
