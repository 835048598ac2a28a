/**
 * The only module that imports @vscode/webview-ui-toolkit (test/unit/webviewToolkit.test.ts keeps it
 * so). The toolkit is deprecated upstream since 2025-01-01 and stays because the design card names
 * it; the page uses two of its components, `vscode-button` and `vscode-divider` (tags are plain
 * spans: the toolkit's vscode-tag sets a style attribute the CSP refuses, see render.ts).
 *
 * Replacement path: @vscode-elements/elements (Lit web components in the same look, maintained)
 * has `vscode-button` and `vscode-divider` under the same tag names; swapping means importing its
 * two components here instead of registering the toolkit's, checking `appearance="secondary"`
 * (it uses a `secondary` boolean attribute) and the strict CSP (it adopts constructable stylesheets,
 * no inline style attributes).
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider } from '@vscode/webview-ui-toolkit';

/** The custom elements the page may create (dom.ts `custom`). */
export const TOOLKIT_TAGS = ['vscode-button', 'vscode-divider'] as const;
export type ToolkitTag = (typeof TOOLKIT_TAGS)[number];

/** Defines the toolkit's elements on the page; call once, before the first render. */
export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider());
}
