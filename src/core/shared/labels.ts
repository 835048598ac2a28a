/**
 * How hashes and strategies are named to people: in text output, tree rows, quick picks and the
 * report page. No Node imports: the report webview bundles this file too.
 */

/** The first 12 hex characters: enough to tell manifests apart in a list, never used to find one. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** `name@version`, the one way a strategy is labelled. */
export function strategyLabel(strategy: { name: string; version: string } | undefined): string {
  return strategy ? `${strategy.name}@${strategy.version}` : '(unnamed strategy)';
}
