// Randomized (seeded) fault scenario in Debian's Chromium against clerk-server's fault injection
// (issue 6). Needs pkg/ (.ci/build-package).
//
// 1. A fresh clerk-server (short token lifetime, so tokens expire during the run) serves a test
//    page and pkg/ on its own origin. The page wraps window.fetch before the library loads, so
//    every attempt the library makes is logged (URL, body, times, status or network error).
// 2. With faults off: bob (password), alice (password + TOTP) and carol (sign-up + email code)
//    are signed in as three sessions of one browser.
// 3. Faults on (rate 0.2, kinds 500, 429, delay, drop, malformed; seed FAULT_SEED): a seeded
//    sequence of FAULT_STEPS steps — page reloads (a new Clerk + load(), again while it fails),
//    setActive between sessions (some with an async beforeEmit), organization switches (id, slug, null,
//    and ones that must be refused), getToken variants (organizationId, skipCache, template,
//    leewayInSeconds, throwOnError: false, other sessions, the same token asked again around its
//    expiry), touch, client.reload, waits, and races of two setActive calls with a getToken.
//    Every step is awaited; after each:
//    - no `error` / `unhandledrejection` in the page;
//    - every listener emission (checked as it comes, on every instance) and the state after
//      the step are whole: a session has its user, the organization is the session's active
//      one and one the user belongs to, undefined/null come together;
//    - every rejection is a typed Clerk error, and only happens when a fault struck (or when the
//      step had to be refused);
//    - a token is never expired, and its sid/org (session/org for the template) are what was asked;
//    - a successful setActive leaves the session/organization asked for; a failed one leaves the
//      state as it was; the later of two racing setActive calls wins.
// 4. From the fetch log: every failed idempotent request (GET /client, token minting,
//    dev_browser) is retried after a back-off within [ceiling/2, ceiling] (ceiling 250 ms × 2^n),
//    never sooner than Retry-After, at most 4 attempts; mutations are never re-sent.
// 5. Give-up: rate 1 of one kind at a time: 500 and 429 (4 attempts, growing gaps, honouring
//    Retry-After, then a typed error), drop (network_error), a mutation (one attempt), malformed.
// 6. Faults off: the same page recovers (getToken, client.reload), a reload loads at once, and
//    the client's sessions and organizations match the server's (Backend API /v1/sessions).
//    Then a deterministic probe of the expiry edge: a token minted at x.7 s, asked again 200 ms
//    after its exp.
//
// FAULT_SEED (default: random, printed) seeds both the scenario and the server's fault RNG (the
// server draws in request order, so a replay is close but not exact: background refreshes run on
// timers); FAULT_STEPS (default 150) is the number of steps. Prints ok/FAIL lines, then
// "faults: N passed, M failed". It found two library bugs, since fixed: tokens served up to a
// second past their exp (iat is whole seconds), and getToken({template, organizationId}) not
// telling the server the organization.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { totp } from './totp.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const PASSWORD = 'demo-password-1';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const TOKEN_TTL = 5; // seconds: tokens expire many times during the run
const RATE = 0.2;
const KINDS = ['500', '429', 'delay', 'drop', 'malformed'];
const SEED = process.env.FAULT_SEED !== undefined ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const STEPS = Number(process.env.FAULT_STEPS ?? 150);
// The library's policy (src/core/fapi.rs): what the fetch log is checked against.
const MAX_ATTEMPTS = 4;
const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 8000;
// Timing tolerances: the page's log sees a response end a few ms apart from the library, and a
// busy machine fires timers late (never early).
const EARLY_MS = 25;
const LATE_MS = 600;
const STEP_TIMEOUT_MS = 45_000;
/** What an injected fault looks like to the library. */
const FAULT_CODES = ['internal_clerk_error', 'too_many_requests', 'network_error', 'unexpected_response'];

if (!Number.isInteger(SEED) || SEED < 0) {
  console.log(`FAIL faults: FAULT_SEED must be an unsigned integer, got ${process.env.FAULT_SEED}`);
  console.log('faults: 0 passed, 1 failed');
  process.exit(1);
}

let passed = 0, failed = 0;
function check(name, ok, detail) {
  const d = ok || detail === undefined ? '' : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
  console.log(`${ok ? 'ok  ' : 'FAIL'} faults: ${name}${d}`);
  ok ? passed++ : failed++;
  return ok;
}
/** Collects the violations of one invariant over the run; one ok line, or one FAIL line each. */
class Invariant {
  constructor(name) { this.name = name; this.checked = 0; this.failures = []; }
  test(ok, where, detail) {
    this.checked++;
    if (!ok) this.failures.push({ where, detail });
    return ok;
  }
  report(count = `${this.checked} checks`) {
    if (this.checked === 0) { console.log(`SKIP faults: ${this.name} (no step of this seed exercised it)`); return true; }
    if (this.failures.length === 0) return check(`${this.name} (${count})`, true);
    for (const f of this.failures.slice(0, 12)) check(`${this.name}: ${f.where}`, false, f.detail);
    if (this.failures.length > 12) check(`${this.name}: ${this.failures.length - 12} more violations`, false);
    return false;
  }
}

/** Seeded PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    weighted: (table) => {
      const total = table.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [v, w] of table) { if ((x -= w) < 0) return v; }
      return table[table.length - 1][0];
    },
  };
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); }),
  ]);
}

// ---------------------------------------------------------------- the page

/** Installed before any page script (every load): the fetch log and the page-error traps. */
const INIT_SCRIPT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__pageErrors = [];
  addEventListener('error', (e) => window.__pageErrors.push('error: ' + (e.error?.stack ?? e.message)));
  addEventListener('unhandledrejection', (e) => window.__pageErrors.push('unhandledrejection: ' + (e.reason?.stack ?? e.reason)));
  const log = window.__fetchLog = [];
  window.__step = 'init';
  const original = window.fetch;
  window.fetch = function (input, init) {
    const request = input instanceof Request ? input : new Request(input, init);
    const u = new URL(request.url);
    const e = { step: window.__step, method: request.method, path: u.pathname, tunnelled: u.searchParams.get('_method'),
      url: request.url, body: null, t0: now() };
    if (u.pathname.includes('/v1/')) log.push(e);
    request.clone().text().then((b) => { e.body = b; }, () => {});
    const p = original.call(window, input, init);
    p.then((response) => {
      e.tHead = now();
      e.status = response.status;
      e.retryAfter = response.headers.get('retry-after');
      response.clone().text().then((text) => {
        e.tEnd = now();
        e.outcome = 'response';
        if (response.status >= 400) {
          try { e.fault = JSON.parse(text).errors?.[0]?.meta?.injected_fault ?? null; } catch { e.fault = null; }
        } else if (text.trim()) {
          try { JSON.parse(text); } catch { e.malformed = true; }
        }
      }, (err) => { e.tEnd = now(); e.outcome = 'network'; e.error = String(err); });
    }, (err) => { e.tHead = e.tEnd = now(); e.outcome = 'network'; e.error = String(err); });
    return p;
  };
})();`;

const HARNESS = String.raw`
import { Clerk } from './pkg/index.js';

const info = await (await fetch('/__dev/instance')).json();
const H = { pk: info.publishable_key, instances: [], current: null, violations: [], emissions: 0, trace: [], step: 'init' };
window.H = H;

const idOf = (x) => (x === undefined ? undefined : x === null ? null : x.id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function setStep(s) { H.step = s; window.__step = s; }

/** What is wrong with a set of resources as listeners and getters show them. */
function problems({ client, session, user, organization }) {
  const p = [];
  if (session === undefined) {
    if (user !== undefined) p.push('session undefined but user ' + idOf(user));
    if (organization !== undefined) p.push('session undefined but organization ' + idOf(organization));
    return p;
  }
  if (session === null) {
    if (user !== null) p.push('no session but user ' + idOf(user));
    if (organization !== null) p.push('no session but organization ' + idOf(organization));
    return p;
  }
  if (!client) p.push('session ' + session.id + ' without a client');
  else if (!client.signedInSessions.some((s) => s.id === session.id)) p.push('session ' + session.id + ' is not one of the client\'s signed-in sessions');
  if (!['active', 'pending'].includes(session.status)) p.push('session ' + session.id + ' is ' + session.status);
  const owner = session.user?.id ?? session.publicUserData?.userId;
  if (!user) p.push('session ' + session.id + ' without its user (user is ' + user + ')');
  else if (user.id !== owner) p.push('session ' + session.id + ' of ' + owner + ' shown with user ' + user.id);
  const want = session.lastActiveOrganizationId ?? null;
  if (organization === undefined) p.push('session ' + session.id + ' with organization undefined');
  else {
    const got = organization?.id ?? null;
    if (got !== want) p.push('organization ' + got + ' but session ' + session.id + '\'s active organization is ' + want);
    if (got && user && !user.organizationMemberships.some((m) => m.organization?.id === got)) p.push('organization ' + got + ' that user ' + user.id + ' is not a member of');
  }
  return p;
}

function makeInstance() {
  const clerk = new Clerk(H.pk, { proxyUrl: location.origin });
  const inst = { n: H.instances.length, clerk, emissions: 0 };
  clerk.addListener((r) => {
    H.emissions++; inst.emissions++;
    let p;
    try { p = problems(r); } catch (e) { p = ['checking the emission threw: ' + e]; }
    const snap = { step: H.step, instance: inst.n, session: idOf(r.session), user: idOf(r.user), organization: idOf(r.organization) };
    H.trace.push(snap);
    if (H.trace.length > 40) H.trace.shift();
    if (p.length) H.violations.push({ ...snap, problems: p, before: H.trace.slice(-6) });
  });
  H.instances.push(inst);
  return inst;
}

/** An error as the checks need it, and why it is not a typed Clerk error (if it is not). */
function describe(e) {
  const why = [];
  if (!(e instanceof Error)) why.push('not an Error');
  if (e?.clerkError !== true) why.push('clerkError is not true');
  if (typeof e?.code !== 'string' || !e.code) why.push('no code');
  if (typeof e?.message !== 'string' || !e.message) why.push('no message');
  if (!['ClerkAPIResponseError', 'ClerkError'].includes(e?.name)) why.push('name is ' + e?.name);
  if (!Array.isArray(e?.errors)) why.push('errors is not an array');
  else if (e.errors.length && e.errors[0].code !== e.code) why.push('errors[0].code differs from code');
  if (e?.meta === null || typeof e?.meta !== 'object') why.push('meta is not an object');
  if (e?.status !== undefined && !Number.isInteger(e.status)) why.push('status is not an integer');
  if (e?.status === 429 && !(e.retryAfter >= 1)) why.push('a 429 without retryAfter');
  return { typed: why.length === 0, why, name: e?.name, code: e?.code, status: e?.status, retryAfter: e?.retryAfter,
    message: String(e?.message ?? e).slice(0, 300), longMessage: e?.longMessage };
}

async function attempt(fn) {
  const t0 = Date.now();
  try {
    const value = await fn();
    return { ok: true, value: typeof value === 'string' || value === null ? value : undefined, ms: Date.now() - t0, end: Date.now() };
  } catch (e) {
    return { ok: false, error: describe(e), ms: Date.now() - t0, end: Date.now() };
  }
}

/** getToken with what was asked recorded at call time. */
async function token(session, opts) {
  const asked = { sid: session.id, org: 'organizationId' in opts ? opts.organizationId : (session.lastActiveOrganizationId ?? null),
    template: opts.template ?? null, opts };
  const r = await attempt(() => session.getToken(opts));
  return { ...r, asked, at: Date.now() };
}

H.state = () => {
  const c = H.current?.clerk;
  if (!c) return null;
  const r = { client: c.client, session: c.session, user: c.user, organization: c.organization };
  return {
    loaded: c.loaded, session: idOf(r.session), org: idOf(r.organization), user: idOf(r.user),
    clientId: r.client?.id ?? null,
    signedIn: r.client ? r.client.signedInSessions.map((s) => ({ id: s.id, org: s.lastActiveOrganizationId ?? null, user: s.user?.id ?? null })) : null,
    problems: problems(r),
  };
};

H.drain = () => {
  const out = { errors: window.__pageErrors.splice(0), violations: H.violations.splice(0), emissions: H.emissions };
  H.emissions = 0;
  return out;
};

// Sign-in helpers (used with faults off).
H.signIn = async (email, password) => {
  const c = H.current.clerk;
  const si = await c.client.signIn.create({ identifier: email });
  const r = await si.attemptFirstFactor({ strategy: 'password', password });
  return { status: r.status, createdSessionId: r.createdSessionId };
};
H.secondFactor = async (code) => {
  const r = await H.current.clerk.client.signIn.attemptSecondFactor({ strategy: 'totp', code });
  return { status: r.status, createdSessionId: r.createdSessionId };
};
H.signUp = async (email, password) => {
  const su = await H.current.clerk.client.signUp.create({ emailAddress: email, password });
  await su.prepareEmailAddressVerification({ strategy: 'email_code' });
  return { status: su.status };
};
H.verifySignUp = async (code) => {
  const r = await H.current.clerk.client.signUp.attemptEmailAddressVerification({ code });
  return { status: r.status, createdSessionId: r.createdSessionId };
};
H.activate = (sid) => H.current.clerk.setActive({ session: sid });
/** The active session's next request, however it ends (the library learns from its answer). */
H.nextRequest = async () => {
  const s = H.current?.clerk.session;
  const r = s ? await attempt(() => s.getToken({ skipCache: true })) : null;
  return { token: r, state: H.state() };
};

const signedIn = (c, id) => c.client?.signedInSessions.find((s) => s.id === id);

/** Runs one step; returns what happened for the checks in node. */
H.run = async (step) => {
  setStep(String(step.i));
  let c = H.current?.clerk;
  const out = { before: H.state() };
  switch (step.kind) {
    case 'load': {
      // A page (re)load: a new Clerk and load(); when it fails the user reloads again.
      out.loads = [];
      for (let k = 0; k < 6; k++) {
        setStep(step.i + '.' + k);
        const inst = makeInstance();
        H.current = inst;
        const r = await attempt(() => inst.clerk.load());
        out.loads.push(r);
        if (r.ok) break;
      }
      setStep(String(step.i));
      out.loaded = H.current.clerk.loaded;
      break;
    }
    case 'setActive': {
      const params = {};
      if ('session' in step) params.session = step.session !== null && step.asObject ? (signedIn(c, step.session) ?? step.session) : step.session;
      if ('organization' in step) params.organization = step.organization;
      if (step.beforeEmit) {
        params.beforeEmit = (s) => {
          out.beforeEmit = { argument: idOf(s), sessionDuring: idOf(c.session), userDuring: idOf(c.user), organizationDuring: idOf(c.organization) };
          return sleep(step.beforeEmit);
        };
      }
      out.result = await attempt(() => c.setActive(params));
      break;
    }
    case 'getToken': {
      const session = step.session === 'active' ? c.session : signedIn(c, step.session);
      if (!session) { out.skipped = 'no ' + (step.session === 'active' ? 'active session' : 'session ' + step.session); break; }
      out.token = await token(session, step.opts);
      break;
    }
    case 'tokAged': {
      // A token, then the same one asked for again around its expiry (cached until then).
      const session = signedIn(c, step.session);
      if (!session) { out.skipped = 'no session ' + step.session; break; }
      out.token = await token(session, step.opts);
      if (!out.token.ok || !out.token.value) break;
      const claims = JSON.parse(atob(out.token.value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      await sleep(Math.min(Math.max(claims.exp * 1000 - step.beforeExpiryMs - Date.now(), 0), 8000));
      const again = signedIn(c, step.session);
      if (again) out.token2 = await token(again, step.opts);
      break;
    }
    case 'expiryProbe': {
      // A token minted late in a second (its iat is that whole second), asked again just after
      // its exp: the cache must not hand it out any more.
      await sleep((1000 + step.mintAtMs - (Date.now() % 1000)) % 1000);
      out.token = await token(signedIn(c, step.session), { ...step.opts, skipCache: true });
      if (!out.token.ok) break;
      const claims = JSON.parse(atob(out.token.value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      await sleep(Math.max(claims.exp * 1000 + step.afterExpiryMs - Date.now(), 0));
      out.token2 = await token(signedIn(c, step.session), step.opts);
      break;
    }
    case 'touch': {
      const session = c.session;
      if (!session) { out.skipped = 'no active session'; break; }
      out.touched = session.id;
      out.result = await attempt(() => session.touch().then((s) => { out.touchedAnswer = s.id; }));
      break;
    }
    case 'reloadClient':
      out.result = await attempt(() => c.client.reload().then(() => undefined));
      break;
    case 'wait':
      await sleep(step.ms);
      break;
    case 'race': {
      // Two setActive calls, the second started before the first settles, and a getToken of
      // the session that was active when the race began.
      const s0 = c.session;
      const a = attempt(() => c.setActive({ session: step.a, ...('orgA' in step ? { organization: step.orgA } : {}) }));
      const t = s0 ? token(s0, {}) : null;
      const b = attempt(() => c.setActive({ session: step.b }));
      out.race = { a: await a, b: await b };
      if (t) out.token = await t;
      break;
    }
    default:
      throw new Error('unknown step ' + step.kind);
  }
  out.after = H.state();
  out.settledAt = Date.now();
  return out;
};

window.__ready = true;
`;

// ---------------------------------------------------------------- the server and the site

const { dir, site } = prepareSite('faults');
writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>clerk-rs fault scenario</title>\n<script type="module" src="./harness.js"></script>\n');
writeFileSync(join(site, 'harness.js'), HARNESS);

const srv = await startClerkServer({ db: join(dir, 'clerk.db'), www: site, ttl: TOKEN_TTL });
for (let i = 0; i < 100 && !/secret key:\s+\S+/.test(srv.log()); i++) await sleep(50);
const secretKey = srv.log().match(/secret key:\s+(\S+)/)?.[1];
if (!srv.started || !secretKey || !srv.orgId) {
  console.log(srv.log());
  console.log('FAIL faults: clerk-server did not start');
  console.log('faults: 0 passed, 1 failed');
  srv.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
const { base, orgId } = srv;
const dev = (path, init) => fetch(`${base}${path}`, init).then((r) => r.json());
const setFaults = (query) => dev(`/__dev/faults?${query}`, { method: 'POST' });
const bapi = (path) => fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${secretKey}` } }).then((r) => r.json());

console.log(`faults: seed ${SEED} (FAULT_SEED=${SEED} replays it), ${STEPS} steps, rate ${RATE}, kinds ${KINDS.join(',')}, token lifetime ${TOKEN_TTL} s`);

// ---------------------------------------------------------------- the browser

const { browser, context } = await launch();
await context.addInitScript(INIT_SCRIPT);
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push({ step: currentStep, error: String(e?.stack ?? e) }));
let currentStep = 'setup';

/** The fetch log of every page lifetime (a reload starts a new segment). */
const segments = [];
let segmentStart = Date.now();
async function closeSegment() {
  const log = await page.evaluate(() => window.__fetchLog).catch(() => []);
  segments.push({ log, start: segmentStart, end: Date.now() });
}
/** What the page saw since the last step's check, kept across a reload. */
const carried = { errors: [], violations: [] };
async function drainPage() {
  const d = await page.evaluate(() => window.H?.drain()).catch(() => null);
  if (d) { carried.errors.push(...d.errors); carried.violations.push(...d.violations); stats.emissions += d.emissions; }
}
async function openPage(reload) {
  if (reload) {
    await drainPage();
    await closeSegment();
    await page.reload();
  } else {
    await page.goto(`${base}/`);
  }
  segmentStart = Date.now();
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 30_000 });
}

// Invariants checked after every step.
const inv = {
  pageErrors: new Invariant('no uncaught error or unhandled rejection in the page'),
  emissions: new Invariant('listeners never saw a half-updated state'),
  state: new Invariant('state after each step is whole (session with its user, the session\'s organization)'),
  typed: new Invariant('every rejection is a typed Clerk error'),
  blame: new Invariant('operations fail only when a fault struck or they had to be refused'),
  expired: new Invariant('getToken never returns an expired token'),
  leeway: new Invariant('getToken honours leewayInSeconds'),
  tokenFor: new Invariant('getToken returns a token for the session and organization asked'),
  noThrow: new Invariant('getToken({throwOnError: false}) never rejects'),
  setActive: new Invariant('setActive: success leaves what was asked, failure leaves the state as it was'),
  beforeEmit: new Invariant('beforeEmit runs while listeners see undefined, with the new session'),
  race: new Invariant('racing setActive calls: the later one wins, the earlier never emits'),
  refused: new Invariant('impossible requests are refused with the right error'),
  loads: new Invariant('load() either loads or rejects typed; an instance that loaded is loaded'),
  steps: new Invariant('every step settles'),
};
const stats = { kinds: {}, tokens: 0, rejections: {}, loads: 0, loadRetries: 0, emissions: 0, tokenMarginMin: Infinity, steps: 0 };
const stepLog = []; // node-side record of each step, for the analysis of the fetch log
let settled; // step → when it settled (page clock), built once the run is over

let sessions; // [{ id, email, member }]
const sessionEmail = (id) => sessions?.find((s) => s.id === id)?.email ?? id;

async function runStep(step) {
  currentStep = step.i;
  const t0 = Date.now();
  let out;
  try {
    if (step.kind === 'load' && step.reload) await openPage(true);
    out = await withTimeout(page.evaluate((s) => window.H.run(s), step), STEP_TIMEOUT_MS, `step ${step.i} (${step.kind})`);
  } catch (e) {
    inv.steps.test(false, `step ${step.i} ${JSON.stringify(step)}`, String(e?.message ?? e).slice(0, 400));
    out = null;
  }
  await drainPage();
  stepLog.push({ step, out, t0, t1: Date.now() });
  if (out) { inv.steps.test(true); checkStep(step, out); }
  const where = `seed ${SEED} step ${step.i} (${describeStep(step)})`;
  const errs = [...carried.errors.splice(0), ...pageErrors.splice(0).map((e) => e.error)];
  inv.pageErrors.test(errs.length === 0, where, errs);
  const violations = carried.violations.splice(0);
  inv.emissions.test(violations.length === 0, where, violations);
  return out;
}

function describeStep(s) {
  const { i, kind, ...rest } = s;
  return `${kind} ${JSON.stringify(rest)}`;
}

/** Checks one step's outcome; `step.expect` names an error the step must end with (refusals). */
function checkStep(step, out) {
  const where = `seed ${SEED} step ${step.i} (${describeStep(step)})`;
  if (typeof step.i === 'number') stats.kinds[step.kind] = (stats.kinds[step.kind] ?? 0) + 1;
  const typed = (r, what) => {
    if (!r || r.ok) return;
    stats.rejections[r.error.code] = (stats.rejections[r.error.code] ?? 0) + 1;
    inv.typed.test(r.error.typed, `${where}: ${what}`, r.error);
  };
  if (out.after) inv.state.test(out.after.problems.length === 0, where, out.after);

  if (step.kind === 'load') {
    stats.loads++;
    stats.loadRetries += out.loads.length - 1;
    out.loads.forEach((r, k) => typed(r, `load #${k + 1}`));
    const last = out.loads[out.loads.length - 1];
    inv.loads.test(last.ok ? out.loaded === true : out.loaded === false, where, out);
  }
  if (step.kind === 'setActive' && out.result) {
    const r = out.result;
    typed(r, 'setActive');
    if (step.expect) {
      inv.refused.test(!r.ok && r.error.code === step.expect, where, { expected: step.expect, got: r });
    }
    const b = out.before, a = out.after;
    if (r.ok) {
      const wantSession = 'session' in step ? step.session : b.session;
      let ok = a.session === wantSession;
      if (ok && 'organization' in step && a.session) ok = a.org === (step.organization === 'acme' ? orgId : step.organization);
      inv.setActive.test(ok, where, { before: b, after: a });
    } else if (!r.error.code?.startsWith('before_emit')) {
      inv.setActive.test(a.session === b.session && a.org === b.org, `${where}: rejected with ${r.error.code}`, { before: b, after: a });
    }
    if (step.beforeEmit && r.ok) {
      const be = out.beforeEmit;
      const wantSession = 'session' in step ? step.session : b.session;
      inv.beforeEmit.test(be && be.sessionDuring === undefined && be.userDuring === undefined && be.organizationDuring === undefined
        && be.argument === wantSession, where, be ?? 'beforeEmit was not called');
    }
  }
  if ((step.kind === 'touch' || step.kind === 'reloadClient') && out.result) {
    typed(out.result, step.kind);
    if (step.kind === 'touch' && out.result.ok) inv.state.test(out.touchedAnswer === out.touched && out.after.session === out.before.session, where, out);
  }
  if (out.token) checkToken(out.token, step, where, typed);
  if (out.token2) checkToken(out.token2, step, `${where}, asked again near its expiry`, typed);
  if (step.kind === 'race') {
    const { a, b } = out.race;
    typed(a, 'first setActive'); typed(b, 'second setActive');
    const before = out.before.session, after = out.after.session;
    const ok = b.ok ? after === step.b : after === before;
    inv.race.test(ok, where, { before, after, a: a.ok || a.error.code, b: b.ok || b.error.code });
  }
}

function checkToken(t, step, where, typed) {
  const { asked } = t;
  if (asked.opts.throwOnError === false) inv.noThrow.test(t.ok, where, t);
  typed(t, 'getToken');
  // The server refuses these; a fault may strike first (500, 429, drop) or replace the answer (malformed).
  if (step.expect && !t.ok) inv.refused.test(t.error.code === step.expect || FAULT_CODES.includes(t.error.code), where, { expected: step.expect, got: t.error });
  if (step.expect) inv.refused.test(!t.ok || t.value === null, `${where}: must not return a token`, t.value && claimsOf(t.value));
  if (!t.ok || t.value === null) return;
  stats.tokens++;
  let claims;
  try { claims = claimsOf(t.value); } catch (e) { inv.tokenFor.test(false, where, `undecodable token: ${e}`); return; }
  const margin = claims.exp * 1000 - t.at;
  stats.tokenMarginMin = Math.min(stats.tokenMarginMin, margin);
  inv.expired.test(margin > 0, where, { sid: claims.sid, iat: claims.iat, exp: claims.exp, returnedAt: t.at, expiredForMs: -margin });
  if (asked.opts.leewayInSeconds !== undefined) {
    inv.leeway.test(margin > asked.opts.leewayInSeconds * 1000, where,
      { leewayInSeconds: asked.opts.leewayInSeconds, leftMs: margin, iat: claims.iat, exp: claims.exp, returnedAt: t.at });
  }
  const got = asked.template
    ? { sid: claims.session, org: claims.org?.id ?? null }
    : { sid: claims.sid, org: claims.o?.id ?? null };
  inv.tokenFor.test(got.sid === asked.sid && got.org === asked.org, where,
    { asked: { sid: asked.sid, org: asked.org, template: asked.template, explicitOrg: 'organizationId' in asked.opts }, got });
}

// ---------------------------------------------------------------- the scenario

function planStep(rng, i, model) {
  const ids = sessions.map((s) => s.id);
  const orgChoices = [orgId, 'acme', null];
  const kind = rng.weighted([
    ['reload', 7], ['setSession', 14], ['setOrg', 12], ['setNull', 2],
    ['tokDefault', 14], ['tokOrg', 10], ['tokSkip', 8], ['tokTemplate', 5], ['tokOther', 8],
    ['tokLeeway', 4], ['tokNoThrow', 5], ['tokAged', 3], ['touch', 6], ['reloadClient', 6], ['wait', 4], ['race', 5],
  ]);
  const member = (sid) => sessions.find((s) => s.id === sid)?.member;
  switch (kind) {
    case 'reload': return { i, kind: 'load', reload: true };
    case 'setSession': {
      const s = { i, kind: 'setActive', session: rng.pick(ids), asObject: rng.next() < 0.5 };
      if (rng.next() < 0.4) s.organization = member(s.session) ? rng.pick(orgChoices) : (rng.next() < 0.5 ? null : orgId);
      if (s.organization && !member(s.session)) s.expect = 'organization_not_found';
      if (!model.loaded) s.expect = 'clerk_not_loaded';
      if (rng.next() < 0.3) s.beforeEmit = 1 + rng.int(120);
      return s;
    }
    case 'setOrg': {
      const s = { i, kind: 'setActive', organization: rng.pick(orgChoices) };
      if (s.organization !== null && model.session === null) s.expect = 'invalid_argument';
      else if (s.organization !== null && !member(model.session)) s.expect = 'organization_not_found';
      if (!model.loaded) s.expect = 'clerk_not_loaded';
      if (rng.next() < 0.2) s.beforeEmit = 1 + rng.int(60);
      return s;
    }
    // setActive({session: null}) removes the active session from the client on the server, and
    // the harness then signs its user in again (below); alice's TOTP could not be reused within
    // its window, so her session is never the one removed.
    case 'setNull':
      if (model.session === sessions[1].id) return { i, kind: 'load', reload: true };
      return { i, kind: 'setActive', session: null, ...(model.loaded ? {} : { expect: 'clerk_not_loaded' }) };
    case 'tokDefault': return { i, kind: 'getToken', session: 'active', opts: {} };
    case 'tokOrg': {
      const s = { i, kind: 'getToken', session: rng.next() < 0.7 ? 'active' : rng.pick(ids), opts: { organizationId: rng.next() < 0.5 ? orgId : null } };
      const sid = s.session === 'active' ? model.session : s.session;
      if (s.opts.organizationId && sid && !member(sid)) s.expect = 'resource_not_found';
      return s;
    }
    case 'tokSkip': return { i, kind: 'getToken', session: 'active', opts: { skipCache: true } };
    case 'tokTemplate': {
      const s = { i, kind: 'getToken', session: rng.next() < 0.7 ? 'active' : rng.pick(ids), opts: { template: 'demo', ...(rng.next() < 0.3 ? { skipCache: true } : {}) } };
      const sid = s.session === 'active' ? model.session : s.session;
      if (member(sid) && rng.next() < 0.4) s.opts.organizationId = rng.pick([orgId, null]);
      return s;
    }
    case 'tokOther': return { i, kind: 'getToken', session: rng.pick(ids), opts: rng.next() < 0.5 ? {} : { skipCache: true } };
    case 'tokLeeway': return { i, kind: 'getToken', session: 'active', opts: { leewayInSeconds: rng.int(4) } };
    case 'tokNoThrow': return { i, kind: 'getToken', session: rng.pick(['active', ...ids]), opts: { throwOnError: false } };
    case 'tokAged': {
      const sid = rng.pick(ids);
      const opts = member(sid) && rng.next() < 0.5 ? { organizationId: rng.pick([orgId, null]) } : {};
      return { i, kind: 'tokAged', session: sid, opts, beforeExpiryMs: rng.int(1600) - 800 };
    }
    case 'touch': return { i, kind: 'touch' };
    case 'reloadClient': return { i, kind: 'reloadClient' };
    case 'wait': return { i, kind: 'wait', ms: 300 + rng.int(1700) };
    case 'race': {
      const a = rng.pick(ids);
      const b = rng.pick(ids.filter((x) => x !== a));
      const s = { i, kind: 'race', a, b };
      if (member(a) && rng.next() < 0.5) s.orgA = rng.pick([orgId, null]);
      return s;
    }
  }
  throw new Error(`unplanned ${kind}`);
}

let exitCode = 1;
const phases = {};
try {
  // ---- setup, faults off: three sessions in one browser.
  await openPage(false);
  await runStep({ i: 'setup-load', kind: 'load', reload: false });
  const bob = await page.evaluate(([e, p]) => window.H.signIn(e, p), ['bob@example.com', PASSWORD]);
  await page.evaluate((sid) => window.H.activate(sid), bob.createdSessionId);
  const alice1 = await page.evaluate(([e, p]) => window.H.signIn(e, p), ['alice@example.com', PASSWORD]);
  const alice = alice1.status === 'needs_second_factor' ? await page.evaluate((code) => window.H.secondFactor(code), totp(TOTP_SECRET)) : alice1;
  await page.evaluate((sid) => window.H.activate(sid), alice.createdSessionId);
  const carolEmail = `carol+${SEED}@example.com`;
  await page.evaluate(([e, p]) => window.H.signUp(e, p), [carolEmail, 'carol-password-1']);
  const { latest_code: code } = await dev(`/__dev/emails?to=${encodeURIComponent(carolEmail)}`);
  const carol = await page.evaluate((c) => window.H.verifySignUp(c), code);
  await page.evaluate((sid) => window.H.activate(sid), carol.createdSessionId);
  sessions = [
    { id: bob.createdSessionId, email: 'bob@example.com', password: PASSWORD, member: true },
    { id: alice.createdSessionId, email: 'alice@example.com', member: true },
    { id: carol.createdSessionId, email: carolEmail, password: 'carol-password-1', member: false },
  ];
  let state = await page.evaluate(() => window.H.state());
  const signedInIds = state.signedIn.map((s) => s.id).sort();
  if (!check('setup: three sessions signed in (bob, alice with TOTP, carol signed up)',
    sessions.every((s) => s.id) && JSON.stringify(signedInIds) === JSON.stringify(sessions.map((s) => s.id).sort()), { sessions, state })) {
    throw new Error('setup failed');
  }

  // ---- the randomized scenario, faults on.
  const on = await setFaults(`rate=${RATE}&seed=${SEED}&kinds=${KINDS.join(',')}&reset=true`);
  check('fault injection switched on', on.enabled === true && on.rate === RATE && on.seed === SEED, on);
  const rng = prng(SEED);
  const model = { session: state.session, loaded: state.loaded };
  const scenarioStart = Date.now();
  for (let i = 0; i < STEPS; i++) {
    const step = planStep(rng, i, model);
    const removing = step.kind === 'setActive' && step.session === null ? model.session : null;
    const out = await runStep(step);
    if (out?.after) { model.session = out.after.session ?? null; model.loaded = out.after.loaded; }
    const entry = removing && sessions.find((s) => s.id === removing);
    // drop and malformed strike after the handler: a setActive({session: null}) that failed
    // may still have removed the session on the server. The library cannot know until its next
    // request for the session answers 401 and, as clerk-js's handleUnauthenticated, it reads the
    // client again.
    const removedAnyway = entry && !out?.result?.ok && out?.result?.error?.code !== 'clerk_not_loaded'
      && (await bapi(`/v1/sessions/${removing}`))?.status === 'removed';
    if (removedAnyway) {
      await setFaults('rate=0');
      const next = await page.evaluate(() => window.H.nextRequest());
      check(`step ${i}: setActive({session: null}) failed (${out.result.error?.code}) but the server removed ${removing}; the next request's 401 signs it out here`,
        next?.token?.ok === false && next.token.error?.status === 401 && next.state?.session === null
          && next.state.signedIn.every((s) => s.id !== removing) && next.state.problems.length === 0, next);
      if (next?.state) { model.session = next.state.session; model.loaded = next.state.loaded; }
    }
    if (entry && (out?.result?.ok || removedAnyway)) {
      // The session was removed on the server: sign its user in again (faults off meanwhile).
      await setFaults('rate=0');
      const again = await page.evaluate(([e, p]) => window.H.signIn(e, p), [entry.email, entry.password]);
      check(`step ${i}: ${entry.email} signed in again after setActive({session: null}) removed ${removing}`,
        typeof again?.createdSessionId === 'string' && again.createdSessionId !== removing, again);
      if (again?.createdSessionId) entry.id = again.createdSessionId;
      stats.resignIns = (stats.resignIns ?? 0) + 1;
      await setFaults(`rate=${RATE}&seed=${SEED + i}&kinds=${KINDS.join(',')}`);
    }
    stats.steps++;
  }
  phases.scenario = Date.now() - scenarioStart;
  const survived = await dev('/__dev/faults');
  phases.faultsScenario = survived;

  // ---- give-up: every attempt fails, one kind at a time.
  const giveUp = [];
  const giveUpStart = Date.now();
  // Faults off for a moment: alice active in Acme, so that the give-up token requests (alice's
  // personal account) are not the ones the background refresh makes (alice in Acme).
  await setFaults('rate=0');
  state = await page.evaluate(() => window.H.state());
  if (!state?.loaded) await runStep({ i: 'giveup-load', kind: 'load', reload: true });
  await runStep({ i: 'giveup-activate', kind: 'setActive', session: sessions[1].id, organization: orgId });
  state = await page.evaluate(() => window.H.state());
  check('give-up setup: alice active in Acme', state?.session === sessions[1].id && state.org === orgId, state);
  const otherOrg = null;
  const giveUpCases = [
    { kind: '500', step: { kind: 'getToken', session: 'active', opts: { skipCache: true, organizationId: otherOrg } }, attempts: MAX_ATTEMPTS, status: 500 },
    { kind: '429', step: { kind: 'getToken', session: 'active', opts: { skipCache: true, organizationId: otherOrg } }, attempts: MAX_ATTEMPTS, status: 429 },
    { kind: 'drop', step: { kind: 'reloadClient' }, attempts: MAX_ATTEMPTS, code: 'network_error' },
    { kind: '500', step: { kind: 'touch' }, attempts: 1, status: 500, mutation: true },
    { kind: 'malformed', step: { kind: 'getToken', session: 'active', opts: { skipCache: true, organizationId: otherOrg } }, atMost: MAX_ATTEMPTS, code: 'unexpected_response' },
    // Not a failure: the answer comes 200–1500 ms late, and the token with it.
    { kind: 'delay', step: { kind: 'getToken', session: 'active', opts: { skipCache: true, organizationId: otherOrg } }, attempts: 1, succeeds: true },
  ];
  for (const [n, g] of giveUpCases.entries()) {
    await setFaults(`rate=1&seed=${SEED}&kinds=${g.kind}`);
    const step = { i: `giveup-${n}-${g.kind}`, ...g.step };
    const out = await runStep(step);
    await setFaults('rate=0');
    giveUp.push({ g, step, out });
  }
  phases.giveUp = Date.now() - giveUpStart;

  // ---- recovery, faults off.
  const off = await setFaults('rate=0');
  check('fault injection switched off', off.enabled === false, off);
  await sleep(300);
  const rec1 = await runStep({ i: 'recover-token', kind: 'getToken', session: 'active', opts: {} });
  const rec2 = await runStep({ i: 'recover-reload', kind: 'reloadClient' });
  const rec3 = await runStep({ i: 'recover-token-2', kind: 'getToken', session: 'active', opts: { skipCache: true } });
  check('recovery: the page that lived through the faults mints a token and reloads its client',
    rec1?.token?.ok && rec2?.result?.ok && rec3?.token?.ok, { rec1: rec1?.token ?? rec1, rec2: rec2?.result, rec3: rec3?.token ?? rec3 });
  const serverView = async (clientId) => {
    const list = await bapi(`/v1/sessions?client_id=${encodeURIComponent(clientId)}`);
    return Array.isArray(list) ? list.filter((s) => s.status === 'active').map((s) => ({ id: s.id, org: s.last_active_organization_id ?? null, user: s.user_id })).sort((a, b) => a.id.localeCompare(b.id)) : list;
  };
  const sameView = (st, server) => Array.isArray(server) && st?.signedIn
    && JSON.stringify([...st.signedIn].sort((a, b) => a.id.localeCompare(b.id))) === JSON.stringify(server);
  let after = rec3?.after;
  let server = await serverView(after?.clientId);
  check('recovery: the client\'s sessions, their users and organizations are the server\'s (Backend API)', sameView(after, server), { client: after?.signedIn, server });
  const rec4 = await runStep({ i: 'recover-page-load', kind: 'load', reload: true });
  check('recovery: a reloaded page loads at the first attempt', rec4?.loads?.length === 1 && rec4.loads[0].ok, rec4?.loads);
  after = rec4?.after;
  server = await serverView(after?.clientId);
  check('recovery: after the reload, the same sessions and organizations as the server', sameView(after, server), { client: after?.signedIn, server });
  check('recovery: the reloaded page has an active session with its user and organization',
    after?.session && after.problems.length === 0 && server.some((s) => s.id === after.session && s.org === after.org), after);
  const rec5 = await runStep({ i: 'recover-token-3', kind: 'getToken', session: 'active', opts: {} });
  check('recovery: getToken after the reload', rec5?.token?.ok, rec5?.token);

  // ---- the expiry edge, deterministically: a token of a key the refresh does not keep warm,
  // minted at x.700 s, asked for again 200 ms after its exp (checked with every token above).
  const probeSession = [sessions[2], sessions[0]].find((s) => s.id !== after?.session).id;
  const probe = await runStep({ i: 'expiry-probe', kind: 'expiryProbe', session: probeSession, opts: { organizationId: null }, mintAtMs: 700, afterExpiryMs: 200 });
  check('expiry probe ran (a token minted at x.7 s, asked again 200 ms after its exp)', probe?.token?.ok && probe?.token2, probe);
  await closeSegment();

  if (process.env.FAULT_DUMP) writeFileSync(process.env.FAULT_DUMP, JSON.stringify({ seed: SEED, segments, stepLog }, null, 1));

  // ---- a rejection needs a cause: a fault in a request made during the step, or a refusal.
  const allEntries = segments.flatMap((s) => s.log);
  for (const { step, out, t0, t1 } of stepLog) {
    if (!out || step.expect || String(step.i).startsWith('giveup')) continue;
    const where = `seed ${SEED} step ${step.i} (${describeStep(step)})`;
    const failures = [...(out.loads ?? []), out.result, out.token, out.token2, out.race?.a, out.race?.b]
      .filter((r) => r && (!r.ok || (r.asked?.opts.throwOnError === false && r.value === null)));
    for (const r of failures) {
      const faulted = allEntries.filter((e) => e.t0 <= t1 && (e.tEnd ?? Infinity) >= t0 && (e.outcome === 'network' || e.status >= 400 || e.malformed));
      inv.blame.test(faulted.length > 0, where, { error: r.error ?? 'null token', requests: allEntries.filter((e) => e.t0 <= t1 && (e.tEnd ?? Infinity) >= t0).map(summary) });
    }
  }

  // ---- the checks of every step.
  for (const i of Object.values(inv)) {
    const count = i === inv.emissions ? `${stats.emissions} emissions, ${i.checked} steps`
      : i === inv.expired ? `${stats.tokens} tokens, least time left ${stats.tokenMarginMin} ms` : undefined;
    i.report(count);
  }

  // ---- the fetch log: retries, back-off, give-up, mutations sent once.
  const analysis = analyseRetries(segments);
  const giveUpChecks = checkGiveUps(giveUp, analysis);

  // ---- figures.
  const faultCounts = phases.faultsScenario;
  // The share is binomial around RATE (≈ 100–150 draws): far outside [5 %, 40 %] means the
  // injection is not what the test asked for. Every kind is also struck on purpose above.
  const share = faultCounts.total / Math.max(faultCounts.requests, 1);
  check(`faults were injected during the scenario (${(share * 100).toFixed(1)} % of ${faultCounts.requests} requests)`,
    faultCounts.requests >= 50 && share >= 0.05 && share <= 0.4, faultCounts);
  console.log(`faults: figures — seed ${SEED}; ${stats.steps} steps in ${(phases.scenario / 1000).toFixed(1)} s (${JSON.stringify(stats.kinds)}); `
    + `${faultCounts.requests} Frontend API requests, ${faultCounts.total} faults survived ${JSON.stringify(faultCounts.injected)}; `
    + `${stats.tokens} tokens checked; ${stats.loads} loads (${stats.loadRetries} reloads after a failed load); rejections ${JSON.stringify(stats.rejections)}; `
    + `${analysis.retried} retried requests (${analysis.links} retries checked, ${analysis.giveUps} gave up after ${MAX_ATTEMPTS} attempts `
    + `[${analysis.chains.filter((c) => c.end === 'gave up' && /^\d/.test(c.step)).length} in the scenario], ${analysis.interrupted} interrupted by a reload), `
    + `${analysis.mutationsFailed} failed mutations not re-sent; give-up phase ${giveUpChecks} in ${(phases.giveUp / 1000).toFixed(1)} s`);
  exitCode = failed ? 1 : 0;
} catch (e) {
  check('scenario ran to the end', false, String(e?.stack ?? e));
} finally {
  await browser.close().catch(() => {});
  srv.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`faults: ${passed} passed, ${failed} failed`);
process.exit(exitCode);

// ---------------------------------------------------------------- the fetch log

function isIdempotent(e) {
  if (e.tunnelled) return false;
  if (e.method === 'GET' && /\/v1\/client$/.test(e.path)) return true;
  if (e.method === 'POST' && /\/v1\/dev_browser$/.test(e.path)) return true;
  if (e.method === 'POST' && /\/v1\/client\/sessions\/[^/]+\/tokens(\/[^/]+)?$/.test(e.path)) return true;
  return false;
}
function failedRetryably(e) {
  return e.outcome === 'network' || (e.outcome === 'response' && (e.status === 429 || e.status >= 500));
}
function keyOf(e) {
  return `${e.method} ${e.url} ${e.body ?? ''}`;
}
/** The back-off window after attempt `n` (1-based) failed. */
function window_(n, e) {
  const ceiling = Math.min(BASE_BACKOFF_MS * 2 ** (n - 1), MAX_BACKOFF_MS);
  let lo = ceiling / 2, hi = ceiling;
  const ra = e.status === 429 ? Number(e.retryAfter) : NaN;
  if (ra > 0) { lo = Math.max(lo, ra * 1000); hi = Math.max(hi, ra * 1000); }
  return { lo, hi, retryAfter: ra > 0 ? ra : null };
}

/** When each step (and each load attempt, `i.k`) settled, on the page's clock. */
function settleTimes() {
  const m = new Map();
  for (const { step, out } of stepLog) {
    if (!out) continue;
    m.set(String(step.i), out.settledAt);
    (out.loads ?? []).forEach((r, k) => m.set(`${step.i}.${k}`, r.end));
  }
  return m;
}
/**
 * Whether `x` (same request as the failed attempt `cur`, number `n`) is a new request of a later
 * step rather than a retry: sent during another step, and either `cur` was the last attempt
 * allowed, or the step that sent `cur` settled in between and `x` came sooner than any retry could.
 * (A fifth attempt is still caught within a step, and exactly in the give-up cases.)
 */
function newRequest(cur, x, n, w) {
  if (x.step === cur.step) return false;
  if (n >= MAX_ATTEMPTS) return true;
  const at = (settled ??= settleTimes()).get(String(cur.step));
  if (at === undefined || at < cur.tEnd - EARLY_MS || at > x.t0 + EARLY_MS) return false;
  return x.t0 - cur.tEnd < w.lo - EARLY_MS;
}

function analyseRetries(segs) {
  const backoff = new Invariant('failed idempotent requests are retried after an exponential, jittered back-off honouring Retry-After');
  const cap = new Invariant(`at most ${MAX_ATTEMPTS} attempts per request`);
  const once = new Invariant('failed mutations are never re-sent');
  const retryAfter = new Invariant('a 429 with Retry-After: 1 is retried no sooner than 1 s later');
  const r = { retried: 0, links: 0, giveUps: 0, interrupted: 0, mutationsFailed: 0, chains: [], gaps: {} };
  for (const seg of segs) {
    const log = seg.log.filter((e) => e.t0 !== undefined);
    log.forEach((e, idx) => { e.idx = idx; e.segEnd = seg.end; });
    const taken = new Set();
    for (const first of log) {
      if (taken.has(first.idx)) continue;
      if (!isIdempotent(first)) {
        if (failedRetryably(first) || first.malformed) {
          r.mutationsFailed++;
          const again = log.find((n) => n.idx > first.idx && keyOf(n) === keyOf(first) && n.step === first.step && n.t0 >= first.tEnd - EARLY_MS && n.t0 <= first.tEnd + 3000);
          once.test(!again, `seed ${SEED} step ${first.step}: ${first.method}${first.tunnelled ? `(${first.tunnelled})` : ''} ${first.path}`,
            again && { failed: summary(first), resent: summary(again) });
        }
        continue;
      }
      const chain = [first];
      taken.add(first.idx);
      let cur = first;
      let end = null;
      while (true) {
        if (!failedRetryably(cur)) { end = cur.outcome ? 'settled' : 'unfinished'; break; }
        const n = chain.length;
        const w = window_(n, cur);
        // Several requests may be alike (a getToken with skipCache while the refresh runs): take
        // one that fits the back-off first; one that came too early only when none does.
        const candidates = log.filter((x) => !taken.has(x.idx) && x.idx > cur.idx && keyOf(x) === keyOf(cur)
          && x.t0 >= cur.tEnd - EARLY_MS && x.t0 <= cur.tEnd + w.hi + LATE_MS && !newRequest(cur, x, n, w));
        const next = candidates.find((x) => x.t0 - cur.tEnd >= w.lo - EARLY_MS) ?? candidates[0];
        if (!next) {
          if (n >= MAX_ATTEMPTS) end = 'gave up';
          else if (cur.tEnd + w.hi + LATE_MS > seg.end) end = 'interrupted';
          else end = 'not retried';
          break;
        }
        taken.add(next.idx);
        const gap = next.t0 - cur.tEnd;
        (r.gaps[n] ??= []).push({ gap, retryAfter: w.retryAfter });
        r.links++;
        const where = `seed ${SEED} step ${first.step}: ${first.method} ${first.path}, attempt ${n + 1}`;
        backoff.test(gap >= w.lo - EARLY_MS && gap <= w.hi + LATE_MS, where,
          { gapMs: Math.round(gap), expectedMs: [w.lo, w.hi], after: summary(cur) });
        if (w.retryAfter) retryAfter.test(gap >= w.retryAfter * 1000 - EARLY_MS, where, { gapMs: Math.round(gap), retryAfter: w.retryAfter });
        chain.push(next);
        cur = next;
        if (chain.length > MAX_ATTEMPTS) { cap.test(false, where, chain.map(summary)); }
      }
      if (chain.length > 1) r.retried++;
      cap.test(chain.length <= MAX_ATTEMPTS, `seed ${SEED} step ${first.step}: ${first.path}`, chain.map(summary));
      if (end === 'gave up') r.giveUps++;
      if (end === 'interrupted') r.interrupted++;
      backoff.test(end !== 'not retried', `seed ${SEED} step ${first.step}: ${first.method} ${first.path} was not retried after attempt ${chain.length}`, chain.map(summary));
      r.chains.push({ chain, end, step: first.step });
    }
  }
  // Jitter: the first back-off (no Retry-After) is not one fixed value.
  const firstGaps = (r.gaps[1] ?? []).filter((g) => !g.retryAfter).map((g) => g.gap);
  backoff.report(`${r.links} retries of ${r.retried} requests`);
  retryAfter.report(`${retryAfter.checked} retries after a 429`);
  cap.report(`${cap.checked} requests`);
  once.report(`${r.mutationsFailed} failed mutations`);
  if (firstGaps.length >= 3) {
    const spread = Math.max(...firstGaps) - Math.min(...firstGaps);
    check(`back-off is jittered (first back-offs ${firstGaps.map(Math.round).join(', ')} ms)`, spread > 5, `spread ${spread} ms`);
  }
  return r;
}

function summary(e) {
  return { step: e.step, method: e.method + (e.tunnelled ? `(${e.tunnelled})` : ''), path: e.path, t0: Math.round(e.t0 % 1e6), tEnd: e.tEnd && Math.round(e.tEnd % 1e6),
    outcome: e.outcome, status: e.status, retryAfter: e.retryAfter, fault: e.fault, malformed: e.malformed, error: e.error };
}

/** The give-up phase: attempts, gaps and the error each case must end with. */
function checkGiveUps(giveUp, analysis) {
  let okCount = 0;
  for (const { g, step, out } of giveUp) {
    const name = `${g.succeeds ? 'slow' : 'give-up'} (${g.kind} on every attempt): ${step.kind}${step.opts ? ' ' + JSON.stringify(step.opts) : ''}`;
    const result = out?.token ?? out?.result;
    const chains = analysis.chains.filter((c) => c.step === step.i && (
      // The personal-account token (other form fields, such as clerk-js's tab_state, may come too).
      step.kind === 'getToken' ? /\/tokens$/.test(c.chain[0].path) && new URLSearchParams(c.chain[0].body).get('organization_id') === ''
        : step.kind === 'reloadClient' ? /\/v1\/client$/.test(c.chain[0].path) : false));
    const mutations = segments.flatMap((s) => s.log).filter((e) => e.step === step.i && /\/touch$/.test(e.path));
    const attempts = step.kind === 'touch' ? mutations.length : chains.reduce((n, c) => Math.max(n, c.chain.length), 0);
    const err = result && !result.ok ? result.error : null;
    const expectAttempts = g.atMost ? attempts >= 1 && attempts <= g.atMost : attempts === g.attempts;
    const gaps = chains[0]?.chain.slice(1).map((e, k) => Math.round(e.t0 - chains[0].chain[k].tEnd)) ?? [];
    const growing = g.kind === '429' || gaps.every((x, k) => k === 0 || x >= gaps[k - 1] - EARLY_MS);
    if (g.succeeds) {
      const slow = chains[0] ? Math.round(chains[0].chain[0].tEnd - chains[0].chain[0].t0) : null;
      if (check(`${name} → ${attempts} attempt(s) answered after ${slow} ms, then a token`,
        result?.ok && typeof result.value === 'string' && attempts === g.attempts && slow >= 200 - EARLY_MS, { attempts, slow, result })) okCount++;
      continue;
    }
    const ok = !!err && err.typed && expectAttempts && growing
      && (g.status === undefined || err.status === g.status) && (g.code === undefined || err.code === g.code)
      && (g.kind !== '429' || (err.retryAfter === 1 && gaps.every((x) => x >= 1000 - EARLY_MS)));
    if (check(`${name} → ${attempts} attempt(s)${gaps.length ? `, gaps ${gaps.join(', ')} ms` : ''}, then ${err ? `${err.code}${err.status ? ` (${err.status})` : ''}` : 'no error'}`,
      ok, { attempts, expected: g.atMost ? `1..${g.atMost}` : g.attempts, gaps, error: err, result })) okCount++;
  }
  return `${okCount}/${giveUp.length} cases`;
}
