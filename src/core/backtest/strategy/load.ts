import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { strategyHash } from '../../shared/hashing';
import { readJsonFile, validate } from '../../shared/json';
import { type Strategy, StrategySchema } from './schema';

export interface LoadedStrategy {
  strategy: Strategy;
  /** The document as written: what the pool stores and the strategy hash covers. */
  document: unknown;
  /** sha256 of the document's canonical JSON (the same as the pool's strategy_hash). */
  hash: string;
  path: string;
  /** Folder that relative paths in the strategy (weights.file) are resolved against. */
  dir: string;
  /** The workspace root: files the strategy names must be inside `dir` or this. */
  root?: string;
}

export function parseStrategy(document: unknown, label: string, dir: string): LoadedStrategy {
  const strategy = validate(StrategySchema, document, label);
  return { strategy, document, hash: strategyHash(document), path: label, dir };
}

export function loadStrategy(path: string, root?: string): LoadedStrategy {
  const absolute = resolve(path);
  const document = readJsonFile(absolute, z.unknown(), 'strategy');
  return { ...parseStrategy(document, path, dirname(absolute)), path: absolute, ...(root ? { root: resolve(root) } : {}) };
}
