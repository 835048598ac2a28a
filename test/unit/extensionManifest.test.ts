/**
 * What package.json promises the editor: settings the Settings editor can show as controls, read
 * per workspace folder; no virtual workspaces; the strategy schema, lenses and menus on every
 * file that holds a strategy (strategy.json, *.strategy.json, payload.json).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SETTING_OVERRIDES } from '../../src/views/models/settings';
import { isStrategyDocumentName, offersStrategyLenses } from '../../src/views/models/codeLens';

const ROOT = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const properties: Record<string, { type: string | string[]; default: unknown; scope?: string; enum?: string[] }> = pkg.contributes.configuration.properties;

describe('extension manifest', () => {
  it('approval settings are plain controls (checkbox, dropdown, number, text) with the config defaults', () => {
    const approval = Object.entries(properties).filter(([key]) => key.startsWith('qraft.approval.'));
    assert.equal(approval.length, 8);
    for (const [key, setting] of approval) {
      assert.equal(typeof setting.type, 'string', `${key} has one type (a union with null renders as "Edit in settings.json")`);
      assert.notEqual(setting.default, null, key);
    }
    assert.deepEqual(
      { requirePrecheck: properties['qraft.approval.requirePrecheck'].default, forbidSelfApproval: properties['qraft.approval.forbidSelfApproval'].default, requireSignatures: properties['qraft.approval.requireSignatures'].default },
      { requirePrecheck: true, forbidSelfApproval: false, requireSignatures: false },
    );
  });

  it('every setting that overrides qraft.config.json is declared, and read per folder (resource scope)', () => {
    for (const setting of Object.keys(SETTING_OVERRIDES)) {
      assert.ok(properties[`qraft.${setting}`], `qraft.${setting} is declared`);
      assert.equal(properties[`qraft.${setting}`].scope, 'resource', `qraft.${setting}`);
    }
    for (const key of ['poolRoot', 'deployDir', 'reportsDir', 'pricesPath', 'engine']) assert.equal(properties[`qraft.${key}`].scope, 'resource', key);
    assert.equal(properties['qraft.pythonPath'].scope, 'machine-overridable');
  });

  it('declares that virtual workspaces are not supported (the code needs file: URIs)', () => {
    assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
    assert.ok(pkg.capabilities.virtualWorkspaces.description);
  });

  it('payload.json gets the strategy schema and the strategy menus', () => {
    const strategySchema = pkg.contributes.jsonValidation.find((entry: { url: string }) => entry.url === './schemas/strategy.schema.json');
    assert.ok(strategySchema.fileMatch.some((pattern: string) => pattern.endsWith('/payload.json') && pattern.includes('pool')));
    assert.ok(strategySchema.fileMatch.includes('**/examples/payload.json'));
    for (const menu of ['explorer/context', 'editor/context']) {
      for (const item of pkg.contributes.menus[menu].filter((entry: { command: string }) => entry.command.startsWith('qraft.'))) assert.match(item.when, /resourceFilename == payload\.json/);
    }
  });

  it('the VSIX: icon 128×128 PNG, Marketplace metadata, the user README and CHANGELOG, the translations, no developer README', () => {
    const icon = readFileSync(join(ROOT, pkg.icon));
    assert.equal(icon.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
    for (const field of ['repository', 'bugs', 'homepage', 'keywords', 'galleryBanner']) assert.ok(pkg[field], field);
    assert.match(pkg.scripts.package, /--readme-path docs\/marketplace\/README\.md/);
    assert.ok(readFileSync(join(ROOT, 'docs', 'marketplace', 'README.md'), 'utf8').startsWith('# Qraft Release'));
    const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const kept of ['!package.nls.json', '!package.nls.*.json', '!l10n/*.json', '!media/icon.png', '!CHANGELOG.md']) assert.ok(ignore.includes(kept), kept);
    assert.ok(!ignore.includes('!README.md'), 'the developer README (CI timings) does not ship');
  });

  it('strategy documents: strategy.json, *.strategy.json and a payload.json that reads as a strategy', () => {
    assert.equal(isStrategyDocumentName('/w/examples/strategy.json'), true);
    assert.equal(isStrategyDocumentName('C:\\w\\momentum.strategy.json'), true);
    assert.equal(isStrategyDocumentName('/w/artifacts/pool/payload.json'), true);
    assert.equal(isStrategyDocumentName('/w/package.json'), false);
    const strategy = JSON.stringify({ name: 'sma', version: '1', signal: { type: 'sma_cross' } });
    assert.equal(offersStrategyLenses('/w/examples/payload.json', strategy), true);
    assert.equal(offersStrategyLenses('/w/other/payload.json', '{"data": [1, 2]}'), false, "another tool's payload.json gets no lenses");
    assert.equal(offersStrategyLenses('/w/strategy.json', '{ broken'), true, 'a broken strategy.json keeps its lenses (the commands report the error)');
    assert.equal(offersStrategyLenses('/w/notes.json', strategy), false);
  });
});
