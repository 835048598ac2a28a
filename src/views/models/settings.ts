/**
 * The qraft.* settings that override qraft.config.json, and the config path each sets (no
 * `vscode` import: the manifest test checks package.json declares them all, per folder).
 */
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
