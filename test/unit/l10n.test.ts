/**
 * English and Simplified Chinese for every manifest string and every runtime message of the
 * extension: nothing is left to show in English but the core's own sentences (errors, report
 * text), which stay English like the CLI. The workbench itself runs in zh-cn in the e2e suite
 * (test/e2e/registry.test.ts, with a stand-in language pack that switches code-server's locale).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, BUNDLE_ZH, ROOT, l10nCalls, placeholders, readBundle } from '../../scripts/l10n';
import { english, l10n, useTranslator } from '../../src/views/models/localize';
import { relativeAge } from '../../src/views/models/nodes';
import { reportHtml } from '../../src/views/report/html';
import { isHostMessage } from '../../src/views/report/protocol';
import { l10n as page, useBundle } from '../../media/report/l10n';

const read = (name: string) => JSON.parse(readFileSync(join(ROOT, name), 'utf8')) as Record<string, unknown>;
const pkg = read('package.json');
const nls = read('package.nls.json') as Record<string, string>;
const nlsZh = read('package.nls.zh-cn.json') as Record<string, string>;

/** Every string value anywhere in package.json, with its JSON path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${path}[${index}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => strings(item, path ? `${path}.${key}` : key));
  return [];
}

/** Command links and `code` spans: a translation must keep them as they are. */
const kept = (text: string) => [...text.matchAll(/\]\((command:[^)]+)\)|`[^`]+`/g)].map((match) => match[0].replace(/^\]\(/, '')).sort();

describe('localization', () => {
  describe('manifest (package.nls*.json)', () => {
    it('every %key% in package.json exists in package.nls.json, and every key is used', () => {
      const used = strings(pkg)
        .map(([, text]) => /^%(.+)%$/.exec(text)?.[1])
        .filter((key): key is string => key !== undefined);
      assert.ok(used.length > 50, `only ${used.length} %key% references`);
      assert.deepEqual(used.filter((key) => !(key in nls)), []);
      assert.deepEqual(Object.keys(nls).filter((key) => !used.includes(key)), []);
    });

    it('the user-facing manifest fields are all %key% references', () => {
      const plain = strings(pkg.contributes)
        .filter(([path]) => /(\.title|\.description|\.name|\.contents|enumDescriptions\[\d+\]|markdownDescription)$/.test(path))
        .filter(([, text]) => !/^%.+%$/.test(text));
      assert.deepEqual(plain, []);
    });

    it('package.nls.zh-cn.json translates every key of package.nls.json and no other', () => {
      assert.deepEqual(Object.keys(nlsZh).sort(), Object.keys(nls).sort());
      for (const [key, text] of Object.entries(nlsZh)) assert.ok(typeof text === 'string' && text.trim().length > 0, key);
    });

    it('translations keep the command links, code spans and placeholders', () => {
      for (const key of Object.keys(nls)) {
        assert.deepEqual(kept(nlsZh[key]), kept(nls[key]), key);
        assert.deepEqual(placeholders(nlsZh[key]), placeholders(nls[key]), key);
      }
    });

    it('is Chinese where it should be (not English copied over)', () => {
      const same = Object.keys(nls).filter((key) => nls[key] === nlsZh[key] && /[a-z]{3} [a-z]{3}/.test(nls[key]));
      assert.deepEqual(same, []);
    });
  });

  describe('runtime messages (l10n/bundle.l10n*.json)', () => {
    const calls = l10nCalls();
    const bundle = readBundle(BUNDLE);
    const zh = readBundle(BUNDLE_ZH);

    it('package.json points VS Code at the bundles', () => {
      assert.equal(pkg.l10n, './l10n');
    });

    it('finds the calls in src/views (vscode.l10n.t, the models\' l10n.t) and media/report (the page\'s l10n.t)', () => {
      assert.ok(calls.length > 80, `only ${calls.length} calls`);
      assert.ok(calls.some((call) => call.file.startsWith('src/views/models/')));
      assert.ok(calls.some((call) => call.file === 'src/views/releaseCommands.ts'));
      assert.ok(calls.some((call) => call.file.startsWith('media/report/')), 'the report page\'s strings');
    });

    it('every message is a string literal', () => {
      assert.deepEqual(calls.filter((call) => call.message === undefined).map((call) => `${call.file}:${call.line}`), []);
    });

    it('every message is in bundle.l10n.json and bundle.l10n.zh-cn.json, and neither has stale entries', () => {
      const messages = new Set(calls.map((call) => call.message as string));
      assert.deepEqual([...messages].filter((message) => bundle[message] !== message), [], 'run `npm run l10n` to regenerate bundle.l10n.json');
      assert.deepEqual([...messages].filter((message) => typeof zh[message] !== 'string' || zh[message].trim() === ''), [], 'add these to l10n/bundle.l10n.zh-cn.json');
      assert.deepEqual(Object.keys(bundle).filter((key) => !messages.has(key)), []);
      assert.deepEqual(Object.keys(zh).filter((key) => !messages.has(key)), []);
    });

    it('placeholders {n} match between English and Chinese, and each call passes them all', () => {
      for (const [message, translation] of Object.entries(zh)) assert.deepEqual(placeholders(translation), placeholders(message), message);
      for (const call of calls) {
        const wanted = placeholders(call.message ?? '');
        assert.deepEqual(wanted, wanted.map((_, index) => index), `${call.file}:${call.line}: placeholders must be {0}…{n}`);
        assert.equal(call.args, wanted.length, `${call.file}:${call.line}: ${call.args} argument(s) for ${wanted.length} placeholder(s)`);
      }
    });
  });

  describe('the report page', () => {
    afterEach(() => useBundle(undefined));

    it('words itself from the bundle the host sends, English without one', () => {
      assert.equal(page.t('Score {0} of 100', 87), 'Score 87 of 100');
      useBundle(readBundle(BUNDLE_ZH));
      assert.equal(page.t('Score {0} of 100', 87), '得分 87（满分 100）');
      assert.equal(page.t('not in the bundle {0}', 1), 'not in the bundle 1');
      assert.equal(page.t('toString'), 'toString', 'only the bundle\'s own entries count');
    });

    it('the page shell carries the display language and the loading line in it (English by default)', () => {
      const options = { cspSource: 'vscode-resource:', nonce: 'abcdefghijklmnopqrstuv', scriptUri: 'r.js', styleUri: 'r.css', title: 't' };
      assert.match(reportHtml(options), /<html lang="en">[\s\S]*Loading report…/);
      const zh = reportHtml({ ...options, lang: 'zh-cn', loading: '正在加载报告…' });
      assert.match(zh, /<html lang="zh-cn">/);
      assert.match(zh, /<p class="loading">正在加载报告…<\/p>/);
      assert.match(reportHtml({ ...options, lang: 'en" onload="x' }), /<html lang="en">/);
    });

    it('accepts a render message with a bundle of strings, and refuses any other bundle', () => {
      const message = { type: 'unavailable', reportPath: '/r.json', message: 'gone' };
      assert.equal(isHostMessage({ ...message, l10n: { a: 'b' } }), true);
      assert.equal(isHostMessage(message), true);
      assert.equal(isHostMessage({ ...message, l10n: { a: 1 } }), false);
      assert.equal(isHostMessage({ ...message, l10n: 'zh' }), false);
    });
  });

  describe('the view models\' translator', () => {
    afterEach(() => useTranslator(english));

    it('is English with the placeholders filled until activate() installs vscode.l10n.t', () => {
      assert.equal(l10n.t('{0} entries', 3), '3 entries');
      assert.equal(english('{1}-{0}-{2}', 'a', 'b'), 'b-a-{2}');
    });

    it('words the rows in the installed language', () => {
      const zh = readBundle(BUNDLE_ZH);
      useTranslator((message, ...args) => english(zh[message] ?? message, ...args));
      assert.equal(relativeAge('2026-11-25T11:45:00Z', new Date('2026-11-25T12:00:00Z')), '15 分钟前');
    });
  });
});
