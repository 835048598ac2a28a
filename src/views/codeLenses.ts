import * as vscode from 'vscode';
import { offersStrategyLenses, strategyLensAnchor, strategyLenses } from './models/codeLens';

/** Run Precheck · Run Canary · Propose above a strategy file's (or a strategy payload.json's) "name". */
export function registerStrategyCodeLenses(context: vscode.ExtensionContext): void {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses(document) {
      if (!offersStrategyLenses(document.uri.path, document.getText())) return [];
      const anchor = strategyLensAnchor(document.getText());
      const range = new vscode.Range(anchor.line, anchor.startCharacter, anchor.line, anchor.endCharacter);
      return strategyLenses().map((lens) => new vscode.CodeLens(range, { title: lens.title, command: lens.command, arguments: [document.uri] }));
    },
  };
  context.subscriptions.push(
    changed,
    vscode.languages.registerCodeLensProvider(
      [
        { scheme: 'file', pattern: '**/strategy.json' },
        { scheme: 'file', pattern: '**/*.strategy.json' },
        { scheme: 'file', pattern: '**/payload.json' },
      ],
      provider,
    ),
    // Trust decides whether the run lenses work; refresh them when it is granted.
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
  );
}
