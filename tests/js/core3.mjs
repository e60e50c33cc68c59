// Clerk Core 3 on clerk-rs (issue 21), each step on clerk-js 6.40 (the control) and on the release
// package (pkg/) in the same run, against clerk-server, in Chromium, with @clerk/react 6 and
// @clerk/ui 1.36 from the registry (pinned in server/ui, fetched by .ci/setup): the signal hooks (`useSignIn()`,
// `useSignUp()`: every flow with its failure paths, `errors` and `fetchStatus`, then
// `finalize()`), Clerk's prebuilt UI driven by its DOM as a person would (`<SignIn/>` with a
// password, an email code and TOTP; `<SignUp/>` with email verification; `<UserButton/>`;
// `<UserProfile/>`, `<CreateOrganization/>` from `<OrganizationSwitcher/>` and
// `<OrganizationProfile/>`: core3/profile-flows.mjs), and screenshots of `<SignIn/>` and
// `<UserProfile/>` on both (target/artifacts/). A page error fails its step.
// `--only=ui|account|profile|parity|hooks` runs one part; CORE3_ENGINES=rs the profile part on one engine.
// Run after .ci/build-package.
import { chromium } from 'playwright-core';
import { createClerkClient } from '@clerk/backend';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CHROMIUM_ARGS } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';
import { unusedTotp } from './totp.mjs';
import { organizationFlows, userProfileFlows } from './core3/profile-flows.mjs';

const NAME = 'core3';
const root = new URL('../../', import.meta.url).pathname;
const clerkPackages = join(root, 'server/tests/js/node_modules');
const PASSWORD = 'demo-password-1';
const ALICE_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

// The site: the package, clerk-js's and @clerk/ui's browser builds, and the probe app.
const { dir, site } = prepareSite(NAME);
mkdirSync(join(site, 'clerk'));
cpSync(join(clerkPackages, '@clerk/clerk-js/dist/clerk.browser.js'), join(site, 'clerk/clerk.browser.js'));
mkdirSync(join(site, 'ui'));
// The pinned browser build .ci/setup fetches for clerk-server to serve (server/ui/package.json).
const uiDist = join(root, 'server/ui/node_modules/@clerk/ui/dist');
for (const f of readdirSync(uiDist)) if (f.endsWith('.js')) cpSync(join(uiDist, f), join(site, 'ui', f));
const esbuild = createRequire(import.meta.url)('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'tests/js/core3/app.jsx')],
  bundle: true, format: 'esm', target: 'es2022', outfile: join(site, 'core3/app.js'), logLevel: 'warning',
  jsx: 'automatic', nodePaths: [clerkPackages], define: { 'process.env.NODE_ENV': '"production"' },
});
writeFileSync(join(site, 'core3/index.html'), '<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="/core3/app.js"></script>');

const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
// An instance with only passwords and email codes: email links and SMS are disabled strategies.
const restricted = await startClerkServer({ db: join(dir, 'restricted.db'), www: site, extraArgs: ['--strategies', 'password,email_code'] });
// The profile flows' instance: emails verified by code (the default instance verifies them by
// link), TOTP and backup codes.
const profileSrv = await startClerkServer({ db: join(dir, 'profile.db'), www: site, extraArgs: ['--strategies', 'password,email_code,totp,backup_code'] });
const launchBrowser = () => chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
let browser = await launchBrowser();
/** `promise`, or a rejection after `ms`. */
const within = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);
const artifacts = join(root, 'target/artifacts');
mkdirSync(artifacts, { recursive: true });

const outbox = async (base, to) => (await fetch(`${base}/__dev/emails?to=${encodeURIComponent(to)}`)).json();
/** The newest code sent to `to` after `before` emails (the send resolves before the outbox may show it). */
async function codeFor(base, to, before) {
  for (let i = 0; i < 100; i++) {
    const r = await outbox(base, to);
    if (r.emails.length > before && r.latest_code) return r.latest_code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email code for ${to}`);
}

/** A fresh page of the probe app on `engine`, loaded; page errors are collected in `errors`. */
async function open(base, engine, ui = '') {
  // Debian's Chromium once stopped answering here for good (newPage after a context closed,
  // once in three runs on this machine): after 30 s the run gets a new browser, once, instead of
  // hanging until CI's limit.
  let context, page;
  for (let attempt = 1; !page; attempt++) {
    try {
      context = await within(browser.newContext({ viewport: { width: 1000, height: 900 } }), 30000, 'newContext');
      page = await within(context.newPage(), 30000, 'newPage');
    } catch (e) {
      if (attempt > 1) throw e;
      console.log(`note core3: Chromium stuck (${e.message}); a new browser`);
      await within(browser.close(), 10000, 'close').catch(() => {});
      browser = await launchBrowser();
    }
  }
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.stack ?? e.message));
  await page.goto(`${base}/core3/index.html?engine=${engine}&ui=${ui}`);
  await page.waitForFunction(() => window.clerk?.loaded && window.hooks?.signIn?.signIn, null, { timeout: 30000 });
  return { page, errors, close: () => closeContext(context) };
}

/** Closes a page's context. Debian's Chromium has also hung in `context.close()` (after the
 * clerk-js account UI, twice in December 2026): after 30 s the run gets a new browser instead. */
async function closeContext(context) {
  try {
    await within(context.close(), 30000, 'context.close');
  } catch (e) {
    console.log(`note core3: Chromium stuck (${e.message}); a new browser`);
    await within(browser.close(), 10000, 'close').catch(() => {});
    browser = await launchBrowser();
  }
}

/**
 * Runs `step` (a function of the page's `hooks` and `clerk`, returning what the step's future
 * method resolved to) in the page and reports, once React rendered the idle state, the result's
 * error code, the hook's `errors` and `fetchStatus`, and the fetch statuses rendered meanwhile.
 */
async function hookStep(page, kind, step, arg) {
  return page.evaluate(async ({ kind, step, arg }) => {
    const before = window.renders.length;
    const run = new Function('hooks', 'clerk', 'arg', `return (${step})(hooks, clerk, arg)`);
    let result;
    try {
      result = await run(window.hooks, window.clerk, arg);
    } catch (e) {
      result = { thrown: String(e?.message ?? e) };
    }
    await new Promise((r) => setTimeout(r, 50));
    const h = window.hooks[kind];
    const code = (e) => (e ? { code: e.code ?? null, paramName: e.meta?.paramName ?? null } : e);
    const fields = Object.fromEntries(Object.entries(h.errors.fields).map(([k, v]) => [k, code(v)]));
    // An API error by its first entry: the top-level code differs (see `topCode`).
    const first = (e) => (e ? code(e.errors?.[0] ?? e) : e);
    return {
      error: result && 'error' in result ? first(result.error) : result?.thrown ? { thrown: result.thrown } : 'no-result',
      topCode: result?.error ? result.error.code : null,
      fields,
      raw: h.errors.raw === null ? null : h.errors.raw.map((e) => e.code ?? null),
      global: h.errors.global === null ? null : h.errors.global.map((e) => ({ code: e.code ?? null, api: typeof e.isClerkAPIResponseError === 'function' ? e.isClerkAPIResponseError() : 'none' })),
      fetchStatus: h.fetchStatus,
      fetched: window.renders.slice(before).map((r) => r[kind]),
      status: h[kind]?.status ?? null,
      sessionUser: window.clerk.user?.primaryEmailAddress?.emailAddress ?? null,
    };
  }, { kind, step: step.toString(), arg });
}

/** Strict deep equality: undefined, null and a missing key are told apart. */
function same(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}
const noFieldErrors = (fields) => Object.values(fields).every((v) => v === null);
const wentFetching = (r) => r.fetched.includes('fetching') && r.fetchStatus === 'idle';

/** Every signal-hook flow on one engine; the results, named, for the comparison with the control. */
async function hookFlows(engine) {
  const out = {};
  const tag = (name) => `[${engine}] hooks: ${name}`;
  // Password: wrong, then right, then finalize.
  {
    const { page, errors, close } = await open(server.base, engine);
    const wrong = await hookStep(page, 'signIn', (h) => h.signIn.signIn.password({ identifier: 'bob@example.com', password: 'wrong-password-1' }));
    check(tag('wrong password: errors.fields.password.code === form_password_incorrect'),
      wrong.fields.password?.code === 'form_password_incorrect' && wrong.fields.password.paramName === 'password' && wrong.error?.code === 'form_password_incorrect', wrong);
    check(tag('wrong password: raw has it, global is null, fetchStatus fetching → idle'),
      wrong.raw?.length === 1 && wrong.raw[0] === 'form_password_incorrect' && wrong.global === null && wentFetching(wrong), wrong);
    const right = await hookStep(page, 'signIn', (h) => h.signIn.signIn.password({ identifier: 'bob@example.com', password: 'demo-password-1' }));
    check(tag('password: complete, errors cleared'), right.error === null && right.status === 'complete' && noFieldErrors(right.fields) && right.raw === null && wentFetching(right), right);
    const fin = await hookStep(page, 'signIn', (h) => h.signIn.signIn.finalize());
    check(tag('password: finalize() signs bob in'), fin.error === null && fin.sessionUser === 'bob@example.com' && wentFetching(fin), fin);
    out.password = { wrong, right, fin };
    check(tag('no page error'), errors.length === 0, errors);
    await close();
  }
  // TOTP second factor: a wrong code, then the right one.
  {
    const { page, errors, close } = await open(server.base, engine);
    const first = await hookStep(page, 'signIn', (h) => h.signIn.signIn.password({ identifier: 'alice@example.com', password: 'demo-password-1' }));
    check(tag('alice: needs_second_factor'), first.error === null && first.status === 'needs_second_factor', first);
    const wrong = await hookStep(page, 'signIn', (h) => h.signIn.signIn.mfa.verifyTOTP({ code: '000000' }));
    check(tag('wrong TOTP: errors.fields.code.code === form_code_incorrect'), wrong.fields.code?.code === 'form_code_incorrect' && wrong.status === 'needs_second_factor' && wentFetching(wrong), wrong);
    const code = await unusedTotp(ALICE_TOTP);
    const right = await hookStep(page, 'signIn', (h, c, code) => h.signIn.signIn.mfa.verifyTOTP({ code }), code);
    check(tag('TOTP: complete'), right.error === null && right.status === 'complete' && noFieldErrors(right.fields), right);
    const fin = await hookStep(page, 'signIn', (h) => h.signIn.signIn.finalize());
    check(tag('TOTP: finalize() signs alice in'), fin.error === null && fin.sessionUser === 'alice@example.com', fin);
    out.totp = { first, wrong, right, fin };
    check(tag('no page error (TOTP)'), errors.length === 0, errors);
    await close();
  }
  // Email code sign-in: send, a wrong code, the right one.
  {
    const { page, errors, close } = await open(server.base, engine);
    const before = (await outbox(server.base, 'bob@example.com')).emails.length;
    const sent = await hookStep(page, 'signIn', (h) => h.signIn.signIn.emailCode.sendCode({ emailAddress: 'bob@example.com' }));
    check(tag('emailCode.sendCode: needs_first_factor'), sent.error === null && sent.status === 'needs_first_factor' && wentFetching(sent), sent);
    const code = await codeFor(server.base, 'bob@example.com', before);
    const wrong = await hookStep(page, 'signIn', (h) => h.signIn.signIn.emailCode.verifyCode({ code: '000000' }));
    check(tag('wrong email code: form_code_incorrect on code'), wrong.fields.code?.code === 'form_code_incorrect', wrong);
    const right = await hookStep(page, 'signIn', (h, c, code) => h.signIn.signIn.emailCode.verifyCode({ code }), code);
    const fin = await hookStep(page, 'signIn', (h) => h.signIn.signIn.finalize());
    check(tag('email code: complete, finalize() signs bob in'), right.status === 'complete' && fin.sessionUser === 'bob@example.com', { right, fin });
    out.emailCode = { sent, wrong, right, fin };
    check(tag('no page error (email code)'), errors.length === 0, errors);
    await close();
  }
  // Sign-up with a password and email verification.
  {
    const { page, errors, close } = await open(server.base, engine);
    const email = `core3-${engine}-${Date.now()}@example.com`;
    const taken = await hookStep(page, 'signUp', (h) => h.signUp.signUp.password({ emailAddress: 'bob@example.com', password: 'a-long-new-password-9' }));
    check(tag('sign-up with a taken email: form_identifier_exists on emailAddress'), taken.fields.emailAddress?.code === 'form_identifier_exists' && wentFetching(taken), taken);
    const created = await hookStep(page, 'signUp', (h, c, email) => h.signUp.signUp.password({ emailAddress: email, password: 'a-long-new-password-9' }), email);
    check(tag('signUp.password: missing_requirements, errors cleared'), created.error === null && created.status === 'missing_requirements' && noFieldErrors(created.fields), created);
    const sent = await hookStep(page, 'signUp', (h) => h.signUp.signUp.verifications.sendEmailCode());
    check(tag('verifications.sendEmailCode'), sent.error === null && wentFetching(sent), sent);
    const code = await codeFor(server.base, email, 0);
    const wrong = await hookStep(page, 'signUp', (h) => h.signUp.signUp.verifications.verifyEmailCode({ code: '000000' }));
    check(tag('wrong sign-up code: form_code_incorrect on code'), wrong.fields.code?.code === 'form_code_incorrect', wrong);
    const right = await hookStep(page, 'signUp', (h, c, code) => h.signUp.signUp.verifications.verifyEmailCode({ code }), code);
    check(tag('sign-up: complete'), right.error === null && right.status === 'complete', right);
    const fin = await hookStep(page, 'signUp', (h) => h.signUp.signUp.finalize());
    check(tag('sign-up: finalize() signs the new user in'), fin.error === null && fin.sessionUser === email, fin);
    out.signUp = { taken, created, sent, wrong, right, fin };
    check(tag('no page error (sign-up)'), errors.length === 0, errors);
    await close();
    // The new user resets the password by an email code.
    {
      const { page, errors, close } = await open(server.base, engine);
      await hookStep(page, 'signIn', (h, c, email) => h.signIn.signIn.create({ identifier: email }), email);
      const before = (await outbox(server.base, email)).emails.length;
      const sent = await hookStep(page, 'signIn', (h) => h.signIn.signIn.resetPasswordEmailCode.sendCode());
      const code = await codeFor(server.base, email, before);
      const verified = await hookStep(page, 'signIn', (h, c, code) => h.signIn.signIn.resetPasswordEmailCode.verifyCode({ code }), code);
      check(tag('resetPasswordEmailCode: needs_new_password after the code'), sent.error === null && verified.error === null && verified.status === 'needs_new_password', { sent, verified });
      const short = await hookStep(page, 'signIn', (h) => h.signIn.signIn.resetPasswordEmailCode.submitPassword({ password: 'short' }));
      check(tag('a too short new password: an error on password'), short.fields.password !== null && typeof short.fields.password?.code === 'string', short);
      const reset = await hookStep(page, 'signIn', (h) => h.signIn.signIn.resetPasswordEmailCode.submitPassword({ password: 'another-long-password-7' }));
      const fin = await hookStep(page, 'signIn', (h) => h.signIn.signIn.finalize());
      check(tag('submitPassword: complete; finalize() signs the user in'), reset.status === 'complete' && fin.sessionUser === email, { reset, fin });
      out.reset = { sent, verified, short, reset, fin };
      check(tag('no page error (password reset)'), errors.length === 0, errors);
      await close();
    }
  }
  // A backup code as the second factor, and a sign-up's update.
  {
    const { page, errors, close } = await open(server.base, engine);
    const { codes } = await (await fetch(`${server.base}/__dev/backup_codes?identifier=alice@example.com`, { method: 'POST' })).json();
    await hookStep(page, 'signIn', (h) => h.signIn.signIn.password({ identifier: 'alice@example.com', password: 'demo-password-1' }));
    const wrong = await hookStep(page, 'signIn', (h) => h.signIn.signIn.mfa.verifyBackupCode({ code: 'not-a-code' }));
    check(tag('a wrong backup code: an error on code'), wrong.fields.code !== null && wrong.status === 'needs_second_factor', wrong);
    const right = await hookStep(page, 'signIn', (h, c, code) => h.signIn.signIn.mfa.verifyBackupCode({ code }), codes[0]);
    check(tag('mfa.verifyBackupCode: complete'), right.error === null && right.status === 'complete', right);
    const fin = await hookStep(page, 'signIn', (h) => h.signIn.signIn.finalize());
    check(tag('backup code: finalize() signs alice in'), fin.sessionUser === 'alice@example.com', fin);
    const created = await hookStep(page, 'signUp', (h) => h.signUp.signUp.create({ emailAddress: `upd-${Date.now()}@example.com` }));
    const updated = await hookStep(page, 'signUp', (h) => h.signUp.signUp.update({ firstName: 'Core', lastName: 'Three' }));
    const names = await page.evaluate(() => [window.hooks.signUp.signUp.firstName, window.hooks.signUp.signUp.lastName]);
    check(tag('signUp.update sets the names'), created.error === null && updated.error === null && names[0] === 'Core' && names[1] === 'Three', { created, updated, names });
    const reset = await hookStep(page, 'signUp', (h) => h.signUp.signUp.reset());
    const afterReset = await page.evaluate(() => [window.hooks.signUp.signUp.status, window.hooks.signUp.signUp.id ?? null]);
    check(tag('signUp.reset() starts over'), reset.error === null && afterReset[0] === 'missing_requirements' && afterReset[1] === null, { reset, afterReset });
    out.backup = { wrong, right, fin, created, updated };
    check(tag('no page error (backup code, update)'), errors.length === 0, errors);
    await close();
  }
  // SSO: off to the provider (the development identity provider) with the routes.
  {
    const { page, errors, close } = await open(server.base, engine);
    await Promise.all([
      page.waitForURL(/\/oauth\/dev\/authorize/, { timeout: 15000 }),
      page.evaluate(() => {
        void window.hooks.signIn.signIn.sso({ strategy: 'oauth_github', redirectUrl: '/core3/index.html?sso=done', redirectCallbackUrl: '/core3/index.html?sso=callback' });
      }),
    ]).then(() => check(tag('signIn.sso() goes to the provider'), true), (e) => check(tag('signIn.sso() goes to the provider'), false, String(e)));
    check(tag('for the strategy asked'), new URL(page.url()).searchParams.get('provider') === 'oauth_github', page.url());
    check(tag('no page error (sso)'), errors.length === 0, errors);
    await close();
  }
  // A disabled strategy: email links are not enabled on the restricted instance.
  {
    const { page, errors, close } = await open(restricted.base, engine);
    const link = await hookStep(page, 'signIn', (h) => h.signIn.signIn.emailLink.sendLink({ emailAddress: 'bob@example.com', verificationUrl: '/core3/index.html' }));
    check(tag('disabled email link: a global factor_not_found error, no field error'),
      link.error?.code === 'factor_not_found' && link.global?.[0]?.code === 'factor_not_found' && link.global[0].api === false && noFieldErrors(link.fields) && wentFetching(link), link);
    out.disabled = { link };
    check(tag('no page error (disabled strategy)'), errors.length === 0, errors);
    await close();
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Waits for `selector` in the component; false after `timeout`. */
const shows = (page, selector, timeout = 15000) => page.locator(selector).first().waitFor({ timeout }).then(() => true, () => false);
const signedInAs = (page, email, timeout = 15000) =>
  page.waitForFunction((e) => window.clerk?.user?.primaryEmailAddress?.emailAddress === e, email, { timeout }).then(() => true, () => false);

/** Types into the UI's one-time-code field (input-otp: one input for all digits). */
async function typeCode(page, code) {
  const input = page.locator('input[autocomplete="one-time-code"], input[name="codeInput-0"]').first();
  await input.waitFor({ timeout: 15000 });
  await input.click();
  await page.keyboard.type(code, { delay: 30 });
}
const continueButton = (page) => page.locator('.cl-formButtonPrimary').first();

/** The prebuilt components on one engine, driven through their DOM. */
async function prebuiltUI(engine) {
  const tag = (name) => `[${engine}] ui: ${name}`;
  // <SignIn/> with a password; its screenshot first.
  {
    const { page, errors, close } = await open(server.base, engine, 'SignIn');
    const form = await shows(page, 'input[name="identifier"]');
    check(tag('<SignIn/> renders its identifier field'), form);
    await sleep(500);
    await page.locator('[data-testid=ui]').screenshot({ path: join(artifacts, `core3-signin-${engine}.png`) });
    await page.locator('input[name="identifier"]').fill('bob@example.com');
    await continueButton(page).click();
    check(tag('<SignIn/> asks for the password'), await shows(page, 'input[name="password"]'));
    await page.locator('input[name="password"]').fill('wrong-password-1');
    await continueButton(page).click();
    check(tag('<SignIn/> shows the wrong password under its field'), await shows(page, '#error-password, .cl-formFieldErrorText'));
    await page.locator('input[name="password"]').fill(PASSWORD);
    await continueButton(page).click();
    check(tag('<SignIn/> signs bob in with his password'), await signedInAs(page, 'bob@example.com'));
    check(tag('no page error (<SignIn/> password)'), errors.length === 0, errors);
    await close();
  }
  // <SignIn/> with an email code.
  {
    const { page, errors, close } = await open(server.base, engine, 'SignIn');
    await shows(page, 'input[name="identifier"]');
    await page.locator('input[name="identifier"]').fill('bob@example.com');
    await continueButton(page).click();
    await shows(page, 'input[name="password"]');
    const before = (await outbox(server.base, 'bob@example.com')).emails.length;
    await page.locator('.cl-footerActionLink:has-text("Use another method")').first().click();
    const choice = page.locator('button:has-text("Email code to")').first();
    if (!(await shows(page, 'button:has-text("Email code to")'))) console.log(await page.locator('[data-testid=ui]').innerText());
    await choice.click();
    const code = await codeFor(server.base, 'bob@example.com', before).catch(async (e) => {
      console.log(errors, await page.locator('[data-testid=ui]').innerText());
      throw e;
    });
    await typeCode(page, code);
    check(tag('<SignIn/> signs bob in with an email code'), await signedInAs(page, 'bob@example.com'));
    check(tag('no page error (<SignIn/> email code)'), errors.length === 0, errors);
    await close();
  }
  // <SignIn/> with a password and TOTP.
  {
    const { page, errors, close } = await open(server.base, engine, 'SignIn');
    await shows(page, 'input[name="identifier"]');
    await page.locator('input[name="identifier"]').fill('alice@example.com');
    await continueButton(page).click();
    await shows(page, 'input[name="password"]');
    await page.locator('input[name="password"]').fill(PASSWORD);
    await continueButton(page).click();
    await typeCode(page, await unusedTotp(ALICE_TOTP));
    check(tag('<SignIn/> signs alice in with TOTP'), await signedInAs(page, 'alice@example.com'));
    check(tag('no page error (<SignIn/> TOTP)'), errors.length === 0, errors);
    await close();
  }
  // <SignUp/> with email verification.
  {
    // On the instance with email codes only (the other one verifies sign-ups by link).
    const { page, errors, close } = await open(restricted.base, engine, 'SignUp');
    const email = `ui-${engine}-${Date.now()}@example.com`;
    check(tag('<SignUp/> renders its email field'), await shows(page, 'input[name="emailAddress"]'));
    await page.locator('input[name="emailAddress"]').fill(email);
    await page.locator('input[name="password"]').fill('a-long-new-password-9');
    await continueButton(page).click();
    const code = await codeFor(restricted.base, email, 0).catch(() => null);
    if (!code) console.log(await page.locator('[data-testid=ui]').innerText());
    if (code) await typeCode(page, code);
    check(tag('<SignUp/> signs the new user up after the email code'), !!code && (await signedInAs(page, email)));
    check(tag('no page error (<SignUp/>)'), errors.length === 0, errors);
    await close();
  }
}

// <UserProfile/> reads the account resources (user.verifiedExternalAccounts, getSessions, …)
// that another branch adds to the object layer (the lead's merge). Until then a failure of these
// steps on clerk-rs is reported as pending and not counted; on clerk-js each counts as usual.
// Set to false once the account resources are merged: every step then counts.
const PENDING_ACCOUNT = false;
function account(engine, name, ok, detail) {
  if (!ok && engine === 'rs' && PENDING_ACCOUNT) console.log(`pending ${name} (needs the account resources) — ${JSON.stringify(detail).slice(0, 400)}`);
  else check(name, ok, detail);
}

/** Signs `email` in through the legacy API (a second factor by TOTP when asked) and makes it active. */
async function apiSignIn(page, email, totp) {
  return page.evaluate(async ({ email, password, totp }) => {
    let si = await window.clerk.client.signIn.create({ identifier: email, password });
    if (si.status === 'needs_second_factor') si = await si.attemptSecondFactor({ strategy: 'totp', code: totp });
    await window.clerk.setActive({ session: si.createdSessionId });
    return window.clerk.session.id;
  }, { email, password: PASSWORD, totp });
}

/** <UserButton/>: its popover, "Manage account", switching to a second session, sign-out; then <UserProfile/> and <OrganizationSwitcher/> render. */
async function accountUI(engine) {
  const tag = (name) => `[${engine}] ui: ${name}`;
  const { page, errors, close } = await open(server.base, engine, 'UserButton');
  const bob = await apiSignIn(page, 'bob@example.com');
  const trigger = page.locator('.cl-userButtonTrigger').first();
  check(tag('<UserButton/> renders for bob'), await shows(page, '.cl-userButtonTrigger'));
  await trigger.click();
  await shows(page, '.cl-userButtonPopoverCard');
  await sleep(500);
  check(tag('<UserButton/> opens its popover with bob in it'), await shows(page, '.cl-userButtonPopoverCard') && (await page.locator('.cl-userButtonPopoverCard').innerText()).includes('Bob Example'));
  await page.keyboard.press('Escape');
  const alice = await apiSignIn(page, 'alice@example.com', await unusedTotp(ALICE_TOTP));
  check(tag('a second session (alice) is active'), typeof alice === 'string' && alice !== bob && (await signedInAs(page, 'alice@example.com')));
  await trigger.click();
  const other = page.locator('.cl-userButtonPopoverCard button:has-text("Bob Example")').first();
  check(tag('the popover lists bob\'s session'), await shows(page, '.cl-userButtonPopoverCard button:has-text("Bob Example")'));
  await other.click();
  check(tag('switching to bob\'s session from the popover'), await page.waitForFunction((id) => window.clerk?.session?.id === id, bob, { timeout: 15000 }).then(() => true, () => false));
  await trigger.click();
  await page.locator('.cl-userButtonPopoverActionButton__signOut').first().click();
  // The page may load again (afterMultiSessionSingleSignOutUrl): bob's session is gone from the client.
  const ended = await page.waitForFunction((id) => window.clerk?.loaded && window.clerk.session?.id !== id && !window.clerk.client.signedInSessions.some((s) => s.id === id), bob, { timeout: 15000 }).then(() => true, () => false);
  check(tag('"Sign out" from the popover ends bob\'s session'), ended);
  check(tag('no page error (<UserButton/>)'), errors.length === 0, errors);
  await close();
  // "Manage account": the profile opens (it reads the account resources; see PENDING_ACCOUNT).
  {
    const { page, errors, close } = await open(server.base, engine, 'UserButton');
    await apiSignIn(page, 'bob@example.com');
    await page.locator('.cl-userButtonTrigger').first().click();
    await page.locator('.cl-userButtonPopoverActionButton__manageAccount').first().click();
    const opened = await shows(page, '.cl-userProfile-root .cl-navbar, .cl-modalContent .cl-navbar') && errors.length === 0;
    account(engine, tag('"Manage account" opens the profile, without a page error'), opened, errors);
    await close();
  }
  // What the account and organization resources (the other open issue) drive: rendered only.
  for (const [ui, selector] of [['UserProfile', '.cl-userProfile-root'], ['OrganizationSwitcher', '.cl-organizationSwitcherTrigger']]) {
    const { page, errors, close } = await open(server.base, engine);
    await apiSignIn(page, 'bob@example.com');
    // Mounted signed in (a new page load: the session is the client's).
    await page.goto(`${server.base}/core3/index.html?engine=${engine}&ui=${ui}`);
    await page.waitForFunction(() => window.clerk?.loaded && window.clerk.user, null, { timeout: 30000 });
    const rendered = await shows(page, selector);
    if (rendered && ui === 'UserProfile') {
      await sleep(500);
      await page.locator('[data-testid=ui]').screenshot({ path: join(artifacts, `core3-userprofile-${engine}.png`) });
    }
    const result = ui === 'UserProfile' ? account : (e, ...a) => check(...a);
    result(engine, tag(`<${ui}/> renders for bob`), rendered, rendered || (await page.locator('body').innerHTML()).slice(0, 1500));
    result(engine, tag(`no page error (<${ui}/>)`), errors.length === 0, errors);
    await close();
  }
}

/** The navigation helpers, the getters and getToken({skipCache}) on one engine, signed in as bob. */
async function parity(engine) {
  const { page, errors, close } = await open(server.base, engine);
  await apiSignIn(page, 'bob@example.com');
  const r = await page.evaluate(async () => {
    const c = window.clerk;
    const urls = {
      signIn: c.buildSignInUrl(),
      signInWith: c.buildSignInUrl({ redirectUrl: '/after', signInForceRedirectUrl: '/forced', initialValues: { emailAddress: 'a@b.c' } }),
      signUp: c.buildSignUpUrl({ signUpFallbackRedirectUrl: '/fallback' }),
      afterSignIn: c.buildAfterSignInUrl(),
      afterSignInParams: c.buildAfterSignInUrl({ params: new URLSearchParams({ redirect_url: '/from-query' }) }),
      afterSignUp: c.buildAfterSignUpUrl(),
      afterSignOut: c.buildAfterSignOutUrl(),
      afterMulti: c.buildAfterMultiSessionSingleSignOutUrl(),
      userProfile: c.buildUserProfileUrl(),
      home: c.buildHomeUrl(),
      createOrganization: c.buildCreateOrganizationUrl(),
      organizationProfile: c.buildOrganizationProfileUrl(),
      waitlist: c.buildWaitlistUrl({ initialValues: { emailAddress: 'a@b.c' } }),
      sameOrigin: c.buildUrlWithAuth('/p?x=1'),
      otherOrigin: (() => {
        try {
          return c.buildUrlWithAuth('https://accounts.other.test/sign-in');
        } catch (e) {
          return `threw ${e.message}`;
        }
      })(),
      redirects: ['redirectToSignIn', 'redirectToSignUp', 'redirectToUserProfile', 'redirectToAfterSignIn', 'redirectToAfterSignOut', 'redirectWithAuth', 'handleUnauthenticated']
        .map((m) => typeof c[m]),
    };
    const getters = {
      domain: c.domain, isSatellite: c.isSatellite, isStandardBrowser: c.isStandardBrowser, uiVersion: c.uiVersion,
      versionMajor: c.version.split('.')[0], telemetry: typeof c.telemetry?.record,
      env: {
        identifiers: c.environment.userSettings.enabledFirstFactorIdentifiers,
        social: c.environment.userSettings.authenticatableSocialStrategies,
        passwordBased: c.environment.userSettings.instanceIsPasswordBased,
        devOrStaging: (0, c.environment.isDevelopmentOrStaging)(),
        signInUrl: c.environment.displayConfig.signInUrl,
        applicationName: c.environment.displayConfig.applicationName,
      },
    };
    const before = c.session.lastActiveToken?.getRawString() ?? null;
    // The legacy attempts carry the same futures the hooks show.
    getters.legacyFuture = [typeof c.client.signIn.__internal_future?.password, typeof c.client.signUp.__internal_future?.verifications?.sendEmailCode];
    const seen = [];
    const off = c.addListener((res) => seen.push(res.session?.lastActiveToken?.getRawString() ?? null), { skipInitialEmit: true });
    const forced = await c.session.getToken({ skipCache: true });
    await new Promise((r) => setTimeout(r, 300));
    off();
    return { urls, getters, token: { emitted: seen.includes(forced), shown: c.session.lastActiveToken?.getRawString() === forced, renewed: forced !== before, emissions: seen.length } };
  });
  check(`[${engine}] getToken({skipCache: true}) emits the session with the new lastActiveToken`, r.token.emitted && r.token.shown, r.token);
  check(`[${engine}] no page error (parity)`, errors.length === 0, errors);
  await close();
  return r;
}

try {
  if (!server.started || !restricted.started || !profileSrv.started) throw new Error(`clerk-server did not start: ${server.log()} ${restricted.log()} ${profileSrv.log()}`);
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  if (!only || only === 'ui') {
    await prebuiltUI('js');
    await prebuiltUI('rs');
  }
  if (!only || only === 'account') {
    await accountUI('js');
    await accountUI('rs');
  }
  if (!only || only === 'profile') {
    for (let i = 0; i < 100 && !/secret key:\s+sk_/.test(profileSrv.log()); i++) await sleep(50);
    const bapi = createClerkClient({ secretKey: profileSrv.log().match(/secret key:\s+(sk_\S+)/)[1], apiUrl: profileSrv.base });
    const toolkit = { open, check, shows, typeCode, codeFor, outbox, apiSignIn, sleep, bapi, artifacts, password: PASSWORD };
    for (const engine of (process.env.CORE3_ENGINES ?? 'js,rs').split(',')) {
      await userProfileFlows(toolkit, profileSrv.base, engine).catch((e) => check(`[${engine}] ui: <UserProfile/> flows ran through`, false, String(e?.stack ?? e)));
    }
    for (const engine of (process.env.CORE3_ENGINES ?? 'js,rs').split(',')) {
      await organizationFlows(toolkit, profileSrv.base, engine).catch((e) => check(`[${engine}] ui: organization flows ran through`, false, String(e?.stack ?? e)));
    }
  }
  if (!only || only === 'parity') {
    const [a, b] = [await parity('js'), await parity('rs')];
    // The page's own URL names its engine.
    const own = (v) => (typeof v === 'string' ? v.replace(/engine(=|%3D)rs/g, 'engine$1js') : v);
    for (const k of Object.keys(b.urls)) b.urls[k] = own(b.urls[k]);
    for (const [k, v] of Object.entries(a.urls)) {
      // A finding, reported: with the Frontend API on the page's origin there is no dev browser,
      // and clerk-js throws "Missing dev browser" for a URL of another origin; clerk-rs gives it
      // unchanged (the engine's url_with_auth test covers the token when there is one).
      if (k === 'otherOrigin' && String(v).startsWith('threw')) {
        console.log(`note navigation: buildUrlWithAuth(other origin) without a dev browser: clerk-js ${v}; clerk-rs ${b.urls[k]}`);
        check('navigation: buildUrlWithAuth(other origin) on clerk-rs gives the URL', b.urls[k] === 'https://accounts.other.test/sign-in', b.urls[k]);
        continue;
      }
      check(`navigation: ${k} on clerk-rs as on clerk-js`, same(v, b.urls[k]), { js: v, rs: b.urls[k] });
    }
    for (const [k, v] of Object.entries(a.getters)) check(`getter: ${k} on clerk-rs as on clerk-js`, same(v, b.getters[k]), { js: v, rs: b.getters[k] });
  }
  const skipHooks = only && only !== 'hooks';
  const control = skipHooks ? {} : await hookFlows('js');
  const ours = skipHooks ? {} : await hookFlows('rs');
  // The same steps give the same errors, statuses and fetch states on both.
  for (const flow of Object.keys(control)) {
    for (const step of Object.keys(control[flow])) {
      const a = control[flow][step], b = ours[flow]?.[step];
      const alike = !!b && ['error', 'fields', 'raw', 'global', 'fetchStatus', 'status'].every((k) => same(a[k], b[k]));
      check(`hooks: ${flow}.${step} on clerk-rs as on clerk-js`, alike, { js: a, rs: b });
      // A finding, reported and not counted: clerk-js 6.40's ClerkAPIResponseError has the code
      // `api_response_error` (the server's code is in `errors[0]`); clerk-rs's has the server's.
      if (a.topCode !== b?.topCode) console.log(`note hooks: ${flow}.${step}: the error's own code is ${a.topCode} on clerk-js, ${b?.topCode} on clerk-rs`);
    }
  }
} catch (e) {
  check('the run completed', false, String(e?.stack ?? e));
  for (const [name, s] of [['server', server], ['restricted', restricted], ['profile', profileSrv]]) {
    if (s.process.exitCode !== null || s.process.signalCode !== null) console.log(`note core3: the ${name} clerk-server exited (${s.process.exitCode ?? s.process.signalCode}); its log ends:\n${s.log().slice(-3000)}`);
  }
} finally {
  await browser.close();
  server.stop();
  restricted.stop();
  profileSrv.stop();
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
