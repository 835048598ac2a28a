import * as vscode from 'vscode';
import { shortHash, strategyLabel } from '../core/shared/labels';
import { deployState } from './trees';

/** CURRENT of the (first) workspace folder in the status bar; a click opens the Deployment view. */
export function registerCurrentStatus(context: vscode.ExtensionContext): { refresh(): Promise<void> } {
  const item = vscode.window.createStatusBarItem('qraft.current', vscode.StatusBarAlignment.Left, 50);
  item.name = vscode.l10n.t('Qraft CURRENT release');
  item.command = 'qraft.deployment.focus';
  context.subscriptions.push(item);
  const refresh = async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return item.hide();
    const state = await deployState(folder);
    if ('error' in state) {
      item.text = `$(error) ${state.store === 'postgres' ? vscode.l10n.t('Qraft: the release store needs attention') : vscode.l10n.t('Qraft: deploy files need attention')}`;
      item.tooltip = state.error;
    } else if (state.current) {
      item.text = `$(rocket) ${strategyLabel(state.current.strategy)}`;
      item.tooltip = vscode.l10n.t('Qraft CURRENT: {0} ({1}), approved by {2}', strategyLabel(state.current.strategy), shortHash(state.current.manifest_hash), state.current.approved_by);
    } else {
      item.text = `$(rocket) ${vscode.l10n.t('Qraft: nothing live')}`;
      item.tooltip = vscode.l10n.t('No CURRENT release yet: propose a strategy, then approve and publish it.');
    }
    item.show();
  };
  return { refresh };
}
