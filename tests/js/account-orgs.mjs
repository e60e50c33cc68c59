// Issue 20's organization flows in headless Chromium against clerk-server, through a library's
// public clerk-js API only: `--lib=clerk-js` (the real @clerk/clerk-js 6.40), `--lib=clerk-rs`
// (the release package, pkg/), or by default both, one after the other, each against its own
// fresh server and in fresh browser contexts (one per user), and then their results compared
// strictly. The in-page steps are one module (account/org-steps.js) that both libraries run.
// The server's view is checked through @clerk/backend. Last line: `account-orgs: N passed, M
// failed`; exits non-zero on a failure.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createClerkClient } from '@clerk/backend';
import { CHROMIUM_ARGS } from './browser.mjs';
import { startClerkServer } from './server.mjs';

const NAME = 'account-orgs';
const root = new URL('../../', import.meta.url).pathname;
const here = new URL('./', import.meta.url).pathname;
const PASSWORD = 'demo-password-1';
const U = { $undefined: true };
const DATE = { $date: true };

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

/** Deep, strict equality of two tagged values (org-steps.js's `tag`): never via JSON text. */
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}
const same = (name, actual, expected) => check(name, deepEqual(actual, expected), { actual, expected });

/** A refused call as org-steps.js pictures it. */
const refused = (code, status, paramName = U) => ({ refused: true, error: { code, status, paramName, isApiError: true } });
const MEMBER_PERMISSIONS = ['org:sys_memberships:read', 'org:sys_profile:read'];
const ADMIN_PERMISSIONS = ['org:sys_profile:manage', 'org:sys_profile:delete', 'org:sys_memberships:read', 'org:sys_memberships:manage', 'org:sys_domains:read', 'org:sys_domains:manage'];

const libArg = process.argv.find((a) => a.startsWith('--lib='))?.slice('--lib='.length);
const LIBS = libArg ? [libArg] : ['clerk-js', 'clerk-rs'];
if (!LIBS.every((l) => l === 'clerk-js' || l === 'clerk-rs')) {
  console.log(`--lib: clerk-js or clerk-rs, not ${libArg}`);
  process.exit(2);
}

/** The site both libraries' pages are served from: clerk-js's dist, pkg/ when clerk-rs runs, the steps. */
function prepareSite() {
  if (LIBS.includes('clerk-rs') && !existsSync(join(root, 'pkg/index.js'))) {
    console.log(`FAIL ${NAME}: pkg/ is missing — run .ci/build-package first (or --lib=clerk-js)`);
    console.log(`${NAME}: 0 passed, 1 failed`);
    process.exit(1);
  }
  execFileSync('cargo', ['build', '-q', '-p', 'clerk-server'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), `clerk-rs-${NAME}-`));
  const site = join(dir, 'site');
  mkdirSync(join(site, 'account'), { recursive: true });
  symlinkSync(join(root, 'server/tests/js/node_modules/@clerk/clerk-js/dist'), join(site, 'clerk'));
  copyFileSync(join(here, 'account/org-steps.js'), join(site, 'account/org-steps.js'));
  if (LIBS.includes('clerk-rs')) cpSync(join(root, 'pkg'), join(site, 'pkg'), { recursive: true });
  return { dir, site };
}

/** The page of `lib`: loads it, then exposes the steps (`window.__orgs`) and the loaded `window.__clerk`. */
function pageHtml(lib, pk, base) {
  const load = lib === 'clerk-js'
    ? `await new Promise((resolve, reject) => {
         const s = document.createElement('script');
         s.src = '/clerk/clerk.browser.js';
         s.dataset.clerkPublishableKey = ${JSON.stringify(pk)};
         s.dataset.clerkProxyUrl = ${JSON.stringify(base)};
         s.onload = resolve; s.onerror = reject;
         document.head.appendChild(s);
       });
       const clerk = window.Clerk;
       await clerk.load({ telemetry: false });`
    : `const { Clerk } = await import('/pkg/index.js');
       const clerk = new Clerk(${JSON.stringify(pk)}, { proxyUrl: ${JSON.stringify(base)} });
       await clerk.load();`;
  return `<!doctype html><html><body><script type="module">
    try {
      ${load}
      window.__orgs = await import('/account/org-steps.js');
      window.__clerk = clerk;
      window.__ready = { ok: true };
    } catch (e) {
      window.__ready = { ok: false, error: String(e && e.stack || e) };
    }
  </script></body></html>`;
}

/** One library's run: its own server, a browser context per user, the steps in order. */
async function runLib(lib, site, dir) {
  const results = [];
  const server = await startClerkServer({ db: join(dir, `${lib}.db`), www: site });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
    for (let i = 0; i < 100 && !/secret key:\s+sk_/.test(server.log()); i++) await new Promise((r) => setTimeout(r, 50));
    const secretKey = server.log().match(/secret key:\s+(sk_\S+)/)[1];
    const backend = createClerkClient({ secretKey, apiUrl: server.base });
    const info = await (await fetch(`${server.base}/__dev/instance`)).json();
    writeFileSync(join(site, `${lib}.html`), pageHtml(lib, info.publishable_key, server.base));

    const ids = {};
    for (const [who, email] of [['carol', 'carol@example.com'], ['dave', 'dave@example.com'], ['erin', 'erin@initech.com']]) {
      const u = await backend.users.createUser({ emailAddress: [email], password: PASSWORD });
      ids[who] = u.id;
    }
    const pages = {};
    const open = async (who) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`[${lib} ${who}] pageerror`, e.message));
      await page.goto(`${server.base}/${lib}.html`);
      const ready = await page.waitForFunction(() => window.__ready, null, { timeout: 60000 }).then((h) => h.jsonValue());
      if (!ready.ok) throw new Error(`${lib} did not load for ${who}: ${ready.error}`);
      pages[who] = page;
    };
    /** Runs `step` on `who`'s page; records its comparable result and returns it with its ids. */
    const run = async (who, step, args = {}) => {
      const out = await pages[who].evaluate(async ([step, args]) => {
        const done = await window.__orgs.steps[step](window.__clerk, args);
        return { r: window.__orgs.tag(done.r), ids: done.ids };
      }, [step, args]);
      results.push({ who, step, r: out.r });
      return out;
    };
    const t = (name) => `${lib}: ${name}`;

    for (const who of ['carol', 'dave', 'erin']) {
      await open(who);
      const { r } = await run(who, 'signIn', { email: who === 'erin' ? 'erin@initech.com' : `${who}@example.com`, password: PASSWORD });
      same(t(`${who} signs in`), r, { status: 'complete', signedIn: true });
    }

    // Creating, with the refusals first.
    const created = await run('carol', 'create');
    const orgId = created.ids.orgId;
    const c = created.r;
    same(t('createOrganization refuses an empty name'), c.refused.noName, refused('form_param_missing', 422, 'name'));
    same(t('… a name over 256 characters'), c.refused.longName, refused('form_param_max_length_exceeded', 422, 'name'));
    same(t('… a malformed slug'), c.refused.badSlug, refused('form_param_format_invalid', 422, 'slug'));
    same(t('… a taken slug'), c.refused.takenSlug, refused('form_identifier_exists', 422, 'slug'));
    same(t('the created organization'), c.created, {
      id: 'org1', name: 'Initech', slug: 'initech', membersCount: 1, pendingInvitationsCount: 0, hasImage: false, imageUrl: '',
      adminDeleteEnabled: true, maxAllowedMemberships: 0, publicMetadata: {}, createdAt: DATE, updatedAt: DATE,
    });
    same(t('getOrganization reads it back'), c.fetched, c.created);
    same(t('setActive({organization}): active, and in the token as admin'), [c.active, c.token], ['org1', { org: 'org1', role: 'admin' }]);
    same(t('the creator is org:admin'), c.memberships.map((m) => [m.role, m.org, m.permissions]), [['org:admin', 'org1', ADMIN_PERMISSIONS]]);
    same(t('checkAuthorization: the admin may do everything'), c.can, { manageMembers: true, readMembers: true, manageProfile: true, admin: true });
    const fromBackend = await backend.organizations.getOrganization({ organizationId: orgId });
    same(t('@clerk/backend sees it, created by carol'), [fromBackend.slug, fromBackend.createdBy, fromBackend.membersCount], ['initech', ids.carol, 1]);

    // Profile.
    const p = (await run('carol', 'profile', { orgId })).r;
    same(t('update({name, slug})'), [p.renamed.name, p.renamed.slug], ['Initrode', 'initrode']);
    same(t('update to a taken slug is refused'), p.badRename, refused('form_identifier_exists', 422, 'slug'));
    same(t('setLogo(File): served by clerk-server'), [p.withLogo.hasImage, p.withLogo.imageUrl, p.logo], [true, 'served', { status: 200, type: 'image/png' }]);
    same(t('setLogo with no image is refused'), p.notImage, refused('form_param_format_invalid', 422, 'file'));
    same(t('setLogo({file: null}) removes it'), [p.noLogo.hasImage, p.noLogo.imageUrl], [false, '']);
    same(t('getRoles(): the two roles and their permissions'), p.roles, {
      total: 2, data: [{ key: 'org:admin', name: 'Admin', permissions: ADMIN_PERMISSIONS }, { key: 'org:member', name: 'Member', permissions: MEMBER_PERMISSIONS }],
    });

    // Members.
    const m = (await run('carol', 'members', { orgId, daveId: ids.dave, selfId: ids.carol })).r;
    same(t('addMember'), [m.added.role, m.added.roleName, m.added.permissions, m.added.identifier, m.added.createdAt], ['org:member', 'Member', MEMBER_PERMISSIONS, 'dave@example.com', DATE]);
    same(t('addMember of a member'), m.again, refused('already_a_member_in_organization', 400, 'user_id'));
    same(t('addMember with an unknown role'), m.badRole, refused('form_param_value_invalid', 422, 'role'));
    same(t('addMember of no one'), m.noUser, refused('resource_not_found', 404, 'user_id'));
    same(t('getMemberships({role}) and ({query})'), [m.onlyMembers.total, m.onlyMembers.data[0]?.identifier, m.byQuery.total, m.byQuery.data[0]?.identifier], [1, 'dave@example.com', 1, 'dave@example.com']);
    same(t('getMemberships(): both, oldest first'), m.all.data.map((x) => [x.identifier, x.role]), [['carol@example.com', 'org:admin'], ['dave@example.com', 'org:member']]);
    same(t('updateMember and membership.update'), [m.promoted.role, m.demoted.role], ['org:admin', 'org:member']);
    const last = refused('organization_minimum_permissions_needed', 403);
    same(t('the last admin can be neither demoted, removed, nor leave'), [m.lastAdmin, m.lastAdminRemoved, m.lastAdminLeaves], [last, last, last]);
    const list = await backend.organizations.getOrganizationMembershipList({ organizationId: orgId });
    same(t('@clerk/backend lists the new member'), list.data.map((x) => [x.publicUserData?.userId, x.role]).sort(), [[ids.carol, 'org:admin'], [ids.dave, 'org:member']].sort());

    // A member's view.
    const d = (await run('dave', 'asMember', { orgId })).r;
    same(t('a member: active organization and token'), [d.active, d.token], ['org1', { org: 'org1', role: 'member' }]);
    same(t('a member: checkAuthorization agrees with the server'), d.can, { manageMembers: false, readMembers: true, manageProfile: false, admin: false });
    same(t('a member reads the members'), d.members.total, 2);
    const denied = refused('authorization_invalid', 403);
    same(t('… but may not list invitations, rename, invite, read domains or delete'), [d.invitations, d.rename, d.invite, d.domains, d.destroy], [denied, denied, denied, denied, denied]);

    // Invitations.
    const i = (await run('carol', 'invite', { orgId })).r;
    same(t('inviteMember'), i.one, { emailAddress: 'erin@initech.com', role: 'org:member', roleName: 'Member', status: 'pending', org: 'org1', publicMetadata: {} });
    same(t('inviteMembers'), i.many.map((x) => [x.emailAddress, x.role, x.status]), [['x1@example.com', 'org:admin', 'pending'], ['x2@example.com', 'org:admin', 'pending']]);
    same(t('a second invitation to one address'), i.duplicate, refused('duplicate_record', 400));
    same(t('an invitation to a member'), i.member, refused('already_a_member_in_organization', 400, 'email_address'));
    same(t('an invitation to no address'), i.badEmail, refused('form_param_format_invalid', 422, 'email_address'));
    same(t('getInvitations({status: pending})'), i.pending.total, 3);
    same(t('invitation.revoke(), once'), [i.revoked.status, i.revokedAgain], ['revoked', refused('organization_invitation_not_pending', 400)]);
    same(t('getInvitations({status: revoked})'), i.byStatus.data.map((x) => x.emailAddress), ['x2@example.com']);
    same(t('pendingInvitationsCount'), i.org.pendingInvitationsCount, 2);
    const mail = await (await fetch(`${server.base}/__dev/emails?to=erin@initech.com`)).json();
    same(t('the invitation email is in the outbox'), mail.emails.map((e) => e.subject), ["You're invited to join Initrode"]);

    // The invited user.
    const e = (await run('erin', 'acceptInvitation')).r;
    same(t('user.getOrganizationInvitations()'), e.listed, { total: 1, data: [{ emailAddress: 'erin@initech.com', role: 'org:member', status: 'pending', org: { id: 'org1', name: 'Initrode', slug: 'initrode', hasImage: false } }] });
    same(t('invitation.accept(), once'), [e.accepted.status, e.again], ['accepted', refused('organization_invitation_not_pending', 400)]);
    same(t('accepting made the membership'), e.memberships.map((x) => x.role), ['org:member']);
    same(t('user.leaveOrganization()'), [e.left, e.after], [{ object: 'organization_membership', deleted: true }, 0]);

    // Domains.
    const dm = await run('carol', 'domain', { orgId });
    const dr = dm.r;
    same(t('createDomain refuses a common and a malformed name'), [dr.common, dr.malformed], [refused('organization_domain_common', 400, 'name'), refused('form_param_format_invalid', 422, 'name')]);
    same(t('createDomain'), dr.created, { name: 'initech.com', org: 'org1', enrollmentMode: 'manual_invitation', affiliationEmailAddress: null, verification: null, totalPendingInvitations: 0, totalPendingSuggestions: 0 });
    same(t('a taken domain'), dr.taken, refused('form_identifier_exists', 422, 'name'));
    same(t('automatic modes need a verified domain'), dr.tooEarly, refused('organization_domain_not_verified', 400, 'enrollment_mode'));
    same(t('the affiliation address must be at the domain'), dr.elsewhere, refused('form_param_format_invalid', 422, 'affiliation_email_address'));
    same(t('prepareAffiliationVerification'), [dr.prepared.affiliationEmailAddress, dr.prepared.verification], ['carol@initech.com', { status: 'unverified', strategy: 'email_code', attempts: 0, expiresAt: DATE }]);
    const code = (await (await fetch(`${server.base}/__dev/emails?to=carol@initech.com`)).json()).latest_code;
    const v = (await run('carol', 'verifyDomain', { orgId, domainId: dm.ids.domainId, code, wrongCode: code === '000000' ? '111111' : '000000' })).r;
    same(t('a wrong code'), v.wrong, refused('form_code_incorrect', 422, 'code'));
    same(t('attemptAffiliationVerification with the emailed code'), [v.verified.verification.status, v.verified.verification.attempts], ['verified', 2]);
    same(t('updateEnrollmentMode and the getDomains filter'), [v.mode.enrollmentMode, v.filtered.total, v.none.total], ['automatic_suggestion', 1, 0]);

    // The suggestion, the request.
    const s = (await run('erin', 'acceptSuggestion')).r;
    same(t('getOrganizationSuggestions()'), [s.pending.total, s.pending.data[0]?.status, s.pending.data[0]?.org?.name, s.pending.data[0]?.createdAt], [1, 'pending', 'Initrode', DATE]);
    same(t('suggestion.accept(), once; not a member yet'), [s.accepted.status, s.again, s.member], ['accepted', refused('organization_suggestion_already_accepted', 400), refused('resource_not_found', 404)]);
    const q = (await run('carol', 'requestsAndCleanup', { orgId, daveId: ids.dave, domainId: dm.ids.domainId })).r;
    same(t('getMembershipRequests({status: pending})'), [q.pending.total, q.pending.data[0]?.identifier, q.pending.data[0]?.status], [1, 'erin@initech.com', 'pending']);
    same(t('request.accept(), then reject() is refused'), [q.accepted.status, q.rejectAfter], ['accepted', refused('organization_membership_request_not_pending', 400)]);
    same(t('the requester is a member'), q.afterAccept.data.map((x) => x.identifier).includes('erin@initech.com'), true);
    same(t('removeMember and membership.destroy()'), [q.removed.identifier, q.membersCount], ['dave@example.com', 1]);
    same(t('domain.delete()'), q.domainsAfter.total, 0);

    // Deleting.
    const x = (await run('carol', 'destroy', { orgId })).r;
    same(t('organization.destroy(): gone for the user'), [x.gone, x.memberships], [refused('resource_not_found', 404), 0]);
    const gone = await backend.organizations.getOrganization({ organizationId: orgId }).then(() => 200, (err) => err.status);
    same(t('@clerk/backend: the organization is gone'), gone, 404);
  } catch (err) {
    check(`${lib}: the run`, false, String(err?.stack ?? err));
  } finally {
    await browser.close();
    server.stop();
  }
  return results;
}

const { dir, site } = prepareSite();
const runs = {};
for (const lib of LIBS) runs[lib] = await runLib(lib, site, dir);
if (LIBS.length === 2) {
  const [a, b] = [runs['clerk-js'], runs['clerk-rs']];
  check('both libraries ran the same steps', deepEqual(a.map((s) => s.step), b.map((s) => s.step)), { clerkJs: a.map((s) => s.step), clerkRs: b.map((s) => s.step) });
  for (let n = 0; n < Math.min(a.length, b.length); n++) {
    same(`clerk-rs agrees with clerk-js: ${a[n].who} ${a[n].step}`, b[n].r, a[n].r);
  }
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
