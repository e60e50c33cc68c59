// The account and organization flows of tests/js/core3.mjs (issue 21), driven through the DOM of
// Clerk's prebuilt UI (@clerk/ui 1.36) as a person would, each run on one engine ('js': clerk-js
// 6.40, the control; 'rs': the release package) by the caller:
// - <UserProfile/>: change the first name (the Backend API sees it), add an email address and
//   verify it with the code from the dev outbox, enable TOTP (the "Authenticator application"
//   flow: the secret read from the "Can't scan QR code?" view), revoke another device's session
//   (the same user signed in from a second browser context);
// - <OrganizationSwitcher/> and its <CreateOrganization/>: create an organization, then switch to
//   the personal account and back to it; <CreateOrganization/> mounted on its own: a second one;
// - <OrganizationProfile/>: invite a member by email.
// Every step fails on a page error thrown out of the UI while it ran.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';

/** RFC 6238 (HMAC-SHA1, 30 s, 6 digits) over a base32 secret, `stepOffset` steps from now. */
export function totpCode(secret, stepOffset = 0) {
  const bits = [...secret.replace(/=+$/, '').toUpperCase()]
    .map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + stepOffset));
  const h = createHmac('sha1', key).update(counter).digest();
  return String((h.readUInt32BE(h[19] & 15) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/**
 * `t` is the caller's toolkit: { open, check, shows, typeCode, codeFor, outbox, apiSignIn, sleep,
 * bapi (a @clerk/backend client), artifacts, password }.
 * A step's check is `ok` only when no page error was thrown while it ran.
 */
function stepper(t, engine, errors) {
  let seen = 0;
  return (name, ok, detail) => {
    const fresh = errors.slice(seen);
    seen = errors.length;
    t.check(`[${engine}] ui: ${name}`, ok && fresh.length === 0, fresh.length ? { detail, pageErrors: fresh } : detail);
  };
}

const inUi = (page, selector) => page.locator(`[data-testid=ui] ${selector}`);
const waitFor = (page, fn, arg, timeout = 15000) => page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);

/** <UserProfile/> on `base` (an instance that verifies emails by code and offers TOTP). */
export async function userProfileFlows(t, base, engine) {
  const email = `profile-${engine}-${Date.now()}@example.com`;
  const user = await t.bapi.users.createUser({ emailAddress: [email], password: t.password, firstName: 'Pat', lastName: 'Profile' });
  // The other device first: its session is the one revoked from the profile.
  const other = await t.open(base, engine);
  const otherSession = await t.apiSignIn(other.page, email);
  const { page, errors, close } = await t.open(base, engine);
  const step = stepper(t, engine, errors);
  page.setDefaultTimeout(15000);
  try {
    await t.apiSignIn(page, email);
    await page.goto(`${base}/core3/index.html?engine=${engine}&ui=UserProfile`);
    await page.waitForFunction(() => window.clerk?.loaded && window.clerk.user, null, { timeout: 30000 });
    step('<UserProfile/> renders for the new user', await t.shows(page, '.cl-userProfile-root'));

    // The name.
    await inUi(page, '.cl-profileSectionPrimaryButton__profile').first().click();
    const nameField = inUi(page, 'input[name="firstName"]');
    await nameField.waitFor({ timeout: 15000 });
    await nameField.fill(`Renamed${engine}`);
    await inUi(page, '.cl-formButtonPrimary').first().click();
    const renamed = await waitFor(page, (n) => window.clerk.user?.firstName === n, `Renamed${engine}`);
    const backend = await t.bapi.users.getUser(user.id);
    step('<UserProfile/> changes the first name (clerk.user and the Backend API)', renamed && backend.firstName === `Renamed${engine}`, { renamed, backend: backend.firstName });

    // An email address, verified by the code sent to it.
    const added = `added-${engine}-${Date.now()}@example.com`;
    await inUi(page, '.cl-profileSectionPrimaryButton__emailAddresses').first().click();
    const emailField = inUi(page, 'input[name="emailAddress"]');
    await emailField.waitFor({ timeout: 15000 });
    await emailField.fill(added);
    await inUi(page, '.cl-formButtonPrimary').first().click();
    const code = await t.codeFor(base, added, 0).catch(() => null);
    if (code) await t.typeCode(page, code);
    const verified = !!code && (await waitFor(page, (e) => window.clerk.user?.emailAddresses.some((a) => a.emailAddress === e && a.verification?.status === 'verified'), added));
    step('<UserProfile/> adds an email address and verifies it with the emailed code', verified, verified || (await inUi(page, '').first().innerText().catch(() => '')).slice(0, 600));
    // The form closes on success; the address is listed.
    step('<UserProfile/> lists the verified address', await t.shows(page, `[data-testid=ui] .cl-profileSectionItem__emailAddresses:has-text("${added}")`));

    // TOTP through the "Authenticator application" flow.
    await inUi(page, '.cl-navbarButton__security').first().click();
    // "Add two-step verification" is a menu of the methods.
    await inUi(page, '.cl-profileSection__mfa button:has-text("Add two-step verification")').first().click();
    await page.locator('[role=menuitem]:has-text("Authenticator application"), button:has-text("Authenticator application")').first().click();
    await inUi(page, 'button:has-text("scan QR code?")').first().click();
    await t.shows(page, '[data-testid=ui] input[readonly]');
    const secret = await page.evaluate(() => [...document.querySelectorAll('[data-testid=ui] input')].map((i) => i.value).find((v) => /^[A-Z2-7]{16,}=*$/.test(v)) ?? null);
    step('<UserProfile/> shows the TOTP secret under "Can\'t scan QR code?"', typeof secret === 'string', secret);
    if (secret) {
      await inUi(page, '.cl-formButtonPrimary:has-text("Continue")').first().click();
      await t.typeCode(page, totpCode(secret));
      const enabled = await waitFor(page, () => window.clerk.user?.totpEnabled === true && window.clerk.user.twoFactorEnabled === true);
      const backendTotp = (await t.bapi.users.getUser(user.id)).totpEnabled;
      step('<UserProfile/> enables TOTP with the computed code (clerk.user and the Backend API)', enabled && backendTotp === true, { enabled, backendTotp });
      // The backup codes come next; "Finish" closes the flow and the section lists the app.
      const finish = inUi(page, '.cl-formButtonPrimary:has-text("Finish")').first();
      if (await finish.waitFor({ timeout: 10000 }).then(() => true, () => false)) await finish.click();
      step('<UserProfile/> lists the authenticator application', await t.shows(page, '[data-testid=ui] .cl-profileSectionItem__mfa:has-text("Authenticator application")'));
    }

    // The other device's session, signed out from "Active devices".
    const device = inUi(page, '.cl-activeDeviceListItem:not(.cl-activeDeviceListItem__current)').first();
    const listed = await device.waitFor({ timeout: 15000 }).then(() => true, () => false);
    step('<UserProfile/> lists the other device', listed);
    if (listed) {
      await device.locator('button').last().click();
      await page.locator('[role=menuitem]:has-text("Sign out of device"), button:has-text("Sign out of device")').first().click();
      const gone = await waitFor(page, async (id) => !(await window.clerk.user.getSessions()).some((s) => s.id === id), otherSession);
      const status = (await t.bapi.sessions.getSession(otherSession)).status;
      step('"Sign out of device" revokes the other device\'s session', gone && status === 'revoked', { gone, status });
      // A finding, the same on both engines: the row stays until the list is fetched again.
      // @clerk/ui re-renders on the client update, which clerk-js (and clerk-rs) emit before
      // `revoke()` writes the `revoked` status into the listed session; Security opened again lists
      // only this device.
      const hidden = await device.waitFor({ state: 'detached', timeout: 3000 }).then(() => true, () => false);
      if (!hidden) console.log(`note [${engine}] ui: the signed-out device stays in "Active devices" until the list is fetched again`);
      await inUi(page, '.cl-navbarButton__account').first().click();
      await t.shows(page, '[data-testid=ui] .cl-profileSection__profile');
      await inUi(page, '.cl-navbarButton__security').first().click();
      const onlyThis = await waitFor(page, () => document.querySelectorAll('[data-testid=ui] .cl-activeDeviceListItem').length === 1
        && document.querySelectorAll('[data-testid=ui] .cl-activeDeviceListItem__current').length === 1);
      step('"Active devices" then lists only this device', onlyThis);
      // The other device, loaded again, has no session.
      await other.page.reload();
      await other.page.waitForFunction(() => window.clerk?.loaded, null, { timeout: 30000 });
      const otherSignedOut = await other.page.evaluate(() => (window.clerk.session === null ? null : window.clerk.session?.status));
      step('the other device is signed out', otherSignedOut === null, otherSignedOut);
    }
    await page.locator('[data-testid=ui]').screenshot({ path: join(t.artifacts, `core3-userprofile-security-${engine}.png`) });
    step('no page error (<UserProfile/> flows)', true);
  } finally {
    await close();
    await other.close();
  }
}

/** <OrganizationSwitcher/> → <CreateOrganization/>, switching, and <OrganizationProfile/>'s invitation. */
export async function organizationFlows(t, base, engine) {
  const { page, errors, close } = await t.open(base, engine);
  const step = stepper(t, engine, errors);
  page.setDefaultTimeout(15000);
  try {
    await t.apiSignIn(page, 'bob@example.com');
    await page.goto(`${base}/core3/index.html?engine=${engine}&ui=OrganizationSwitcher`);
    await page.waitForFunction(() => window.clerk?.loaded && window.clerk.user, null, { timeout: 30000 });
    const trigger = inUi(page, '.cl-organizationSwitcherTrigger').first();
    step('<OrganizationSwitcher/> renders', await t.shows(page, '[data-testid=ui] .cl-organizationSwitcherTrigger'));
    await trigger.click();
    await page.locator('.cl-organizationSwitcherPopoverActionButton__createOrganization').first().click();
    const name = `UI Org ${engine} ${Date.now()}`;
    const nameField = page.locator('.cl-createOrganization-root input[name="name"], .cl-modalContent input[name="name"]').first();
    const form = await nameField.waitFor({ timeout: 15000 }).then(() => true, () => false);
    step('"Create organization" opens <CreateOrganization/>', form);
    await nameField.fill(name);
    await page.locator('.cl-modalContent .cl-formButtonPrimary, .cl-createOrganization-root .cl-formButtonPrimary').first().click();
    const active = await waitFor(page, (n) => window.clerk.organization?.name === n, name);
    const created = await page.evaluate(() => ({ id: window.clerk.organization?.id ?? null, slug: window.clerk.organization?.slug ?? null }));
    step('<CreateOrganization/> creates the organization and makes it active', active && typeof created.id === 'string' && created.id.startsWith('org_'), created);
    // The invitation screen follows; skipped.
    const skip = page.locator('.cl-modalContent .cl-formButtonReset').first();
    if (await skip.waitFor({ timeout: 5000 }).then(() => true, () => false)) await skip.click();
    await page.locator('.cl-modalContent').first().waitFor({ state: 'detached', timeout: 10000 }).catch(() => null);
    step('the switcher names the new organization', await t.shows(page, `[data-testid=ui] .cl-organizationSwitcherTrigger:has-text("${name}")`));
    // Switching: to the personal account, then back to the organization.
    await trigger.click();
    await page.locator('.cl-organizationSwitcherPreviewButton:has-text("Personal account"), .cl-organizationSwitcherPopoverActionButton:has-text("Personal account")').first().click();
    const personal = await waitFor(page, () => window.clerk.organization === null);
    step('switching to the personal account from the switcher', personal);
    await trigger.click();
    await page.locator(`.cl-organizationSwitcherPreviewButton:has-text("${name}")`).first().click();
    const back = await waitFor(page, (id) => window.clerk.organization?.id === id, created.id);
    step('switching back to the new organization (clerk.organization.id names it)', back, await page.evaluate(() => window.clerk.organization?.id ?? null));

    // <OrganizationProfile/>: invite a member by email.
    await page.goto(`${base}/core3/index.html?engine=${engine}&ui=OrganizationProfile`);
    await page.waitForFunction(() => window.clerk?.loaded && window.clerk.organization, null, { timeout: 30000 });
    step('<OrganizationProfile/> renders for the active organization', await t.shows(page, '[data-testid=ui] .cl-organizationProfile-root'));
    await inUi(page, '.cl-navbarButton__members').first().click();
    const invite = inUi(page, 'button:has-text("Invite")').first();
    await invite.click();
    const invitee = `invitee-${engine}-${Date.now()}@example.com`;
    const tagInput = inUi(page, '.cl-tagInputContainer input').first();
    await tagInput.waitFor({ timeout: 15000 });
    await tagInput.fill(invitee);
    await page.keyboard.press('Enter');
    const send = inUi(page, '.cl-formButtonPrimary').first();
    // Without a default role the role is picked from the select.
    if (await send.isDisabled()) {
      await inUi(page, '.cl-selectButton').first().click();
      await page.locator('.cl-selectOption:has-text("Member"), [role=option]:has-text("Member")').first().click();
    }
    await send.click();
    const listed = await waitFor(page, async (e) => (await window.clerk.organization.getInvitations()).data.some((i) => i.emailAddress === e && i.status === 'pending'), invitee);
    const mailed = (await t.outbox(base, invitee)).emails.length;
    step('<OrganizationProfile/> invites a member (getInvitations() lists it, the outbox has the email)', listed && mailed > 0, { listed, mailed });

    // <CreateOrganization/> mounted on its own: a second organization, made active.
    await page.goto(`${base}/core3/index.html?engine=${engine}&ui=CreateOrganization`);
    await page.waitForFunction(() => window.clerk?.loaded && window.clerk.user, null, { timeout: 30000 });
    const second = `UI Org 2 ${engine} ${Date.now()}`;
    const field = inUi(page, '.cl-createOrganization-root input[name="name"]').first();
    step('<CreateOrganization/> renders its form', await field.waitFor({ timeout: 15000 }).then(() => true, () => false));
    await field.fill(second);
    await inUi(page, '.cl-createOrganization-root .cl-formButtonPrimary').first().click();
    const made = await waitFor(page, (n) => window.clerk.organization?.name === n, second);
    const ids = await page.evaluate(async () => (await window.clerk.user.getOrganizationMemberships()).data.map((m) => m.organization.id));
    step('<CreateOrganization/> creates a second organization and makes it active', made && ids.length >= 2 && ids.includes(created.id), { made, ids });
    step('no page error (organization flows)', true);
  } finally {
    await close();
  }
}
