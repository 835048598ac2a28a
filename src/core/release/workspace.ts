import { dirname, isAbsolute, join, resolve } from 'node:path';

import { evidencePolicyGate } from './approval';
import { type ConfigOverrides, type QraftConfig, loadConfig } from './config';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT, ReleaseService } from './service';
import { expandPath } from './signing';
import { DEFAULT_REPORTS_DIR } from '../evidence/reports/store';
import { DeferredStore } from './store/deferred';
import { FileReleaseStore } from './store/file';
import { type StoreChoice, parseStoreLocator } from './store/locator';
import { openPostgresStore } from './store/postgres';
import type { ReleaseStore } from './store/types';

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
  /**
   * The store: a `postgresql://` (or `postgres://`) URL, or absent/empty for the file store over
   * poolRoot and deployDir. With PostgreSQL, poolRoot is still where precheck stages its payload.
   */
  store?: string;
  /** Where `store` came from, as the caller words it for an error (its option, variable or setting). */
  storeOrigin?: string;
  /** The PostgreSQL password when it is not left to libpq's environment/pgpass (the editor's SecretStorage). */
  storePassword?: string;
  /**
   * Database stores already opened, by URL and password: a long-lived host (the editor) passes the
   * same map every time, so each folder's workspace reuses one connection pool instead of opening
   * one per call. The host closes them (closeStores) when the setting changes or it stops.
   */
  stores?: Map<string, ReleaseStore>;
}

export interface QraftWorkspace {
  root: string;
  release: ReleaseService;
  config: QraftConfig;
  configPath?: string;
  reportsDir: string;
  /** Which store the workspace uses (the file store, or a PostgreSQL URL and its password-free location). */
  store: StoreChoice;
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
  const choice = parseStoreLocator(options.store, options.storeOrigin ?? 'the store');
  const poolRoot = at(options.poolRoot, DEFAULT_POOL_ROOT);
  let store: ReleaseStore;
  if (choice.kind === 'file') {
    store = new FileReleaseStore(poolRoot, at(options.deployDir, DEFAULT_DEPLOY_DIR));
  } else {
    const key = `${choice.url}\n${options.storePassword ?? ''}`;
    const password = options.storePassword;
    const reused = options.stores?.get(key);
    store = reused ?? new DeferredStore('postgres', choice.location, () => openPostgresStore(choice.url, password ? { password } : {}));
    if (!reused) options.stores?.set(key, store);
  }
  const release = new ReleaseService({
    poolRoot,
    store,
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
  return { root, release, config, configPath: path, reportsDir, store: choice };
}

/** Closes and forgets every store in a map `openWorkspace` filled (the editor: on a settings change, a new password, deactivation). */
export async function closeStores(stores: Map<string, ReleaseStore>): Promise<void> {
  const open = [...stores.values()];
  stores.clear();
  await Promise.all(open.map((store) => store.close().catch(() => undefined)));
}
