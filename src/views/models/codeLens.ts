import { type Node, parseTree } from 'jsonc-parser';

export interface LensAnchor {
  /** Zero-based line and character span the lenses sit above. */
  line: number;
  startCharacter: number;
  endCharacter: number;
}

export const STRATEGY_LENSES = [
  { command: 'qraft.runPrecheck', title: '$(beaker) Run Precheck' },
  { command: 'qraft.runCanary', title: '$(pulse) Run Canary' },
  { command: 'qraft.propose', title: '$(cloud-upload) Propose' },
] as const;

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
