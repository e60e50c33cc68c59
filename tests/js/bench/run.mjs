#!/usr/bin/env node
// `make bench`: clerk-rs (pkg/, release build) side by side with @clerk/clerk-js 6.40.0 in one
// headless Chromium, against one clerk-server. Prints a table and writes BENCHMARKS.md.
// Not a test: it never fails on a missed target, only on a broken run.
// Env: BENCH_ROUNDS (default 5), BENCH_SKIP_STEADY=1 (skip the 10-lifetime part), CHROMIUM.
import { execFileSync } from 'node:child_process';
import { startClerkServer } from '../server.mjs';
import { unusedTotp } from '../totp.mjs';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants as zc } from 'node:zlib';
import { createRequire } from 'node:module';
import { CHROMIUM_ARGS } from '../browser.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TTL = 5;
const LIFETIMES = 10;
const TTL2 = 20;
const LIFETIMES2 = 2;
const CLERK_JS_VERSION = '6.40.0';
const clerkJsDir = join(root, 'server/tests/js/node_modules/@clerk/clerk-js');
const T_START = Date.now();
const log = (...a) => console.error(`[bench +${((Date.now() - T_START) / 1000).toFixed(0)}s]`, ...a);

// ------------------------------------------------------------------ prerequisites

if (!existsSync(join(root, 'pkg/index.js'))) throw new Error('pkg/ is missing: run `make package`');
const cjsVersion = JSON.parse(readFileSync(join(clerkJsDir, 'package.json'), 'utf8')).version;
if (cjsVersion !== CLERK_JS_VERSION) throw new Error(`@clerk/clerk-js ${cjsVersion} installed, want ${CLERK_JS_VERSION} (run .ci/setup)`);
log('building clerk-server (release)');
execFileSync('cargo', ['build', '-q', '--release', '-p', 'clerk-server'], { cwd: root, stdio: 'inherit' });

const tmp = mkdtempSync(join(tmpdir(), 'clerk-rs-bench-'));
const site = join(tmp, 'site');
mkdirSync(site);
symlinkSync(join(root, 'pkg'), join(site, 'pkg'));
symlinkSync(join(clerkJsDir, 'dist'), join(site, 'clerk'));
writeFileSync(join(site, 'bench.js'), readFileSync(join(here, 'page.js')));

const servers = [];
async function startServer(name, ttl) {
  const server = await startClerkServer({ db: join(tmp, `${name}.db`), www: site, ttl, profile: 'release', timeoutMs: 30_000 });
  servers.push(server);
  if (!server.started) throw new Error(`clerk-server did not start:\n${server.log()}`);
  const inst = await (await fetch(`${server.base}/__dev/instance`)).json();
  return { base: server.base, pk: inst.publishable_key, orgId: server.orgId, log: server.log };
}
function stopServers() { for (const server of servers) server.stop(); }
process.on('exit', () => { stopServers(); rmSync(tmp, { recursive: true, force: true }); });

/** The two pages: each loads its client, then page.js's boot() calls load() at once. */
function writePages(srv, suffix = '', pk = srv.pk) {
  // The preload hints the README documents for apps: the wasm download starts with the page.
  const ours = `<!doctype html><meta charset="utf-8"><title>clerk-rs</title>
<link rel="modulepreload" href="/pkg/index.js">
<link rel="preload" href="/pkg/clerk_bg.wasm" as="fetch" type="application/wasm" crossorigin>
<script src="/bench.js"></script>
<script type="module">
import { Clerk } from '/pkg/index.js';
__b.tLib = performance.now();
__b.boot(new Clerk(${JSON.stringify(pk)}, { proxyUrl: location.origin }));
</script>`;
  const theirs = `<!doctype html><meta charset="utf-8"><title>clerk-js</title><script src="/bench.js"></script>
<script src="/clerk/clerk.browser.js" data-clerk-publishable-key="${pk}" data-clerk-proxy-url="${srv.base}"></script>
<script>
(function wait() {
  if (!window.Clerk) return setTimeout(wait, 1);
  __b.tLib = performance.now();
  __b.boot(window.Clerk);
})();
</script>`;
  writeFileSync(join(site, `ours${suffix}.html`), ours);
  writeFileSync(join(site, `clerkjs${suffix}.html`), theirs);
}

/** alice's TOTP secret, as the server seeds it. */
const ALICE_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

// ------------------------------------------------------------------ browser helpers

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const chromiumVersion = browser.version();

/** A fresh context (own cookies, storage, BroadcastChannel) and page, loaded and ready. */
async function open(srv, who, suffix = '') {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ t: Date.now(), method: r.method(), url: r.url(), body: r.postData() ?? '' }));
  page.on('pageerror', (e) => log(`${who} pageerror: ${e.message}`));
  await page.goto(`${srv.base}/${who}${suffix}.html`);
  await page.waitForFunction(() => window.__b?.t1, null, { timeout: 30000 });
  const errors = await page.evaluate(() => __b.errors);
  if (errors.length) throw new Error(`${who}: ${errors.join('; ')}`);
  return { context, page, requests, cdp: await context.newCDPSession(page) };
}

async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const u = await cdp.send('Runtime.getHeapUsage');
  return { js: u.usedSize, backing: u.backingStorageSize ?? 0 };
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ------------------------------------------------------------------ one measured round of one client

/** Load (signed out), heap, sign-in, 1,000 getToken, cached rate, 100 concurrent cold, setActive, signed-in reload. */
async function round(srv, who) {
  const r = {};
  {
    // The server's own key (host 127.0.0.1): clerk-js uses no dev browser with it.
    const { context, page } = await open(srv, who, '-ip');
    await page.waitForTimeout(1000);
    Object.assign(r, await page.evaluate(() => ({ ipLoadMs: __b.t1 - __b.t0, ipLoadReqs: __b.fapi(0, __b.t1).length, ipLoadReqs1s: __b.fapi().length })));
    await context.close();
  }
  const { context, page, cdp, requests } = await open(srv, who);
  try {
    await page.waitForTimeout(1000); // let anything load() starts in the background show up
    Object.assign(r, await page.evaluate(() => ({
      loadMs: __b.t1 - __b.t0, navToReadyMs: __b.t1, libMs: __b.tLib,
      loadReqs: __b.fapi(0, __b.t1).length, loadReqs1s: __b.fapi().length, wasmMemory: __b.wasmMemory(),
    })));
    r.fapiLoad = requests.filter((q) => new URL(q.url).pathname.startsWith("/v1/")).map((q) => q.method + " " + q.url.replace(/^http:..[^/]+/, "") + " " + q.body);
    r.assets = requests.filter((q) => /\/(pkg|clerk)\//.test(new URL(q.url).pathname)).map((q) => new URL(q.url).pathname);
    r.heapLoad = await heap(cdp);
    const bob = await page.evaluate(async () => { const id = await __b.signIn('bob@example.com'); await C.setActive({ session: id }); await C.session.getToken(); return id; });
    await page.evaluate(() => __b.calls(1000));
    r.heap1000 = await heap(cdp);
    r.wasmMemory1000 = await page.evaluate(() => __b.wasmMemory());
    r.cachedRate = await page.evaluate(() => __b.cachedRate(1000));
    r.floorRate = await page.evaluate(() => __b.floorRate(500));
    r.cold = await page.evaluate(() => __b.concurrent(100, undefined, true));
    r.coldTemplate = await page.evaluate(() => __b.concurrent(100, { template: 'demo' }, false));
    const alice = await page.evaluate((code) => __b.signIn('alice@example.com', code), await unusedTotp(ALICE_TOTP_SECRET));
    await page.evaluate((id) => C.setActive({ session: id }), alice);
    await page.evaluate(() => new Promise((res) => setTimeout(res, 300)));
    r.switches = [];
    for (const id of [bob, alice, bob, alice]) r.switches.push(await page.evaluate((id) => __b.switchTo(id), id));
    // Signed-in reload: the client comes back from the cookie with two sessions.
    await page.reload();
    await page.waitForFunction(() => window.__b?.t1, null, { timeout: 30000 });
    await page.waitForTimeout(1000);
    Object.assign(r, await page.evaluate(() => ({
      reloadMs: __b.t1 - __b.t0, reloadNavToReadyMs: __b.t1, reloadReqs: __b.fapi(0, __b.t1).length, reloadReqs1s: __b.fapi().length,
      reloadSignedIn: !!C.session,
    })));
  } finally {
    await context.close();
  }
  return r;
}

// ------------------------------------------------------------------ steady use over 10 token lifetimes

async function steady(srv, who, suffix, ms) {
  const { context, page } = await open(srv, who, suffix);
  try {
    await page.evaluate(async () => { const id = await __b.signIn('bob@example.com'); await C.setActive({ session: id }); await C.session.getToken(); });
    return await page.evaluate((ms) => __b.steady(ms, 100), ms);
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------------ parity scenario

const STEPS = [
  ['load', null],
  ['signIn bob', async (p) => p.evaluate(async () => { __b.bob = await __b.signIn('bob@example.com'); })],
  ['setActive bob', async (p) => p.evaluate(() => C.setActive({ session: __b.bob }))],
  ['signIn alice (+TOTP)', async (p) => p.evaluate(async (code) => { __b.alice = await __b.signIn('alice@example.com', code); }, await unusedTotp(ALICE_TOTP_SECRET))],
  ['setActive alice', async (p) => p.evaluate(() => C.setActive({ session: __b.alice }))],
  ['setActive bob (back)', async (p) => p.evaluate(() => C.setActive({ session: __b.bob }))],
  ['setActive alice (beforeEmit)', async (p) => p.evaluate(() => C.setActive({ session: __b.alice, beforeEmit: () => new Promise((r) => setTimeout(r, 10)) }))],
  ['setActive org Acme', async (p, orgId) => p.evaluate((o) => C.setActive({ organization: o }), orgId)],
  ['getToken()', async (p) => p.evaluate(() => C.session.getToken())],
  ['getToken() again', async (p) => p.evaluate(() => C.session.getToken())],
  ['getToken({skipCache})', async (p) => p.evaluate(() => C.session.getToken({ skipCache: true }))],
  ["getToken({template:'demo'})", async (p) => p.evaluate(() => C.session.getToken({ template: 'demo' }))],
  ['getToken({organizationId:null})', async (p) => p.evaluate(() => C.session.getToken({ organizationId: null }))],
  ['setActive org null', async (p) => p.evaluate(() => C.setActive({ organization: null }))],
  ['session.touch()', async (p) => p.evaluate(() => C.session.touch())],
  ['session.end()', async (p) => p.evaluate(() => C.session.end())],
  ['client.destroy()', async (p) => p.evaluate(() => C.client.destroy())],
];

/** Runs the scenario; returns [{step, requests:[..], states:[..]}] with ids as raw strings. */
async function parity(srv, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let step = 'load';
  const reqs = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === srv.base && u.pathname.startsWith('/v1/')) reqs.push({ step, method: r.method(), url: u, body: r.postData() ?? '' });
  });
  page.on('pageerror', (e) => log(`${who} pageerror: ${e.message}`));
  const errors = [];
  try {
    await page.goto(`${srv.base}/${who}.html`);
    await page.waitForFunction(() => window.__b?.t1, null, { timeout: 30000 });
    await page.waitForTimeout(500);
    for (const [name, fn] of STEPS.slice(1)) {
      step = name;
      await page.evaluate((n) => { __b.step = n; }, name);
      try { await fn(page, srv.orgId); } catch (e) { errors.push(`${name}: ${String(e.message).split('\n')[0]}`); }
      await page.waitForTimeout(300);
    }
    const states = await page.evaluate(() => __b.states);
    return { reqs, states, errors };
  } finally {
    await context.close();
  }
}

const QUIET = new Set(['__clerk_api_version', '_clerk_js_version', '__clerk_db_jwt', '_clerk_retry_attempt']);
/** Labels ids by first appearance so both clients' logs compare: sess_… → sess#1. */
function labeller() {
  const seen = new Map();
  const count = {};
  return (text) => text.replace(/\b(sess|user|org|sia|sua|client|idn|dvb|orgmem|mem)_[A-Za-z0-9]{8,}/g, (id, kind) => {
    if (!seen.has(id)) { count[kind] = (count[kind] ?? 0) + 1; seen.set(id, `${kind}#${count[kind]}`); }
    return seen.get(id);
  });
}
function describe(run) {
  const L = labeller();
  const byStep = new Map(STEPS.map(([n]) => [n, { requests: [], states: [] }]));
  for (const r of run.reqs) {
    const q = [...r.url.searchParams].filter(([k]) => !QUIET.has(k)).map(([k, v]) => `${k}=${v}`);
    const body = r.body ? [...new URLSearchParams(r.body)].map(([k, v]) => `${k}=${/password|code/.test(k) ? '…' : v}`) : [];
    byStep.get(r.step).requests.push(L(`${r.method} ${r.url.pathname}${q.length ? `?${q.join('&')}` : ''}${body.length ? ` {${body.join(', ')}}` : ''}`));
  }
  for (const s of run.states) byStep.get(s.step)?.states.push(L(`session=${s.session} user=${s.user} org=${s.org} client=${s.client}`));
  return byStep;
}
/** Line diff (LCS): ' ' both, '-' clerk-js only, '+' ours only. */
function diff(a, b) {
  const n = a.length, m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push(`  ${a[i]}`); i++; j++; }
    else if (j >= m || (i < n && dp[i + 1][j] >= dp[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

// ------------------------------------------------------------------ bundle sizes

const gzip9 = (f) => execFileSync('gzip', ['-9c', f], { maxBuffer: 1 << 30 }).length;
const brotli = (f) => brotliCompressSync(readFileSync(f), {
  params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: statSync(f).size },
}).length;
function sizes(files) {
  const t = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) { t.raw += statSync(f).size; t.gzip += gzip9(f); t.brotli += brotli(f); }
  return t;
}

// ------------------------------------------------------------------ the run

// A key for a Clerk development host (as real apps have): both clients then use the dev browser.
const DEV_PK = 'pk_test_Y2xlcmsuc3R1Yi5hY2NvdW50cy5kZXYk'; // clerk.stub.accounts.dev
const main = await startServer('main', 60);
writePages(main, '', DEV_PK);
writePages(main, '-ip');
log(`clerk-server ${main.base}, ${ROUNDS} rounds A B A B (A = clerk-rs, B = clerk-js), a fresh browser context each`);
const results = { ours: [], clerkjs: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const who of ['ours', 'clerkjs']) {
    const r = await round(main, who);
    results[who].push(r);
    log(`round ${i + 1} ${who}: load ${r.loadMs.toFixed(1)} ms, cached ${Math.round(r.cachedRate)}/s`);
  }
}

log('parity scenario through both clients');
const par = { ours: await parity(main, 'ours'), clerkjs: await parity(main, 'clerkjs') };

let steadyRes = null;
if (process.env.BENCH_SKIP_STEADY !== '1') {
  const short = await startServer('ttl5', TTL);
  writePages(short, '-ttl5', DEV_PK);
  log(`steady use: ${LIFETIMES} lifetimes of ${TTL} s, both clients at once (separate contexts), server ${short.base}`);
  const [o, c] = await Promise.all([steady(short, 'ours', '-ttl5', LIFETIMES * TTL * 1000), steady(short, 'clerkjs', '-ttl5', LIFETIMES * TTL * 1000)]);
  steadyRes = { ours: o, clerkjs: c };
  // clerk-js treats a token as expired when under 5 s of it remain, so 5 s tokens are stale on
  // arrival for it. A second, shorter run with 20 s tokens shows both clients in clerk-js's regime.
  const longer = await startServer('ttl20', TTL2);
  writePages(longer, '-ttl20', DEV_PK);
  log(`steady use: ${LIFETIMES2} lifetimes of ${TTL2} s, both clients at once, server ${longer.base}`);
  const [o2, c2] = await Promise.all([steady(longer, 'ours', '-ttl20', LIFETIMES2 * TTL2 * 1000), steady(longer, 'clerkjs', '-ttl20', LIFETIMES2 * TTL2 * 1000)]);
  steadyRes.ours2 = o2;
  steadyRes.clerkjs2 = c2;
}
await browser.close();
stopServers();

// ------------------------------------------------------------------ report

const assetsOf = (who) => [...new Set(results[who].flatMap((r) => r.assets))];
const fileOf = (u) => (u.startsWith('/pkg/') ? join(root, u) : join(clerkJsDir, 'dist', u.slice('/clerk/'.length)));
// index.js imports no chunk statically (.ci/build-package prints what it does): the lazy chunks
// (pkg-template/src/lazy.ts) are fetched on first use, never before load().
const lazyChunks = readdirSync(join(root, 'pkg')).filter((f) => /^chunk-.*\.js$/.test(f)).map((f) => join(root, 'pkg', f));
const bundle = {
  ours: sizes(['pkg/clerk_bg.wasm', 'pkg/index.js'].map((f) => join(root, f))),
  oursAll: sizes([...['pkg/clerk_bg.wasm', 'pkg/index.js'].map((f) => join(root, f)), ...lazyChunks]),
  oursWasm: sizes([join(root, 'pkg/clerk_bg.wasm')]),
  // One JS file: the object layer bundled with the wasm-bindgen glue.
  oursJs: sizes([join(root, 'pkg/index.js')]),
  clerkjs: sizes([join(clerkJsDir, 'dist/clerk.browser.js')]),
  clerkjsLoaded: sizes(assetsOf('clerkjs').map(fileOf)),
  clerkjsMjs: sizes([join(clerkJsDir, 'dist/clerk.mjs')]),
};

const med = (who, f) => median(results[who].map(f));
const K = (b) => `${(b / 1024).toFixed(1)} KiB`;
const n1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const n0 = (x) => (Number.isFinite(x) ? String(Math.round(x)) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const rows = [];
const row = (what, a, b, r, target = '') => rows.push([what, a, b, r, target]);
const mark = (ok) => (ok ? 'met' : 'MISSED');

for (const k of ['raw', 'gzip', 'brotli']) {
  row(`bundle before load(), ${k === 'gzip' ? 'gzip -9' : k === 'brotli' ? 'brotli -q 11' : 'raw'} (ours: wasm + index.js; clerk-js: clerk.browser.js)`,
    K(bundle.ours[k]), K(bundle.clerkjs[k]), ratio(bundle.ours[k], bundle.clerkjs[k]),
    k === 'gzip' ? `≤ 0.60×: ${mark(bundle.ours.gzip <= 0.6 * bundle.clerkjs.gzip)}` : '');
}
row(`every chunk of the package, gzip -9 (ours: + ${lazyChunks.length} lazy chunks)`, K(bundle.oursAll.gzip), K(bundle.clerkjs.gzip),
  ratio(bundle.oursAll.gzip, bundle.clerkjs.gzip), `≤ 0.85×: ${mark(bundle.oursAll.gzip <= 0.85 * bundle.clerkjs.gzip)}`);
row('  of which wasm / JS glue, gzip -9', `${K(bundle.oursWasm.gzip)} / ${K(bundle.oursJs.gzip)}`, '', '', '');
const L = (who, f) => med(who, f);
/** A request count: the median, plus the range when the rounds did not all agree. */
const cnt = (who, f) => {
  const xs = results[who].map(f);
  const lo = Math.min(...xs), hi = Math.max(...xs);
  return lo === hi ? n0(lo) : `${n0(median(xs))} (${lo}–${hi})`;
};
const loadRow = (what, f, d = n1) => row(what, d(L('ours', f)), d(L('clerkjs', f)), ratio(L('ours', f), L('clerkjs', f)));
loadRow('load() signed out → ready, ms (call to resolve)', (r) => r.loadMs);
{
  // The time a user waits on a page load: the median of the rounds, with their spread.
  const nav = (r) => r.navToReadyMs;
  const spread = (who) => {
    const xs = results[who].map(nav).filter((x) => typeof x === 'number').sort((x, y) => x - y);
    return `${n1(median(xs))} (${n1(xs[0])}–${n1(xs[xs.length - 1])})`;
  };
  const ratioNav = L('ours', nav) / L('clerkjs', nav);
  row('navigation → ready, signed out, ms, median (range) (incl. fetching + compiling the library)', spread('ours'), spread('clerkjs'),
    ratio(L('ours', nav), L('clerkjs', nav)), `≤ 0.5×: ${mark(ratioNav <= 0.5)}`);
}
{
  const a = L('ours', (r) => r.loadReqs1s), b = L('clerkjs', (r) => r.loadReqs1s);
  row('load() signed out: FAPI requests (dev-host key, dev browser)', cnt('ours', (r) => r.loadReqs1s), cnt('clerkjs', (r) => r.loadReqs1s), ratio(a, b), `≤ clerk-js: ${mark(a <= b)}`);
  const c = L('ours', (r) => r.ipLoadReqs1s), d = L('clerkjs', (r) => r.ipLoadReqs1s);
  row('load() signed out: FAPI requests (server\'s own 127.0.0.1 key)', cnt('ours', (r) => r.ipLoadReqs1s), cnt('clerkjs', (r) => r.ipLoadReqs1s), ratio(c, d), `≤ clerk-js: ${mark(c <= d)}`);
  loadRow('load() signed out (127.0.0.1 key) → ready, ms', (r) => r.ipLoadMs);
  loadRow('reload signed in (2 sessions) → ready, ms', (r) => r.reloadMs);
  const e = L('ours', (r) => r.reloadReqs1s), f = L('clerkjs', (r) => r.reloadReqs1s);
  row('reload signed in: FAPI requests', cnt('ours', (r) => r.reloadReqs1s), cnt('clerkjs', (r) => r.reloadReqs1s), ratio(e, f), `≤ clerk-js: ${mark(e <= f)}`);
}
{
  const a = L('ours', (r) => r.cachedRate), b = L('clerkjs', (r) => r.cachedRate);
  row('cached getToken(), calls/s', n0(a), n0(b), ratio(a, b), `≥ 20×: ${mark(a >= 20 * b)}`);
  loadRow('  floor: await Promise.resolve(x), calls/s (same page)', (r) => r.floorRate, n0);
}
{
  const a = Math.max(...results.ours.map((r) => r.cold.requests)), b = Math.max(...results.clerkjs.map((r) => r.cold.requests));
  row('100 concurrent cold getToken(): /tokens requests (worst round)', String(a), String(b), '', `1: ${mark(a === 1)}`);
  const c = Math.max(...results.ours.map((r) => r.coldTemplate.requests)), d = Math.max(...results.clerkjs.map((r) => r.coldTemplate.requests));
  row("100 concurrent cold getToken({template:'demo'}): requests (worst round)", String(c), String(d), '', '');
}
if (steadyRes) {
  const o = steadyRes.ours, c = steadyRes.clerkjs;
  row(`steady use, ${LIFETIMES} lifetimes of ${TTL} s (getToken every 100 ms): /tokens requests`, String(o.tokens), String(c.tokens), ratio(o.tokens, c.tokens), `≤ ${LIFETIMES + 1}: ${mark(o.tokens <= LIFETIMES + 1)}`);
  row('  getToken latency p50 / p99 / max, ms', `${o.p50.toFixed(2)} / ${o.p99.toFixed(2)} / ${o.max.toFixed(1)}`, `${c.p50.toFixed(2)} / ${c.p99.toFixed(2)} / ${c.max.toFixed(1)}`, '', '');
  row('  calls that waited on a /tokens request (of all calls)', `${o.blocked} of ${o.calls}`, `${c.blocked} of ${c.calls}`, '', `0: ${mark(o.blocked === 0)}`);
  const o2 = steadyRes.ours2, c2 = steadyRes.clerkjs2;
  row(`steady use, ${LIFETIMES2} lifetimes of ${TTL2} s: /tokens requests`, String(o2.tokens), String(c2.tokens), ratio(o2.tokens, c2.tokens), '');
  row('  getToken latency p50 / p99 / max, ms', `${o2.p50.toFixed(2)} / ${o2.p99.toFixed(2)} / ${o2.max.toFixed(1)}`, `${c2.p50.toFixed(2)} / ${c2.p99.toFixed(2)} / ${c2.max.toFixed(1)}`, '', '');
  row('  calls that waited on a /tokens request (of all calls)', `${o2.blocked} of ${o2.calls}`, `${c2.blocked} of ${c2.calls}`, '', '');
} else {
  row('steady use over 10 lifetimes', 'skipped (BENCH_SKIP_STEADY=1)', '', '', '');
}
loadRow('setActive between two sessions → final emission, ms', (r) => median(r.switches.map((s) => s.ms)));
{
  const all = (who) => results[who].flatMap((r) => r.switches.map((s) => s.requests));
  const show = (who) => { const xs = all(who); const lo = Math.min(...xs), hi = Math.max(...xs); return lo === hi ? String(lo) : `${median(xs)} (${lo}–${hi})`; };
  row('setActive between two sessions: requests per switch (all switches)', show('ours'), show('clerkjs'), ratio(median(all('ours')), median(all('clerkjs'))), '');
}
loadRow('JS heap after load (after GC)', (r) => r.heapLoad.js, K);
loadRow('JS heap after 1,000 getToken (after GC)', (r) => r.heap1000.js, K);
row('  + our wasm linear memory after load / after 1,000 getToken', `${K(L('ours', (r) => r.wasmMemory))} / ${K(L('ours', (r) => r.wasmMemory1000))}`, 'n/a (no wasm)', '', '');
loadRow('  + ArrayBuffer backing stores after load (CDP backingStorageSize)', (r) => r.heapLoad.backing, K);

const table = [
  '| measurement | clerk-rs (A) | clerk-js 6.40.0 (B) | A/B | target |',
  '|---|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

// Parity: per step, the request lines and the listener states, diffed.
const po = describe(par.ours), pc = describe(par.clerkjs);
const parityLines = [];
let reqDiffs = 0, stateDiffs = 0;
for (const [name] of STEPS) {
  const dr = diff(pc.get(name).requests, po.get(name).requests);
  const ds = diff(pc.get(name).states, po.get(name).states);
  reqDiffs += dr.filter((l) => l[0] !== ' ').length;
  stateDiffs += ds.filter((l) => l[0] !== ' ').length;
  parityLines.push(`## ${name}`, '  requests:', ...dr.map((l) => `    ${l}`), '  listener states:', ...ds.map((l) => `    ${l}`));
}
const parityErrors = [...par.ours.errors.map((e) => `clerk-rs: ${e}`), ...par.clerkjs.errors.map((e) => `clerk-js: ${e}`)];

const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  nproc: execFileSync('nproc').toString().trim(),
  memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  chromium: chromiumVersion,
  node: process.version,
  ours: JSON.parse(readFileSync(join(root, 'pkg/package.json'), 'utf8')).version,
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(),
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
};

console.log(`\nclerk-rs ${machine.ours} (${machine.commit}) vs @clerk/clerk-js ${cjsVersion}; Chromium ${machine.chromium}, node ${machine.node}; nproc ${machine.nproc}, ${machine.memory}`);
console.log(`medians over ${ROUNDS} rounds A B A B\n`);
console.log(table);
console.log(`\nparity: ${reqDiffs} request lines and ${stateDiffs} listener-state lines differ ('-' clerk-js only, '+' clerk-rs only)\n`);
console.log(parityLines.join('\n'));
if (parityErrors.length) console.log(`\nparity step errors:\n${parityErrors.join('\n')}`);

const notes = readFileSync(join(here, 'notes.md'), 'utf8');
writeFileSync(join(root, 'BENCHMARKS.md'), `# clerk-rs vs @clerk/clerk-js: benchmarks and behaviour parity

Written by \`make bench\` (tests/js/bench/run.mjs) — do not edit by hand; the prose comes from tests/js/bench/notes.md.

- Run: ${machine.date}, clerk-rs ${machine.ours} at ${machine.commit} (release package from \`make package\`), @clerk/clerk-js ${cjsVersion} (\`clerk.browser.js\`, pinned in server/tests/js/package-lock.json)
- Machine: nproc ${machine.nproc} (${machine.cpus}), ${machine.memory} RAM, shared with other jobs; Chromium ${machine.chromium} headless (Debian), playwright-core ${require('playwright-core/package.json').version}, node ${machine.node}
- Server: clerk-server (release) on 127.0.0.1, pages served same-origin by \`--www\`, \`proxyUrl\` = the page origin; token TTL 60 s (steady-use part: ${TTL} s). Publishable key for a Clerk development host (\`clerk.stub.accounts.dev\`), so both clients use the dev browser, unless a row says "127.0.0.1 key".
- Method: ${ROUNDS} rounds, alternating A (clerk-rs) B (clerk-js) A B …; every round of every client gets a fresh browser context (own cookies, storage, dev browser, BroadcastChannel). Medians over the rounds. Requests are counted from the page's Resource Timing entries for \`/v1/\` URLs.

## Results

${table}

${notes}

## Parity: the scenario's request and listener-state sequences

One run per client, a fresh context each, on the 60 s-TTL server. Ids are labelled by first appearance (\`sess#1\` is the first session id that client saw). Query parameters \`__clerk_api_version\`, \`_clerk_js_version\`, \`__clerk_db_jwt\` are left out; passwords and codes are elided. ' ' = both clients, '-' = clerk-js only, '+' = clerk-rs only. ${reqDiffs} request lines and ${stateDiffs} state lines differ.

\`\`\`diff
${parityLines.join('\n')}
\`\`\`
${parityErrors.length ? `\nSteps that threw:\n\n${parityErrors.map((e) => `- ${e}`).join('\n')}\n` : ''}`);
console.log(`\nwrote BENCHMARKS.md (${((Date.now() - T_START) / 1000).toFixed(0)} s)`);
