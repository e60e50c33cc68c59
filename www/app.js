// The clerk-rs demo: plain ES modules, no framework, no build step.
// Everything the page shows comes from the library: the listener's resources, clerk.client and
// the session token. Development helpers (reading the email outbox, the seeded TOTP secret) are
// in dev.js and only used by the "dev: …" buttons.
import { Clerk } from '/pkg/index.js';
import { devEmailCode, devTotpCode } from './dev.js';

const $ = (sel, root = document) => root.querySelector(sel);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const clerk = await start();
let adding = false;          // showing the sign-in card to add another account
let flow = null;             // the code step: { kind: 'sign-in-code' | 'totp' | 'sign-up', email }
const started = performance.now();
let events = 0;               // listener emissions seen
let shown = { jwt: null, claims: null, refreshes: 0 }; // the token on screen
let ticking = false;

async function start() {
  try {
    const info = await (await fetch('/__dev/instance')).json();
    const clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
    window.clerk = clerk; // handy in the devtools console
    return clerk;
  } catch (err) {
    fatal(err);
    throw err;
  }
}

function fatal(err) {
  const el = $('#fatal');
  el.textContent = `Could not start: ${describe(err)}`;
  el.hidden = false;
}

/** `longMessage || message (code)`: how every error is shown. */
function describe(err) {
  const text = err?.longMessage || err?.message || String(err);
  return err?.code ? `${text} (${err.code})` : text;
}

// ---------------------------------------------------------------- listener and rendering

clerk.addListener((resources) => {
  logEvent(resources);
  render(resources);
});
try {
  await clerk.load();
} catch (err) {
  fatal(err);
}

function render(r = { session: clerk.session, user: clerk.user, organization: clerk.organization }) {
  const loading = !clerk.loaded;
  const switching = clerk.loaded && r.session === undefined;
  const session = r.session;
  const signedIn = clerk.client?.signedInSessions?.length > 0;

  $('#status').textContent = loading ? 'Loading…'
    : switching ? 'Switching…'
    : session ? `Signed in as ${email(session)}`
    : signedIn ? 'No active session' : 'Signed out';
  $('#status').dataset.state = loading ? 'loading' : switching ? 'switching' : session ? 'signed-in' : 'signed-out';
  if (switching) return; // keep the last picture until the new session is set
  $('#sign-out-all').hidden = !signedIn;

  if (!signedIn) adding = false;
  $('#auth').hidden = loading || (signedIn && !adding);
  $('#auth-title').textContent = signedIn ? 'Add another account' : 'Sign in';
  $('#cancel-add').hidden = !signedIn;

  $('#sessions').hidden = loading || !signedIn;
  $('#account').hidden = !session;
  $('#token').hidden = !session;

  renderSessions(session);
  if (session) renderAccount(session, r.user, r.organization);
  tick();
}

function email(session) {
  return session.user?.primaryEmailAddress?.emailAddress ?? session.publicUserData?.identifier ?? session.id;
}

function renderSessions(active) {
  const sessions = clerk.client?.sessions ?? [];
  $('#session-list').innerHTML = sessions.map((s) => {
    const current = s.id === active?.id;
    const live = s.status === 'active' || s.status === 'pending';
    return `<li data-session-id="${esc(s.id)}" class="${current ? 'current' : ''}">
      <span class="avatar">${esc(email(s)[0]?.toUpperCase())}</span>
      <span class="grow"><b class="who">${esc(email(s))}</b><br><small class="muted mono">${esc(s.id)}</small></span>
      <span class="badge ${esc(s.status)}">${current ? 'current' : esc(s.status)}</span>
      ${live && !current ? `<button class="small" data-action="switch-session">Switch</button>` : ''}
      ${live ? `<button class="small ghost" data-action="sign-out-session">Sign out</button>` : ''}
    </li>`;
  }).join('') || '<li class="muted">No sessions.</li>';
}

function renderAccount(session, user, organization) {
  $('#who').innerHTML = `<div class="who-row">
    <span class="avatar big">${esc(email(session)[0]?.toUpperCase())}</span>
    <span>${user?.fullName ? `<b>${esc(user.fullName)}</b><br>` : ''}<span class="muted">${esc(email(session))}</span></span>
  </div>`;
  const memberships = user?.organizationMemberships ?? [];
  const activeOrg = organization?.id ?? null;
  const option = (id, name, role) => `<li>
    <button class="org ${id === activeOrg ? 'active' : ''}" data-action="switch-org" data-org-id="${esc(id ?? '')}" aria-pressed="${id === activeOrg}">
      <span class="grow">${esc(name)}</span><small class="muted">${esc(role)}</small>
    </button></li>`;
  $('#org-list').innerHTML = option(null, 'Personal account', '')
    + memberships.map((m) => option(m.organization.id, m.organization.name, m.role)).join('');
}

function logEvent(r) {
  const show = (v, f) => (v === undefined ? '<i class="undef">undefined</i>' : v === null ? '<i>null</i>' : esc(f(v)));
  const t = ((performance.now() - started) / 1000).toFixed(2);
  const li = document.createElement('li');
  li.innerHTML = `<span class="muted mono">#${++events} +${t}s</span>
    session: ${show(r.session, (s) => `${s.id} (${s.status})`)} ·
    user: ${show(r.user, (u) => u.primaryEmailAddress?.emailAddress ?? u.id)} ·
    org: ${show(r.organization, (o) => o.slug ?? o.id)} ·
    sessions: ${r.client ? r.client.sessions.length : '<i class="undef">undefined</i>'}`;
  if (r.session === undefined) {
    li.classList.add('step');
    li.insertAdjacentHTML('beforeend', ` <small class="muted">— ${r.client ? 'setActive in progress' : 'before load'}</small>`);
  }
  const log = $('#event-log');
  log.prepend(li);
  while (log.children.length > 200) log.lastChild.remove();
}

// ---------------------------------------------------------------- the session token

/** Shows the current token; `getToken()` is a cache hit except when the library must mint one. */
async function tick() {
  const session = clerk.session;
  if (!session || ticking) return updateCountdown();
  ticking = true;
  try {
    const jwt = await session.getToken();
    if (jwt && jwt !== shown.jwt) showToken(jwt);
    setError('#token', null);
  } catch (err) {
    setError('#token', err);
  } finally {
    ticking = false;
  }
  updateCountdown();
}

function showToken(jwt) {
  const claims = decode(jwt);
  const same = shown.claims?.sid === claims.sid && shown.claims?.o?.id === claims.o?.id;
  shown = { jwt, claims, refreshes: same ? shown.refreshes + 1 : 0, at: new Date() };
  const time = (s) => new Date(s * 1000).toLocaleTimeString();
  // One claim per line, values compact: easier to read than a fully indented tree.
  const lines = Object.entries(claims).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  $('#token-claims').textContent = `{\n${lines.join(',\n')}\n}\n\n// iat ${time(claims.iat)} · exp ${time(claims.exp)}`;
  $('#token-raw').textContent = jwt;
}

function updateCountdown() {
  const { claims } = shown;
  if (!claims || !clerk.session) return;
  const left = Math.max(0, claims.exp - Date.now() / 1000);
  const life = Math.max(1, claims.exp - claims.iat);
  $('#token-meter').style.width = `${(100 * left) / life}%`;
  $('#token-countdown').textContent = `Expires in ${Math.ceil(left)} s (lifetime ${life} s) — the library refreshes it ahead of expiry.`
    + (shown.refreshes ? ` New token ${shown.refreshes}× so far (last at ${shown.at.toLocaleTimeString()}).` : '');
}

function decode(jwt) {
  try {
    const b64 = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

setInterval(tick, 1000);

// ---------------------------------------------------------------- sign in / sign up

function showForm(name) {
  for (const f of document.querySelectorAll('#auth form')) f.hidden = f.dataset.form !== name;
  for (const t of document.querySelectorAll('#auth [role=tab]')) t.setAttribute('aria-selected', t.dataset.tab === name);
  $('#auth .tabs').hidden = name === 'code';
  $('#demo-hint').hidden = name === 'code';
}

function askCode(kind, email) {
  flow = { kind, email };
  const prompts = {
    'sign-in-code': [`We sent a code to ${email}.`, 'Email code'],
    'sign-up': [`Verify ${email}: we sent it a code.`, 'Email code'],
    totp: [`${email} has two-step verification.`, 'Authenticator (TOTP) code'],
  };
  $('#code-prompt').textContent = prompts[kind][0];
  $('#code-label').textContent = prompts[kind][1];
  $('#code-hint').innerHTML = kind === 'totp'
    ? 'The seeded alice uses TOTP secret <code>JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP</code> (e.g. <code>oathtool --totp -b …</code>).'
    : 'No real email is sent: clerk-server prints the code in its terminal, and <code>/__dev/emails?to=…</code> lists it.';
  $('.dev[data-action=dev-fill-code]').textContent = kind === 'totp' ? 'dev: fill TOTP code' : 'dev: fill code from outbox';
  $('#code-form').reset();
  showForm('code');
  $('#code-form [name=code]').focus();
}

function resetAuth() {
  flow = null;
  for (const f of document.querySelectorAll('#auth form')) f.reset();
  showForm('sign-in');
}

async function finish(attempt) {
  if (attempt.status === 'needs_second_factor') return askCode('totp', attempt.identifier ?? flow?.email);
  if (attempt.status !== 'complete') throw new Error(`Unexpected status ${attempt.status}`);
  await clerk.setActive({ session: attempt.createdSessionId });
  adding = false;
  resetAuth();
  render();
}

const forms = {
  async 'sign-in'(data) {
    flow = { kind: 'password', email: data.email };
    await clerk.client.signIn.create({ identifier: data.email });
    await finish(await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: data.password }));
  },
  async 'sign-up'(data) {
    await clerk.client.signUp.create({ emailAddress: data.email, password: data.password });
    await clerk.client.signUp.prepareEmailAddressVerification({ strategy: 'email_code' });
    askCode('sign-up', data.email);
  },
  async code({ code }) {
    if (flow.kind === 'sign-up') {
      const signUp = await clerk.client.signUp.attemptEmailAddressVerification({ code });
      return finish(signUp);
    }
    const signIn = clerk.client.signIn;
    await finish(flow.kind === 'totp'
      ? await signIn.attemptSecondFactor({ strategy: 'totp', code })
      : await signIn.attemptFirstFactor({ strategy: 'email_code', code }));
  },
};

// ---------------------------------------------------------------- actions

const actions = {
  tab: (btn) => showForm(btn.dataset.tab),
  restart: () => resetAuth(),
  'add-account': () => { adding = true; resetAuth(); render(); $('#sign-in-form [name=email]').focus(); },
  'cancel-add': () => { adding = false; render(); },
  async 'sign-in-email-code'() {
    const email = $('#sign-in-form [name=email]').value.trim();
    if (!email) throw new Error('Enter your email address first');
    const signIn = await clerk.client.signIn.create({ identifier: email });
    const factor = signIn.supportedFirstFactors?.find((f) => f.strategy === 'email_code');
    if (!factor) throw new Error('Email codes are not available for this account');
    await clerk.client.signIn.prepareFirstFactor({ strategy: 'email_code', emailAddressId: factor.emailAddressId });
    askCode('sign-in-code', email);
  },
  async 'dev-fill-code'() {
    const code = flow.kind === 'totp' ? await devTotpCode() : await devEmailCode(flow.email);
    $('#code-form [name=code]').value = code;
  },
  'switch-session': (btn) => clerk.setActive({ session: btn.closest('li').dataset.sessionId }),
  // The demo is one page: a callback keeps it here (without one, signing the current session out
  // goes to afterSignOutUrl or /, as with clerk-js).
  'sign-out-session': (btn) => clerk.signOut(() => {}, { sessionId: btn.closest('li').dataset.sessionId }),
  'sign-out-current': () => clerk.session.end(),
  'sign-out-all': () => clerk.signOut(() => {}),
  'switch-org': (btn) => clerk.setActive({ organization: btn.dataset.orgId || null }),
  async 'refresh-token'() { showToken(await clerk.session.getToken({ skipCache: true })); updateCountdown(); },
  'clear-log': () => { $('#event-log').innerHTML = ''; },
};

/** Runs a handler with the card's buttons disabled, showing any error inside the card. */
async function run(card, fn) {
  const buttons = [...card.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  setError(card, null);
  try {
    await fn();
  } catch (err) {
    console.error(err);
    setError(card, err);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function setError(card, err) {
  const el = (typeof card === 'string' ? $(card) : card).querySelector('.error');
  if (!el) return;
  el.hidden = !err;
  el.textContent = err ? describe(err) : '';
}

document.addEventListener('click', (e) => {
  const btn = e.target.closest('button[data-action]');
  if (!btn || !actions[btn.dataset.action]) return;
  e.preventDefault();
  run(btn.closest('.card') ?? document.body, () => actions[btn.dataset.action](btn));
});

document.addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.target;
  const data = Object.fromEntries(new FormData(form));
  run(form.closest('.card'), () => forms[form.dataset.form](data));
});

render();
