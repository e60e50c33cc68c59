// A bounded soak of the release package in headless Chromium against clerk-server: many
// session/organization switches, forced token refreshes, listener add/remove pairs and
// create/dispose cycles. Checks that nothing piles up: pending timers stay within a small
// constant, open BroadcastChannels are only the live instance's, JS heap and wasm memory come
// back within a small bound after GC, and a disposed instance makes no request.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 300);
const CYCLES = Number(process.env.SOAK_CYCLES ?? 100);
let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} soak: ${name}${ok || detail === undefined ? '' : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

const { dir, site } = prepareSite('soak');
writeFileSync(join(site, 'soak.html'), '<!doctype html><title>soak</title>');
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
const { browser, context } = await launch();
try {
  if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
  const page = await context.newPage();
  page.on('pageerror', (e) => check('no uncaught page error', false, e.message));
  // Instrumented before the package loads: timers, channels, fetches and the wasm memory.
  await page.addInitScript(() => {
    const timers = new Set();
    const setT = window.setTimeout, clearT = window.clearTimeout;
    window.setTimeout = (f, ms, ...a) => { const id = setT(() => { timers.delete(id); typeof f === 'function' && f(...a); }, ms); timers.add(id); return id; };
    window.clearTimeout = (id) => { timers.delete(id); clearT(id); };
    const channels = new Set();
    const BC = window.BroadcastChannel;
    window.BroadcastChannel = class extends BC {
      constructor(name) { super(name); channels.add(this); }
      close() { channels.delete(this); super.close(); }
    };
    let fetches = 0;
    const f = window.fetch;
    window.fetch = (...a) => { fetches++; return f(...a); };
    const stream = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (...a) => {
      const r = await stream(...a);
      window.__memory = Object.values(r.instance.exports).find((e) => e instanceof WebAssembly.Memory);
      return r;
    };
    window.__probe = () => ({ timers: timers.size, channels: channels.size, fetches, wasm: window.__memory?.buffer.byteLength ?? 0 });
  });
  await page.goto(`${server.base}/soak.html`); // the Frontend API's own origin: first-party cookies
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  const setup = await page.evaluate(async ({ base }) => {
    const { Clerk } = await import(`${base}/pkg/index.js`);
    window.Clerk = Clerk;
    const { publishable_key } = await (await fetch(`${base}/__dev/instance`)).json();
    window.pk = publishable_key;
    const clerk = new Clerk(publishable_key, { proxyUrl: base });
    await clerk.load();
    const signIn = await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    const done = await signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
    await clerk.setActive({ session: done.createdSessionId });
    window.live = clerk;
    return { signedIn: clerk.session?.id ?? null };
  }, { base: server.base });
  check('signed in', typeof setup.signedIn === 'string', setup);
  const baseline = { heap: await heap(), ...(await page.evaluate(() => window.__probe())) };

  // Switches, forced refreshes and listener add/remove pairs on the live instance.
  const switched = await page.evaluate(async ({ rounds, orgId }) => {
    const clerk = window.live;
    let heard = 0;
    for (let i = 0; i < rounds; i++) {
      const off = clerk.addListener(() => { heard++; });
      await clerk.setActive({ organization: i % 2 === 0 ? orgId : null });
      await clerk.session.getToken({ skipCache: i % 3 === 0 });
      off();
    }
    return { heard, org: clerk.organization === null ? null : clerk.organization?.id, ...window.__probe() };
  }, { rounds: ROUNDS, orgId: server.orgId });
  check(`${ROUNDS} switches end on the personal account`, switched.org === null, switched);
  check(`pending timers stay bounded after ${ROUNDS} switches (≤ 2)`, switched.timers <= 2, switched);

  // Create/dispose cycles (an SPA re-creating its instance): each loads, listens, is disposed.
  const cycled = await page.evaluate(async ({ cycles }) => {
    for (let i = 0; i < cycles; i++) {
      const clerk = new window.Clerk(window.pk, { proxyUrl: window.live.proxyUrl });
      await clerk.load();
      clerk.addListener(() => {});
      await clerk.session.getToken();
      clerk.dispose();
      let code;
      try { await clerk.session?.getToken(); } catch (e) { code = e.code; }
      if (code !== 'clerk_disposed') return { failedAt: i, code };
    }
    return { ...window.__probe() };
  }, { cycles: CYCLES });
  check(`${CYCLES} create/dispose cycles: disposed instances refuse work (clerk_disposed)`, cycled.failedAt === undefined, cycled);
  check('only the live instance holds a channel', cycled.channels === 1, cycled);
  check('pending timers stay bounded after the cycles (≤ 2)', cycled.timers <= 2, cycled);

  // A disposed instance makes no request, even when the live one changes state and broadcasts.
  const quiet = await page.evaluate(async ({ orgId }) => {
    const other = new window.Clerk(window.pk, { proxyUrl: window.live.proxyUrl });
    await other.load();
    other.dispose();
    const before = window.__probe().fetches;
    await window.live.setActive({ organization: orgId });
    await window.live.setActive({ organization: null });
    await new Promise((r) => setTimeout(r, 300));
    return { requests: window.__probe().fetches - before };
  }, { orgId: server.orgId });
  check('a disposed instance makes no request (only the live one\'s 2 touches)', quiet.requests === 2, quiet);

  const after = { heap: await heap(), ...(await page.evaluate(() => window.__probe())) };
  const heapGrowth = after.heap - baseline.heap;
  const wasmGrowth = after.wasm - baseline.wasm;
  console.log(`soak: heap ${baseline.heap} → ${after.heap} B, wasm memory ${baseline.wasm} → ${after.wasm} B`);
  check('JS heap after GC within 2 MiB of the start', heapGrowth < 2 * 1024 * 1024, { baseline, after });
  check('wasm memory within 2 MiB of the start', wasmGrowth < 2 * 1024 * 1024, { baseline, after });
  console.log(`soak: ${passed} passed, ${failed} failed`);
} finally {
  await browser.close();
  server.stop();
}
process.exit(failed ? 1 : 0);
