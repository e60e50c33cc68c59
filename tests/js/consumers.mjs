// The built package (pkg/) as three kinds of consumers would use it:
//   (a) TypeScript: consumers/app.ts compiled with `tsc --strict --noEmit` against pkg/index.d.ts;
//   (b) a Vite 7 build importing 'clerk-rs' by name (node_modules/clerk-rs → pkg/, so the
//       package.json `exports` are what resolves it), loaded in Chromium;
//   (c) a plain <script type="module"> page importing /pkg/index.js, loaded in Chromium.
// (b) and (c) are served by one clerk-server (fresh seeded database, same origin) and each runs
// consumers/flow.js: new Clerk(...).load(), then a password sign-in of bob.
import { spawnSync, execFileSync } from 'node:child_process';
import { startClerkServer } from './server.mjs';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const root = new URL('../../', import.meta.url).pathname;
const here = join(root, 'tests/js');
const consumers = join(here, 'consumers');

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} consumers: ${name}${ok || detail === undefined ? '' : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
  return ok;
}
function finish() {
  console.log(`consumers: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (!existsSync(join(root, 'pkg/index.js'))) {
  check('pkg/ exists (run .ci/build-package first)', false);
  finish();
}

// ---------------------------------------------------------------- (a) TypeScript, strict

{
  const tsc = spawnSync(join(here, 'node_modules/.bin/tsc'), ['-p', consumers, '--strict', '--noEmit', '--listFiles'], { encoding: 'utf8' });
  const output = `${tsc.stdout}${tsc.stderr}`;
  const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
  check('tsc --strict --noEmit: app.ts compiles against pkg/index.d.ts', tsc.status === 0, errors.join('\n') || output.slice(0, 2000));
  check('tsc used the built package\'s types', output.split('\n').some((l) => l.endsWith('/pkg/index.d.ts')));
  // Each @ts-expect-error must be an error, or tsc reports it unused (TS2578): covered by the
  // first check; this one makes sure they are still there.
  const expected = execFileSync('grep', ['-c', '@ts-expect-error', join(consumers, 'app.ts')], { encoding: 'utf8' });
  check(`types are not any: ${expected.trim()} @ts-expect-error lines all hold`, Number(expected) >= 10 && tsc.status === 0);
}

// ---------------------------------------------------------------- (b) the Vite build

const dir = mkdtempSync(join(tmpdir(), 'clerk-rs-consumers-'));
const site = join(dir, 'site');
{
  const modules = join(consumers, 'vite/node_modules');
  rmSync(modules, { recursive: true, force: true });
  mkdirSync(modules);
  symlinkSync(join(root, 'pkg'), join(modules, 'clerk-rs'), 'dir');
  const vite = spawnSync(join(here, 'node_modules/.bin/vite'), ['build', join(consumers, 'vite')], {
    encoding: 'utf8', env: { ...process.env, VITE_OUT_DIR: join(site, 'vite') },
  });
  rmSync(modules, { recursive: true, force: true });
  check('vite build succeeds', vite.status === 0, `${vite.stdout}${vite.stderr}`.slice(-3000));
  const assets = existsSync(join(site, 'vite/assets')) ? readdirSync(join(site, 'vite/assets')) : [];
  check('vite build emits the wasm as an asset', assets.some((f) => f.endsWith('.wasm')), assets);
}

// ---------------------------------------------------------------- (c) the plain page, and the server

mkdirSync(join(site, 'script'), { recursive: true });
cpSync(join(consumers, 'script/index.html'), join(site, 'script/index.html'));
cpSync(join(consumers, 'flow.js'), join(site, 'script/flow.js'));
cpSync(join(root, 'pkg'), join(site, 'pkg'), { recursive: true });

execFileSync('cargo', ['build', '-q', '-p', 'clerk-server'], { cwd: root, stdio: 'inherit' });
const clerkServer = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
const { base } = clerkServer;
const server = clerkServer.process;

try {
  if (!check('clerk-server started', clerkServer.started, clerkServer.log())) throw new Error('no server');
  const pages = [
    ['Vite app', '/vite/', 'a hashed asset under /vite/assets/', /^\/vite\/assets\/.*\.wasm$/],
    ['script module', '/script/', '/pkg/clerk_bg.wasm', /^\/pkg\/clerk_bg\.wasm$/],
  ];
  for (const [name, path, wasmLabel, wasmFrom] of pages) {
    // A browser of its own: a fresh client (cookies, storage) for each consumer.
    const { browser } = await launch();
    try {
      const page = await browser.newPage();
      const errors = [];
      const requested = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      await page.goto(`${base}${path}`);
      const r = await page.waitForFunction(() => window.result, null, { timeout: 20000 })
        .then((h) => h.jsonValue(), (e) => ({ ok: false, error: `no result: ${e.message}` }));
      check(`${name}: the module loads and new Clerk(...).load() works`, r.loaded === true && r.sessionAfterLoad === 'null', r);
      check(`${name}: password sign-in of bob completes`,
        r.ok && r.signInStatus === 'complete' && r.email === 'bob@example.com' && r.sessionId?.startsWith('sess_') && r.tokenSid === r.sessionId, r);
      check(`${name}: wasm fetched from ${wasmLabel}`, requested.some((p) => wasmFrom.test(p)), requested);
      if (name === 'Vite app') check('Vite app: nothing requested from /pkg/ (bundled)', !requested.some((p) => p.startsWith('/pkg/')), requested);
      // The lazy chunks (lazy.ts): loading, signing in and reading a token fetch none of them;
      // the first redirect-flow call fetches the flows chunk, and its errors are typed.
      const chunks = (list) => (list ?? []).filter((p) => /\/(chunk-[^/]*|[^/]*(flows|passkeys)[^/]*)\.js$/.test(p));
      check(`${name}: load, sign-in and getToken fetch no lazy chunk`, Array.isArray(r.fetchedBeforeFlows) && chunks(r.fetchedBeforeFlows).length === 0, r.fetchedBeforeFlows);
      check(`${name}: handleEmailLinkVerification() fetches the flows chunk, then rejects with code 'failed'`,
        chunks(r.fetchedAfterFlows).length === 1 && /flows/.test(chunks(r.fetchedAfterFlows)[0]) && r.flowError?.isError === true
          && r.flowError.clerkError === true && r.flowError.name === 'ClerkError' && r.flowError.code === 'failed', { after: r.fetchedAfterFlows, error: r.flowError });
      check(`${name}: no uncaught errors`, errors.length === 0, errors);
    } finally {
      await browser.close();
    }
  }
} catch (e) {
  if (e.message !== 'no server') check('runner ran to the end', false, String(e?.stack ?? e));
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
finish();
