import { InputError } from '../errors';
import { builtinEngine } from './builtin';
import type { Engine } from './types';

export const ENGINE_CHOICES = ['auto', 'builtin', 'nautilus'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface SelectedEngine {
  engine: Engine;
  /** Why this engine ran when the user asked for `auto`. */
  note?: string;
}

/** Resolves --engine to a precise engine. NautilusTrader arrives with the Python bridge. */
export interface EngineSelectionOptions {
  /** Python interpreter for NautilusTrader. */
  python?: string;
  signal?: AbortSignal;
}

export async function selectPreciseEngine(choice: EngineChoice, _options: EngineSelectionOptions = {}): Promise<SelectedEngine> {
  if (choice === 'builtin') return { engine: builtinEngine };
  if (choice === 'auto') return { engine: builtinEngine, note: 'auto: the NautilusTrader bridge is not part of this build, so the built-in engine ran' };
  throw new InputError('The nautilus engine is not part of this build yet; use --engine builtin or auto.');
}
