/**
 * arquero (7.x, the design card's table library), loaded on first use and only then.
 *
 * The extension's bundle must stay small and inert until it is used (test/unit/bundle.test.ts), so
 * no module imports arquero statically: whoever wrangles a table calls `loadArquero()` inside the
 * function that needs it. The build (scripts/build.mjs) bundles arquero once, into `dist/tables.js`,
 * and points this `require` of the extension and CLI bundles at that file; run from the sources
 * (tests, tsx) it is the package in node_modules.
 */
export type Arquero = typeof import('arquero');

let loaded: Arquero | undefined;

/** arquero's module: `table`, `op`, `escape`, `from`, … (the same object on every call). */
export function loadArquero(): Arquero {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('arquero') as Arquero;
  return loaded;
}
