/**
 * Localization for the view models, which do not import `vscode` (they are unit-tested without
 * it): `l10n.t` has vscode.l10n.t's shape and, until activate() installs vscode.l10n.t with
 * useVsCodeL10n, fills the English text's {0} placeholders (what vscode.l10n.t does without a
 * bundle). Messages are literals, so test/unit/l10n.test.ts and scripts/l10n-bundle.mjs find them
 * like the `vscode.l10n.t` calls; both bundles in l10n/ must have them.
 */
export type L10nArg = string | number | boolean;
export type Translate = (message: string, ...args: L10nArg[]) => string;

/** The English message with its {n} placeholders filled in. */
export const english: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (match, index: string) => (args[Number(index)] === undefined ? match : String(args[Number(index)])));

let translate: Translate = english;

export const l10n = {
  t: (message: string, ...args: L10nArg[]): string => translate(message, ...args),
};

/** Called once by activate() with vscode.l10n.t; tests may pass a fake and reset with `english`. */
export function useTranslator(next: Translate): void {
  translate = next;
}
