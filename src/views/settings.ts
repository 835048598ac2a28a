import * as vscode from 'vscode';
import type { ConfigOverrides } from '../core/release/config';

/** Settings that override qraft.config.json when a user sets them, and the config path each sets. */
export const SETTING_OVERRIDES = {
  'gates.consistencyTolerance': ['gates', 'consistency', 'tolerance'],
  'gates.coldStartTolerance': ['gates', 'cold_start', 'tolerance'],
  'gates.costSensitivityMinOverlap': ['gates', 'cost_sensitivity', 'min_overlap'],
  'gates.leakageMaxFutureCorrelation': ['gates', 'leakage', 'max_future_correlation'],
  'canary.baseCash': ['canary', 'base_cash'],
  'canary.cashRatio': ['canary', 'cash_ratio'],
  'canary.maxDrawdown': ['canary', 'max_drawdown'],
  'canary.minReturnVsBaseline': ['canary', 'min_return_vs_baseline'],
  'approval.requirePrecheck': ['approval', 'require_precheck'],
  'approval.requireCanary': ['approval', 'require_canary'],
  'approval.requireEngine': ['approval', 'require_engine'],
  'approval.maxEvidenceAgeDays': ['approval', 'max_evidence_age_days'],
  'approval.forbidSelfApproval': ['approval', 'forbid_self_approval'],
  'approval.recheck': ['approval', 'recheck'],
  'approval.requireSignatures': ['approval', 'require_signatures'],
  'approval.allowedSigners': ['approval', 'allowed_signers'],
} as const;

/**
 * Config overrides from the settings a user actually set (user, workspace or folder), as a typed
 * object; settings left alone keep qraft.config.json and the defaults in charge.
 */
export function settingOverrides(folder: vscode.WorkspaceFolder): ConfigOverrides {
  const config = vscode.workspace.getConfiguration('qraft', folder.uri);
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const [setting, path] of Object.entries(SETTING_OVERRIDES)) {
    const inspected = config.inspect<number | boolean | string>(setting);
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') continue;
    // An empty path setting (the default shown in the editor) leaves the config file in charge.
    if (typeof value === 'string' && value.trim() === '') continue;
    let node = (overrides[path[0]] ??= {});
    for (const part of path.slice(1, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = value;
  }
  // The config schema validates types and ranges with qraft.config.json.
  return overrides as ConfigOverrides;
}

export function stringSetting(folder: vscode.WorkspaceFolder, key: string): string | undefined {
  return vscode.workspace.getConfiguration('qraft', folder.uri).get<string>(key)?.trim() || undefined;
}
