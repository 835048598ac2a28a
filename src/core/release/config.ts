import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../shared/errors';
import { readJsonFile, validate } from '../shared/json';
import { type QraftConfig, QraftConfigSchema } from '../evidence/gates/config';

export const CONFIG_FILE_NAME = 'qraft.config.json';

export interface ConfigSource {
  /** Folder whose qraft.config.json applies when no explicit file is given. */
  root: string;
  /** An explicit config file (--config); it must exist. */
  path?: string;
  /** Overrides such as "gates.consistency.tolerance=0.05" (--set), applied after the file. */
  overrides?: readonly string[];
}

/** The effective configuration: defaults, then the config file, then --set overrides. */
export function loadConfig(source: ConfigSource): { config: QraftConfig; path?: string } {
  const path = source.path ?? (existsSync(join(source.root, CONFIG_FILE_NAME)) ? join(source.root, CONFIG_FILE_NAME) : undefined);
  const document = path ? readJsonFile(path, z.record(z.string(), z.unknown()), 'config') : {};
  for (const override of source.overrides ?? []) applyOverride(document, override);
  const label = path ? `${path}${source.overrides?.length ? ' (with --set overrides)' : ''}` : '--set';
  return { config: validate(QraftConfigSchema, document, label), path };
}

/** Sets a dotted key to a number or boolean, e.g. "canary.max_drawdown=0.1". */
export function applyOverride(document: Record<string, unknown>, override: string): void {
  const match = /^([a-z_]+(?:\.[a-z_]+)+)=(.+)$/.exec(override.trim());
  if (!match) throw new InputError(`--set "${override}" must look like section.key=value, e.g. gates.consistency.tolerance=0.05.`);
  const [, key, raw] = match;
  let value: unknown;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) value = Number(raw);
  else if (/^\[.*\]$/.test(raw)) value = raw.slice(1, -1).split(',').filter(Boolean).map(Number);
  else throw new InputError(`--set ${key}: "${raw}" is not a number, a boolean or a [list] of numbers.`);
  const parts = key.split('.');
  let node = document;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) node[part] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new InputError(`--set ${key}: ${part} is not a section.`);
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}
