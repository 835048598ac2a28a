/**
 * The report page's strings. The page cannot call vscode.l10n, so the host sends its bundle
 * (`vscode.l10n.bundle`: English message → the display language's text) with every render
 * message, and `l10n.t` looks each English message up in it, filling {0}-style placeholders. An
 * exported HTML file gets no bundle and stays English, like the CLI. Messages are literals, so
 * scripts/l10n.ts puts them in l10n/bundle.l10n.json and test/unit/l10n.test.ts checks the Chinese.
 */
export type L10nArg = string | number | boolean;

let bundle: Readonly<Record<string, string>> = {};

export const l10n = {
  t(message: string, ...args: L10nArg[]): string {
    const text = Object.prototype.hasOwnProperty.call(bundle, message) && typeof bundle[message] === 'string' ? bundle[message] : message;
    return text.replace(/\{(\d+)\}/g, (match, index: string) => (args[Number(index)] === undefined ? match : String(args[Number(index)])));
  },
};

/** The host's bundle for the page that is about to be drawn; undefined keeps English. */
export function useBundle(next: Readonly<Record<string, string>> | undefined): void {
  bundle = next ?? {};
}
