// Starts the real falsim and falstudio binaries on 127.0.0.1 and a headless Debian Chromium.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const STARTUP_MS = 30_000;

// waitForLine resolves with the first match of re in the process output, or rejects on timeout/exit.
function waitForLine(proc, re, name) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name}: no ${re} within ${STARTUP_MS} ms:\n${buf}`)), STARTUP_MS);
    const onData = (d) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        resolve({ match: m, output: () => buf });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${buf}`));
    });
  });
}

export async function startFalsim() {
  const bin = process.env.FALSIM_BIN;
  if (!bin) throw new Error('FALSIM_BIN is not set: run scripts/e2e.sh');
  const proc = spawn(bin, ['-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output } = await waitForLine(proc, /Ctrl\+C stops/, 'falsim');
  const env = {};
  for (const line of output().split('\n')) {
    const m = line.trim().match(/^(?:export\s+)?(FAL_[A-Z_]+)=['"]?([^'"\s]+)['"]?$/);
    if (m) env[m[1]] = m[2];
  }
  return { env, stop: () => stop(proc) };
}

export async function startStudio(falEnv, extraEnv = {}) {
  const bin = process.env.FALSTUDIO_BIN;
  if (!bin) throw new Error('FALSTUDIO_BIN is not set: run scripts/e2e.sh');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'falstudio-e2e-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ADDR: '127.0.0.1:0', ...falEnv, ...extraEnv };
  const proc = spawn(bin, [], { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const { match, output } = await waitForLine(proc, /fal-studio listening.*addr=(127\.0\.0\.1:\d+)/, 'falstudio');
  return {
    url: `http://${match[1]}`,
    logs: output,
    stop: async () => {
      await stop(proc);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// freePort finds a loopback port nothing listens on (the studio of an SSO test must know its
// PUBLIC_URL, and the provider its redirect URL, before the studio starts).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// startOIDCProvider runs cmd/oidcprovider (a real OpenID provider, loopback only) for a studio
// whose redirect URL is redirect; it answers the OIDC_* variables and the provider's people.
export async function startOIDCProvider(redirect) {
  const bin = process.env.OIDCPROVIDER_BIN;
  if (!bin) throw new Error('OIDCPROVIDER_BIN is not set: run scripts/e2e.sh');
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', '-redirect', redirect], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output } = await waitForLine(proc, /Ctrl\+C stops/, 'oidcprovider');
  const env = {};
  for (const line of output().split('\n')) {
    const m = line.trim().match(/^(OIDC_[A-Z_]+)=(\S+)$/);
    if (m) env[m[1]] = m[2];
  }
  return { env, issuer: env.OIDC_ISSUER, password: 'provider-password', stop: () => stop(proc) };
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    proc.kill('SIGTERM');
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required'],
  });
}

export async function screenshot(page, name) {
  const dir = process.env.E2E_SCREENSHOTS || path.resolve('screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

// startAll starts the simulator, a studio pointed at it (with extraEnv) and the browser, the
// set-up every browser test file shares; stop() ends all three, in reverse order.
export async function startAll(extraEnv = {}) {
  const env = {};
  env.stop = async () => {
    await env.browser?.close();
    await env.studio?.stop();
    await env.sim?.stop();
  };
  env.sim = await startFalsim();
  env.studio = await startStudio(env.sim.env, extraEnv);
  env.browser = await launchBrowser();
  return env;
}

// newPage opens a page in a fresh browser context on env ({ browser, studio }, e.g. startAll's);
// options are the context's (viewport, storageState, colorScheme…), clipboard grants clipboard
// access. problems collects what must fail the test, which asserts it empty: an uncaught page
// error, or a request to any origin but the studio's own (the UI loads only the studio's
// persisted URLs, never the provider's). streams lists the event streams the page opened.
export async function newPage(env, { clipboard = false, ...options } = {}) {
  const origin = new URL(env.studio.url).origin;
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems = [];
  const streams = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'blob:' || u.protocol === 'data:') return;
    if (u.origin !== origin) problems.push(`request to another origin: ${r.url()}`);
    if (u.pathname.endsWith('/events')) streams.push(u.pathname);
  });
  return { context, page, problems, streams };
}

// settledValue waits (at most timeout ms) until a form control holds want and returns the value
// it holds then. React applies a hand-over (a reuse, a preset, a reload's defaults) in an effect
// just after the first paint, and a read at once can land between the two; a control that never
// gets there returns what it holds, so the caller's assert shows the real difference.
export async function settledValue(locator, want, timeout = 10_000) {
  const el = await locator.elementHandle();
  try {
    await locator.page().waitForFunction(([node, v]) => node.value === v, [el, want], { timeout, polling: 'raf' });
  } catch {
    // fall through: report the value it ended with
  }
  return locator.inputValue();
}
