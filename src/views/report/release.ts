/**
 * The release step a report page offers (Approve and Publish from a passing report), host side:
 * the pool of the report's workspace folder decides (models/registry.ts releaseStep), the words
 * are the editor's language, and the approval itself is the `qraft.approveAndPublish` command, so
 * its refusal dialog, forced approval and signature advice are the same as from the tree.
 */
import * as vscode from 'vscode';
import type { AnyReport } from '../../core/evidence/reports/schema';
import { shortHash } from '../../core/shared/labels';
import { type ReleaseStep, releaseStep } from '../models/registry';
import { workspaceFor } from '../workspace';
import type { ReleaseOffer } from './protocol';

interface Located {
  folder: vscode.WorkspaceFolder;
  step: ReleaseStep;
}

/** The report's folder (that of its strategy file) and the step its pool offers; undefined outside the workspace. */
async function locate(report: AnyReport): Promise<Located | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(report.strategy.path));
  if (!folder) return undefined;
  const { release } = workspaceFor(folder);
  const current = (await release.store.readDeploy()).current?.manifest_hash;
  return { folder, step: releaseStep(report, await release.listPool(), current) };
}

/** The step in the page's terms, worded. */
export function offerOf(step: ReleaseStep): ReleaseOffer {
  switch (step.step) {
    case 'approve':
      return {
        step: 'approve',
        hash: shortHash(step.hash),
        label: vscode.l10n.t('Approve and Publish…'),
        title: vscode.l10n.t('Approve candidate {0} and publish it as CURRENT', shortHash(step.hash)),
        status: vscode.l10n.t('Proposed as candidate {0}', shortHash(step.hash)),
      };
    case 'published':
      return { step: 'published', hash: shortHash(step.hash), status: step.current ? vscode.l10n.t('Published: {0} is CURRENT', shortHash(step.hash)) : vscode.l10n.t('Approved as stable version {0}', shortHash(step.hash)) };
    case 'rejected':
      return { step: 'rejected', hash: shortHash(step.hash), status: vscode.l10n.t('Candidate {0} was rejected', shortHash(step.hash)) };
    default:
      return { step: step.step };
  }
}

/** What the page offers for `report` now; undefined (the page offers Propose by itself) when the pool cannot be read. */
export async function releaseOffer(report: AnyReport, log: vscode.LogOutputChannel): Promise<ReleaseOffer | undefined> {
  try {
    const located = await locate(report);
    return located ? offerOf(located.step) : undefined;
  } catch (err) {
    log.warn(`Report view: cannot read the pool for the report's strategy: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/**
 * The page's *Approve and Publish…*: the pool is asked again (the page's offer may be stale), and
 * the waiting candidate of the report's strategy goes through `qraft.approveAndPublish`.
 */
export async function approveFromReport(report: AnyReport, log: vscode.LogOutputChannel): Promise<void> {
  const located = await locate(report);
  if (!located || located.step.step !== 'approve') {
    log.warn('Report view: Approve and Publish ignored: this report\'s strategy has no candidate waiting for approval.');
    return;
  }
  await vscode.commands.executeCommand('qraft.approveAndPublish', { manifestHash: located.step.hash, folder: located.folder.uri.toString() });
}
