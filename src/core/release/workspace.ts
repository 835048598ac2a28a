import { dirname, isAbsolute, join, resolve } from 'node:path';

import { evidencePolicyGate } from './approval';
import { type ConfigOverrides, type QraftConfig, loadConfig } from './config';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT, ReleaseService } from './service';
import { expandPath } from './signing';
import { DEFAULT_REPORTS_DIR } from '../evidence/reports/store';

export interface WorkspaceOptions {
  /** Folder the default paths and qraft.config.json are relative to (the CLI's cwd, a workspace folder). */
  root: string;
  poolRoot?: string;
  deployDir?: string;
  reportsDir?: string;
  configPath?: string;
  overrides?: ConfigOverrides;
  /** Names the overrides' origin in an error, e.g. "the qraft.* settings". */
  overridesLabel?: string;
  /** Interpreter for re-running NautilusTrader at approval (`approval.recheck: full`). */
  python?: string;
}

export interface QraftWorkspace {
  root: string;
  release: ReleaseService;
  config: QraftConfig;
  configPath?: string;
  reportsDir: string;
}

/**
 * The release service for a folder, configured from its qraft.config.json: approval verifies the
 * candidate's evidence under the `approval` policy (release/approval.ts) with today's thresholds.
 */
export function openWorkspace(options: WorkspaceOptions): QraftWorkspace {
  const root = resolve(options.root);
  const at = (path: string | undefined, fallback: string) => {
    const chosen = path ?? fallback;
    return isAbsolute(chosen) ? chosen : join(root, chosen);
  };
  const { config, path } = loadConfig({ root, path: options.configPath && at(options.configPath, ''), overrides: options.overrides, overridesLabel: options.overridesLabel });
  const reportsDir = at(options.reportsDir, DEFAULT_REPORTS_DIR);
  const release = new ReleaseService({
    poolRoot: at(options.poolRoot, DEFAULT_POOL_ROOT),
    deployDir: at(options.deployDir, DEFAULT_DEPLOY_DIR),
    reportsDir,
    gates: (pool) => [evidencePolicyGate({ pool, policy: config.approval, gates: config.gates, canary: config.canary, python: options.python })],
    policy: {
      forbidSelfApproval: config.approval.forbid_self_approval,
      requireSignatures: config.approval.require_signatures,
      evidenceSigners: config.approval.evidence_signers,
      // Relative to the config file's folder, else to the workspace root.
      ...(config.approval.allowed_signers ? { allowedSigners: expandPath(config.approval.allowed_signers, path ? dirname(path) : root) } : {}),
    },
  });
  return { root, release, config, configPath: path, reportsDir };
}
