// The React SDK harness: the same scenario, with any `Clerk` instance, in headless Chromium
// against clerk-server, recording every hook and control component at each step, plus what the
// app's own API routes (@clerk/backend and @clerk/express) see from the cookies.
//
//   runScenario({ sdk, factory, fapiUrl, pk, sk, orgId })  -> { sdk, factory, steps, errors }
//     sdk      '@clerk/react' (6.x) or '@clerk/clerk-react' (5.61)
//     factory  path of a browser module exporting `createClerk({publishableKey, proxyUrl})`
//              (factories/clerk-js.mjs is the control; a factory for clerk-rs's Clerk is the
//              lead's to add)
//   diffRuns(a, b) -> differences after normalize(): [{path, a, b}], strict (undefined, null,
//              a missing key and NaN are all told apart; nothing goes through JSON.stringify)
//
// Steps: loaded signed out → bob signs in → bob's organization becomes active → his token is
// refreshed → alice signs in (second session; password + TOTP) → switch back to bob's session
// → sign out. (Not client.destroy(): on clerk-js its outcome depends on timing; see
// docs/dropin.md (d).) Each step also records the page's cookies (names, attributes, what the values
// mean).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startApps } from '../app_server.mjs';
import { unusedTotp } from '../../../../tests/js/totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// Vite and playwright-core come from the project's tests/js tooling.
const tooling = createRequire(path.join(here, '../../../../tests/js/package.json'));
const { chromium } = tooling('playwright-core');
const nodeModules = path.join(here, '../node_modules');

const PASSWORD = 'demo-password-1';
const ALICE_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Builds the probe app for one SDK and one factory into a fresh temporary folder. */
export async function buildApp({ sdk, factory }) {
  const { build } = await import(tooling.resolve('vite'));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'react-harness-'));
  await build({
    root: here,
    base: '/react/',
    logLevel: 'warn',
    configFile: false,
    resolve: {
      alias: { '#clerk-sdk': path.join(nodeModules, sdk), '#clerk-factory': path.resolve(factory) },
      // One React for the app and the SDK.
      dedupe: ['react', 'react-dom'],
    },
    esbuild: { jsx: 'automatic' },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return outDir;
}

const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

export async function runScenario({ sdk, factory, fapiUrl, pk, sk, orgId }) {
  const reactDir = await buildApp({ sdk, factory });
  const apps = await startApps({ pk, sk, fapiUrl, reactDir });
  const appOrigin = apps.backendUrl;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  const steps = [];
  try {
    const context = await browser.newContext();
    await context.addInitScript((cfg) => { window.__HARNESS__ = cfg; }, { publishableKey: pk, proxyUrl: fapiUrl });
    const page = await context.newPage();
    // Each error is labelled with the step it happened after ("loading" before the first).
    let after = 'loading';
    page.on('pageerror', (e) => errors.push(`${after}: pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${after}: console: ${m.text()}`); });
    // Which request failed (the console only says that one did).
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${after}: http ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${apps.backendUrl}/react/`);

    /** Waits until no hook has re-rendered for a while and no list is still fetching. */
    const settle = async () => {
      await page.waitForFunction(() => {
        const p = window.__probe;
        if (!p || !p.hooks.useAuth || performance.now() - p.changedAt < 800) return false;
        const lists = [p.hooks.useOrganization?.memberships, p.hooks.useOrganizationList?.userMemberships,
          p.hooks.useOrganizationList?.userInvitations, p.hooks.useOrganizationList?.userSuggestions];
        return lists.every((l) => !l || (!l.isLoading && !l.isFetching));
      }, null, { timeout: 20000, polling: 100 });
    };

    /** One observation: the hooks, the rendered controls, tokens, and the app's API routes. */
    const observe = async (name) => {
      await settle();
      const asRendered = await page.evaluate(() => structuredClone(window.__probe.hooks));
      await page.evaluate(() => window.__probe.api.rerender());
      await settle();
      const seen = await page.evaluate(async () => {
        const p = window.__probe;
        const token = async (opts) => {
          try {
            const t = await p.api.getToken(opts);
            return typeof t === 'string' ? { type: 'string', jwt: t } : { type: t === null ? 'null' : typeof t };
          } catch (e) {
            return { type: 'error', message: String(e?.message ?? e) };
          }
        };
        return {
          hooksAfterRerender: structuredClone(p.hooks),
          controls: [...document.querySelectorAll('[data-control]')].map((e) => e.dataset.control).sort(),
          token: await token(),
          templateToken: await token({ template: 'demo' }),
        };
      });
      const claims = (t, keys) => {
        if (t.type !== 'string') return t;
        const c = decode(t.jwt);
        return { type: 'string', claims: Object.fromEntries(keys.map((k) => [k, c[k]])) };
      };
      seen.hooks = asRendered;
      seen.token = claims(seen.token, ['sub', 'sid', 'o', 'azp']);
      seen.templateToken = claims(seen.templateToken, ['sub', 'email', 'org']);
      const api = async (base) => JSON.parse(await (await context.request.get(`${base}/api/auth`)).text());
      seen.api = { backend: await api(apps.backendUrl), express: await api(apps.expressUrl) };
      seen.cookies = await cookieView();
      steps.push({ name, ...seen });
      after = name;
    };
    const act = (fn, arg) => page.evaluate(fn, arg);

    /**
     * The cookies on the page's host, as the app's server gets them: name and attributes, and
     * for values what they mean (a session token's sid and organization, `__client_uat` as 0 or
     * a time, the active context) rather than the secret itself.
     */
    let lastSessionJwt = null;
    async function cookieView() {
      const all = (await context.cookies(apps.backendUrl)).sort((a, b) => a.name.localeCompare(b.name));
      const raw = Object.fromEntries(all.map((c) => [c.name, c.value]));
      const meaning = (c) => {
        if (c.name === '__session') {
          const claims = decode(c.value);
          return { sid: claims.sid, org: claims.o?.id ?? null, newToken: c.value !== lastSessionJwt };
        }
        if (c.name.startsWith('__client_uat')) return c.value === '0' ? '0' : /^[0-9]{10}$/.test(c.value) ? '<seconds>' : `<unexpected ${c.value}>`;
        if (c.name === 'clerk_active_context') return decodeURIComponent(c.value);
        return c.value.startsWith('dvb_') ? '<dev browser>' : '<secret>';
      };
      const view = {};
      for (const c of all) {
        // A suffixed copy (`<name>_<suffix>`) is shown by its relation to the unsuffixed one.
        const base = ['__session', '__client_uat', '__clerk_db_jwt'].find((b) => c.name.startsWith(`${b}_`));
        const value = base && raw[base] === c.value ? `<same as ${base}>` : meaning(c);
        view[c.name] = { value, path: c.path, sameSite: c.sameSite, secure: c.secure, httpOnly: c.httpOnly, session: c.expires === -1 };
      }
      lastSessionJwt = raw.__session ?? null;
      return view;
    }

    async function runSteps() {
      await observe('loaded-signed-out');

      const bob = await act(async () => {
        const c = window.__harnessClerk;
        const si = await c.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
        await c.setActive({ session: si.createdSessionId });
        return si.createdSessionId;
      });
      await observe('bob-signed-in');

      await act((org) => window.__harnessClerk.setActive({ organization: org }), orgId);
      await observe('bob-org-active');

      // A token refresh: the cookie carries the new token (a second later, so its iat differs).
      await new Promise((r) => setTimeout(r, 1100));
      await act(() => window.__harnessClerk.session.getToken({ skipCache: true }));
      await observe('token-refreshed');

      const code = await unusedTotp(ALICE_TOTP_SECRET); // each run of the scenario needs its own code
      await act(async ({ code, password }) => {
        const c = window.__harnessClerk;
        const si = await c.client.signIn.create({ identifier: 'alice@example.com', password });
        const done = await si.attemptSecondFactor({ strategy: 'totp', code });
        await c.setActive({ session: done.createdSessionId });
      }, { code, password: PASSWORD });
      await observe('alice-signed-in');

      // Back to bob through useSessionList().setActive, as an app's session switcher does.
      await act((sid) => window.__probe.api.setActiveFromSessionList({ session: sid }), bob);
      await observe('switched-to-bob');

      await act(() => window.__harnessClerk.signOut(() => {}));
      await observe('signed-out');
    }

    try {
      await runSteps();
    } catch (e) {
      // A run that stops early still reports what it saw, and why it stopped.
      errors.push(`${after}: the scenario stopped: ${String(e?.message ?? e).split('\n')[0]}`);
    }
  } finally {
    await browser.close();
    await apps.close();
    fs.rmSync(reactDir, { recursive: true, force: true });
  }
  return { sdk, factory: path.basename(factory), appOrigin, steps, errors };
}

/**
 * Replaces what legitimately differs between two runs with stable placeholders: session ids
 * (in order of first appearance) and the app's origin (a free port, e.g. in tokens' `azp`).
 * Everything else is compared as is.
 */
export function normalize(run) {
  const seen = new Map();
  const walk = (v) => {
    if (run.appOrigin && v === run.appOrigin) return '<app origin>';
    if (typeof v === 'string') {
      // Also inside strings, e.g. clerk_active_context's `sess_…:org_…`.
      return v.replace(/sess_[A-Za-z0-9]+/g, (id) => {
        if (!seen.has(id)) seen.set(id, `<session ${seen.size + 1}>`);
        return seen.get(id);
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(run.steps);
}

const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Strict structural difference of two normalized runs: each differing leaf with its path. */
export function diffRuns(a, b) {
  const out = [];
  const walk = (x, y, p) => {
    if (kind(x) !== kind(y)) return out.push({ path: p, a: x, b: y });
    if (kind(x) === 'array' || kind(x) === 'object') {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) {
        if (!(k in x) || !(k in y)) out.push({ path: `${p}.${k}`, a: k in x ? x[k] : '<missing>', b: k in y ? y[k] : '<missing>' });
        else walk(x[k], y[k], `${p}.${k}`);
      }
      return;
    }
    if (!Object.is(x, y)) out.push({ path: p, a: x, b: y });
  };
  walk(normalize(a), normalize(b), '$');
  return out;
}
