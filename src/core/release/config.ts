import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CanaryConfigSchema, GateConfigSchema } from '../evidence/gates/config';
import { RECHECK_MODES } from '../evidence/recheck';
import { readJsonFile, validate } from '../shared/json';

export const CONFIG_FILE_NAME = 'qraft.config.json';

/** The approval policy (DESIGN "Evidence and approval"). */
export const ApprovalConfigSchema = z
  .strictObject({
    /** Refuse without a passing precheck of this payload. */
    require_precheck: z.boolean().default(true),
    /** Refuse without a canary against the CURRENT it replaces (`when_current`), any time, or never. */
    require_canary: z.enum(['when_current', 'always', 'never']).default('when_current'),
    /** Refuse unless the precise channel was this engine. */
    require_engine: z.enum(['any', 'nautilus']).default('any'),
    /** Refuse evidence older than this. */
    max_evidence_age_days: z.number().positive().default(30),
    /** Refuse when the approver is the proposer (compared case- and space-insensitively). */
    forbid_self_approval: z.boolean().default(false),
    /** What approval runs again: the quick channel (default), the precise one too, or nothing. */
    recheck: z.enum(RECHECK_MODES).default('quick'),
    /** Refuse an approval or rollback not signed by a key in `allowed_signers` for its actor (never overridable). */
    require_signatures: z.boolean().default(false),
    /** A git-style allowed-signers file (`principal key…` per line), relative to the config's folder. */
    allowed_signers: z.string().trim().min(1).optional(),
    /** Principals whose signed precheck reports count as evidence; empty = any report, signed or not. */
    evidence_signers: z.array(z.string().trim().min(1)).default([]),
  })
  .prefault({});
export type ApprovalConfig = z.output<typeof ApprovalConfigSchema>;

/** qraft.config.json: gate thresholds, canary limits and the approval policy. */
export const QraftConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    gates: GateConfigSchema,
    canary: CanaryConfigSchema,
    approval: ApprovalConfigSchema,
  })
  .prefault({});
export type QraftConfig = z.output<typeof QraftConfigSchema>;

/** Values that take precedence over the config file, shaped like it (settings, command-line overrides). */
export type ConfigOverrides = z.input<typeof QraftConfigSchema>;

export interface ConfigSource {
  /** Folder whose qraft.config.json applies when no explicit file is given. */
  root: string;
  /** An explicit config file; it must exist. */
  path?: string;
  /** Applied over the file, section by section, then validated with it. */
  overrides?: ConfigOverrides;
  /** Names the overrides' origin in an error, e.g. "the qraft.* settings". */
  overridesLabel?: string;
}

/** The effective configuration: defaults, then the config file, then the overrides. */
export function loadConfig(source: ConfigSource): { config: QraftConfig; path?: string } {
  const path = source.path ?? (existsSync(join(source.root, CONFIG_FILE_NAME)) ? join(source.root, CONFIG_FILE_NAME) : undefined);
  const document = path ? readJsonFile(path, z.record(z.string(), z.unknown()), 'config') : {};
  const overridden = hasKeys(source.overrides);
  const merged = overridden ? mergeSections(document, source.overrides as Record<string, unknown>) : document;
  const origin = source.overridesLabel ?? 'the overrides';
  const label = path ? `${path}${overridden ? ` (with ${origin})` : ''}` : overridden ? origin : 'the default configuration';
  return { config: validate(QraftConfigSchema, merged, label), path };
}

function hasKeys(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Overrides replace values key by key, descending into sections both sides have. */
function mergeSections(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    merged[key] = isSection(value) && isSection(base[key]) ? mergeSections(base[key], value) : value;
  }
  return merged;
}
