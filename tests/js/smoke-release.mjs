// Smoke test of the optimised release package in headless Chromium: the module instantiates
// (a broken wasm-opt makes it throw here, while debug-build tests still pass), `new Clerk`
// works, and a malformed key gives a typed error. Run after .ci/build-package.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { launch } from './browser.mjs';

const root = new URL('../../', import.meta.url).pathname;
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const page = `<!doctype html><script type="module">
  try {
    const { Clerk } = await import('/pkg/index.js');
    const clerk = new Clerk('pk_test_Y2xlcmsuZXhhbXBsZS5hY2NvdW50cy5kZXYk', { proxyUrl: 'http://127.0.0.1:9/' });
    let bad;
    try { new Clerk('pk_nope'); } catch (e) { bad = { code: e.code, clerkError: e.clerkError, isError: e instanceof Error }; }
    window.result = { ok: true, loaded: clerk.loaded, frontendApi: clerk.frontendApi, session: String(clerk.session), bad };
  } catch (e) { window.result = { ok: false, error: String(e && e.stack || e) }; }
</script>`;
const server = createServer(async (req, res) => {
  if (req.url === '/smoke.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!path.startsWith(join(root, 'pkg'))) return res.writeHead(404).end();
  try { res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(await readFile(path)); }
  catch { res.writeHead(404).end(); }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { browser, context } = await launch();
let failed = 0;
try {
  const tab = await context.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/smoke.html`);
  const result = await tab.waitForFunction(() => window.result, null, { timeout: 15000 }).then((h) => h.jsonValue());
  const checks = [
    ['module instantiates', result.ok, result.error],
    ['new Clerk(key) works', result.frontendApi === 'clerk.example.accounts.dev' && result.loaded === false],
    ['session is undefined before load', result.session === 'undefined'],
    ['malformed key → typed error', result.bad?.code === 'invalid_publishable_key' && result.bad.clerkError === true && result.bad.isError],
  ];
  for (const [name, ok, detail] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} release smoke: ${name}${ok || !detail ? '' : ` — ${detail}`}`);
    if (!ok) failed++;
  }
  console.log(`release-smoke: ${checks.length - failed} passed, ${failed} failed`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
