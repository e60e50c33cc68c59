// Loaded by both benchmark pages (ours and clerk-js) before the client exists. Everything the
// harness measures inside the page lives here, so both clients run the very same code.
performance.setResourceTimingBufferSize(1000000);
const B = (window.__b = { states: [], step: 'load', errors: [] });
window.addEventListener('error', (e) => B.errors.push(String(e.message)));

// Our library's linear memory is not in the JS heap: note the Memory that wasm instantiation makes.
const memories = [];
for (const name of ['instantiate', 'instantiateStreaming']) {
  const orig = WebAssembly[name];
  WebAssembly[name] = async (...args) => {
    const res = await orig.apply(WebAssembly, args);
    const inst = res.instance ?? res;
    for (const v of Object.values(inst.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.push(v);
    return res;
  };
}
B.wasmMemory = () => memories.reduce((n, m) => n + m.buffer.byteLength, 0);

const idOf = (v) => (v === undefined ? 'undefined' : v === null ? 'null' : v.id ?? '?');
/** What a listener saw, reduced to ids (labelled later by the harness). */
B.snap = (r) => ({
  step: B.step,
  t: performance.now(),
  session: idOf(r.session),
  user: idOf(r.user),
  org: idOf(r.organization),
  client: r.client === undefined ? 'undefined' : r.client === null ? 'null' : `${(r.client.signedInSessions ?? r.client.activeSessions ?? []).length} signed-in`,
});

/** Frontend API requests the page made in [from, to] (ms since navigation), by resource timing. */
B.fapi = (from = 0, to = Infinity, match = '/v1/') => performance.getEntriesByType('resource')
  .filter((e) => e.name.includes(match) && e.startTime >= from && e.startTime <= to)
  .map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd }));

B.boot = async (C) => {
  window.C = C;
  C.addListener((r) => B.states.push(B.snap(r)));
  B.t0 = performance.now();
  try { await C.load({ telemetry: false }); } catch (e) { B.errors.push(String(e?.stack ?? e)); }
  B.t1 = performance.now();
};

B.signIn = async (identifier, totpCode) => {
  let si = await C.client.signIn.create({ identifier, password: 'demo-password-1' });
  if (si.status === 'needs_second_factor') si = await si.attemptSecondFactor({ strategy: 'totp', code: totpCode });
  if (si.status !== 'complete') throw new Error(`sign-in of ${identifier}: ${si.status}`);
  return si.createdSessionId;
};

/** Calls per second of `fn` over about `ms` milliseconds, sequential awaits. */
B.rate = async (fn, ms) => {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
  }
  return n / ((performance.now() - t0) / 1000);
};
B.cachedRate = (ms) => B.rate(() => C.session.getToken(), ms);
B.floorRate = (ms) => { const x = 'token'; return B.rate(() => Promise.resolve(x), ms); };
B.calls = async (n) => { for (let i = 0; i < n; i++) await C.session.getToken(); };

/** `n` concurrent getToken calls on a cold cache; resolves to what they returned and the requests. */
B.concurrent = async (n, opts, clear) => {
  if (clear) C.session.clearCache();
  const t0 = performance.now();
  const out = await Promise.all(Array.from({ length: n }, () => C.session.getToken(opts)));
  await new Promise((r) => setTimeout(r, 300));
  const reqs = B.fapi(t0, Infinity, '/tokens');
  return { distinct: new Set(out).size, nulls: out.filter((x) => !x).length, requests: reqs.length };
};

/** setActive to a session: ms until the last listener emission carrying it (or the promise, if later). */
B.switchTo = async (sessionId) => {
  let last = 0;
  let armed = false;
  const off = C.addListener((r) => { if (armed && r.session?.id === sessionId) last = performance.now(); });
  armed = true;
  const t0 = performance.now();
  await C.setActive({ session: sessionId });
  const tResolved = performance.now();
  await new Promise((r) => setTimeout(r, 250));
  off();
  const requests = B.fapi(t0, Infinity).length;
  return { ms: Math.max(last, tResolved) - t0, resolvedMs: tResolved - t0, requests, emitted: last > 0, active: C.session?.id === sessionId };
};

/**
 * Steady use: getToken every `every` ms for `ms`. Latencies, the /tokens requests made, and the
 * calls that waited on the network (a /tokens request started after the call began and
 * answered before the call returned).
 */
B.steady = async (ms, every) => {
  const t0 = performance.now();
  const calls = [];
  while (performance.now() - t0 < ms) {
    const s = performance.now();
    const tok = await C.session.getToken();
    const e = performance.now();
    calls.push([s, e, !tok]);
    await new Promise((r) => setTimeout(r, every));
  }
  const reqs = B.fapi(t0, Infinity, '/tokens');
  const blocked = calls.filter(([s, e]) => reqs.some((q) => q.start >= s && q.end <= e + 0.5)).length;
  const lat = calls.map(([s, e]) => e - s).sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return {
    calls: calls.length, nulls: calls.filter((c) => c[2]).length, tokens: reqs.length, blocked,
    p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1], over5ms: lat.filter((x) => x > 5).length,
    seconds: (performance.now() - t0) / 1000,
  };
};
