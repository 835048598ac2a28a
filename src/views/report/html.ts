/**
 * The report webview's page shell. Pure (no `vscode` import) so it is unit-tested directly.
 *
 * Everything the page shows is drawn by the bundled script from the `render` message with DOM
 * APIs; the shell holds no data, only the strict CSP, the stylesheet and the script tag.
 */
import { randomBytes } from 'node:crypto';

export interface ReportHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh nonce per page (see createNonce). */
  nonce: string;
  /** `webview.asWebviewUri(media/dist/report.js)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(media/dist/report.css)`, as a string. */
  styleUri: string;
  /** Page title; may come from a strategy name, so it is escaped like everything else. */
  title: string;
  /** The page's language (`vscode.env.language`, e.g. `zh-cn`); English by default. */
  lang?: string;
  /** The line shown until the script draws the report, in that language. */
  loading?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => HTML_ESCAPES[char]);
}

/** 128 random bits, base64url: fresh for every page the panel renders. */
export function createNonce(): string {
  return randomBytes(16).toString('base64url');
}

const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

/** The Content-Security-Policy for the report page. */
export function reportCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    // The toolkit probes :focus-visible with a <style> element that carries the page nonce (read
    // from the csp-nonce meta below); everything else is the bundled stylesheet.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function reportHtml(options: ReportHtmlOptions): string {
  const { cspSource, nonce, scriptUri, styleUri, title } = options;
  // A BCP 47 tag only (VS Code's own value); anything else falls back to English.
  const lang = options.lang && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(options.lang) ? options.lang : 'en';
  if (!NONCE.test(nonce)) throw new Error('reportHtml: the nonce must be at least 16 base64 characters');
  // cspSource is VS Code's own value (code-server's holds several space-separated sources, some
  // quoted like 'self'), but it still must not end the directive or leave the attribute.
  if (/[;"<>&\n\r]/.test(cspSource) || cspSource.trim() === '') throw new Error('reportHtml: unexpected cspSource');
  const csp = reportCsp(cspSource.trim(), nonce);
  // Built only from the checked nonce and cspSource: no character that could leave the attribute.
  if (/["<>&]/.test(csp)) throw new Error('reportHtml: unsafe character in the CSP');
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta property="csp-nonce" content="${escapeHtml(nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeHtml(styleUri)}">
  <title>${escapeHtml(title)}</title>
</head>
<body>
  <main id="app" aria-live="polite"><p class="loading">${escapeHtml(options.loading ?? 'Loading report…')}</p></main>
  <script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}
