import { type Node, parseTree } from 'jsonc-parser';
import { l10n } from './localize';

export interface LensAnchor {
  /** Zero-based line and character span the lenses sit above. */
  line: number;
  startCharacter: number;
  endCharacter: number;
}

/**
 * Files that hold a strategy document: `strategy.json`, `*.strategy.json`, and `payload.json` (the
 * pool's staged proposal, a candidate's payload, examples/payload.json). package.json's
 * jsonValidation, menus and the code lens selector name the same files.
 */
export function isStrategyDocumentName(fileName: string): boolean {
  const name = fileName.split(/[\\/]/).at(-1) ?? '';
  return name === 'strategy.json' || name.endsWith('.strategy.json') || name === PAYLOAD_FILE;
}

export const PAYLOAD_FILE = 'payload.json';

/**
 * Whether a strategy file gets the lenses: a strategy.json always (broken JSON too, so the commands
 * report the error); a payload.json only when it reads as a strategy (a top-level "name" and
 * "signal"), as other tools' payload.json files are none of Qraft's business.
 */
export function offersStrategyLenses(fileName: string, text: string): boolean {
  if (!isStrategyDocumentName(fileName)) return false;
  if ((fileName.split(/[\\/]/).at(-1) ?? '') !== PAYLOAD_FILE) return true;
  const root: Node | undefined = parseTree(text, [], { allowTrailingComma: true });
  const keys = root?.type === 'object' ? (root.children ?? []).map((property) => property.children?.[0]?.value) : [];
  return keys.includes('name') && keys.includes('signal');
}

/** The lenses' commands and titles (localized: call after activation). */
export function strategyLenses(): { command: string; title: string }[] {
  return [
    { command: 'qraft.runPrecheck', title: `$(beaker) ${l10n.t('Run Precheck')}` },
    { command: 'qraft.runCanary', title: `$(pulse) ${l10n.t('Run Canary')}` },
    { command: 'qraft.propose', title: `$(cloud-upload) ${l10n.t('Propose')}` },
  ];
}

/**
 * Where the strategy's lenses go: above the top-level "name" property, else above the first
 * line of the document (also when the JSON is broken, so the commands stay reachable and report
 * the error).
 */
export function strategyLensAnchor(text: string): LensAnchor {
  const root: Node | undefined = parseTree(text, [], { allowTrailingComma: true });
  const nameProperty = root?.type === 'object' ? root.children?.find((property) => property.children?.[0]?.value === 'name') : undefined;
  const offset = nameProperty?.offset ?? firstNonBlank(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', offset);
  const endOffset = nameProperty ? nameProperty.offset + nameProperty.length : lineEnd === -1 ? text.length : lineEnd;
  const endCharacter = Math.min(endOffset, lineEnd === -1 ? text.length : lineEnd) - lineStart;
  return { line, startCharacter: offset - lineStart, endCharacter: Math.max(offset - lineStart, endCharacter) };
}

function firstNonBlank(text: string): number {
  const match = /\S/.exec(text);
  return match ? match.index : 0;
}
