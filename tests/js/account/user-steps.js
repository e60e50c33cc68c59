// The user-account flows of issue 20, run in the page through a library's public clerk-js API
// only (`account-user.mjs` loads clerk-js or clerk-rs and imports this module, so that the very
// same steps run on both). `run(clerk, env)` signs the user in, walks every account page of
// clerk-js's `User` (profile, metadata, email addresses, phone numbers, password, TOTP, devices,
// connected accounts, passkeys, profile image, deletion), tries each bad input, and returns what
// the library showed: values that are the same on every run (no ids or timestamps), so that two
// libraries' results compare strictly.
//
// `env`: { email, password, otherSessionId, hooks } where `hooks` are node-side checks
// the page calls (exposed by the script): `bapiUser()` (@clerk/backend's getUser), `bapiMint(id)`
// (@clerk/backend's sessions.getToken, refused or not), `signInStatus(identifier, password)` (a
// fresh client's password sign-in: its status or error code). Codes come from the development outboxes, as a user reads their mail.

const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));

/** A Clerk error as a user of the library sees it. */
async function refusal(fn) {
  try {
    await fn();
    return { refused: false };
  } catch (e) {
    const first = e?.errors?.[0];
    return { refused: true, status: e?.status, code: first?.code, paramName: first?.meta?.paramName, isClerkError: e?.clerkError === true };
  }
}

const wrong = (code) => (code[0] === '0' ? '1' : '0') + code.slice(1);

async function outbox(kind, to, key) {
  for (let i = 0; i < 50; i++) {
    const r = await (await fetch(`/__dev/${kind}?to=${encodeURIComponent(to)}`)).json();
    if (r[key]) return r[key];
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`nothing sent to ${to}`);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s), with WebCrypto: what an authenticator app shows. */
async function totpCode(secret, stepOffset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = new Uint8Array(Math.floor(bits.length / 8)).map((_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2));
  let counter = Math.floor(Date.now() / 30000) + stepOffset;
  const msg = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) { msg[i] = counter & 0xff; counter = Math.floor(counter / 256); }
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const h = new Uint8Array(await crypto.subtle.sign('HMAC', k, msg));
  const o = h[19] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1e6).padStart(6, '0');
}

const verificationOf = (v) => v && { status: v.status, strategy: v.strategy, attempts: v.attempts };
const activityOf = (a) => a && {
  browserName: typeof a.browserName, isMobile: a.isMobile, ipAddress: a.ipAddress, city: a.city, country: a.country,
};

export async function run(clerk, env) {
  const out = {};
  const step = async (name, fn) => {
    try { out[name] = await fn(); } catch (e) { out[name] = { threw: String(e?.message ?? e), code: e?.errors?.[0]?.code }; }
  };

  const signIn = await clerk.client.signIn.create({ identifier: env.email, password: env.password });
  await clerk.setActive({ session: signIn.createdSessionId });
  const u0 = clerk.user;
  out.initial = {
    signedIn: typeof u0?.id, passwordEnabled: u0.passwordEnabled, twoFactorEnabled: u0.twoFactorEnabled, totpEnabled: u0.totpEnabled,
    backupCodeEnabled: u0.backupCodeEnabled, createOrganizationEnabled: u0.createOrganizationEnabled,
    createOrganizationsLimit: u0.createOrganizationsLimit, deleteSelfEnabled: u0.deleteSelfEnabled, hasImage: u0.hasImage,
    imageUrl: u0.imageUrl, unsafeMetadata: u0.unsafeMetadata, publicMetadata: u0.publicMetadata,
    primaryEmail: u0.primaryEmailAddress?.emailAddress, emails: u0.emailAddresses.length,
  };

  // Profile: names and username, seen by the Backend API too; bad inputs change nothing.
  await step('update', async () => {
    const u = await clerk.user.update({ firstName: 'Ada', lastName: 'Lovelace', username: 'ada_lovelace' });
    return { firstName: u.firstName, lastName: u.lastName, fullName: u.fullName, username: u.username, onClerk: clerk.user.firstName };
  });
  await step('bapiAfterUpdate', () => env.hooks.bapiUser());
  await step('badUpdates', async () => ({
    longFirstName: await refusal(() => clerk.user.update({ firstName: 'x'.repeat(257) })),
    longLastName: await refusal(() => clerk.user.update({ lastName: 'y'.repeat(300) })),
    shortUsername: await refusal(() => clerk.user.update({ username: 'ab' })),
    usernameCharacters: await refusal(() => clerk.user.update({ username: 'has space' })),
    numericUsername: await refusal(() => clerk.user.update({ username: '123456' })),
    takenUsername: await refusal(() => clerk.user.update({ firstName: 'Changed', username: 'taken_name' })),
    unknownPrimaryEmail: await refusal(() => clerk.user.update({ primaryEmailAddressId: 'idn_unknown' })),
  }));
  await step('afterBadUpdates', async () => {
    await clerk.user.reload();
    return { firstName: clerk.user.firstName, username: clerk.user.username };
  });

  // Metadata: update() replaces (clerk-js 6.40 sends a merge patch to /me/metadata), and
  // updateMetadata() merges (null deletes).
  await step('metadata', async () => {
    await clerk.user.update({ unsafeMetadata: { theme: 'dark', nested: { a: 1, b: 2 } } });
    await clerk.user.reload();
    const replaced = clerk.user.unsafeMetadata;
    const merged = (await clerk.user.updateMetadata({ unsafeMetadata: { nested: { a: null, c: 3 }, lang: 'fr' } })).unsafeMetadata;
    await clerk.user.update({ unsafeMetadata: { only: true } });
    await clerk.user.reload();
    return { replaced, merged, replacedAgain: clerk.user.unsafeMetadata };
  });

  // Email addresses: code, primary, deletion, link.
  await step('emails', async () => {
    const r = {};
    r.badFormat = await refusal(() => clerk.user.createEmailAddress({ email: 'not-an-email' }));
    r.taken = await refusal(() => clerk.user.createEmailAddress({ email: 'bob@example.com' }));
    const e = await clerk.user.createEmailAddress({ email: 'second@example.com' });
    r.created = { emailAddress: e.emailAddress, verification: verificationOf(e.verification) };
    r.attemptUnprepared = await refusal(() => e.attemptVerification({ code: '123456' }));
    r.unverifiedPrimary = await refusal(() => clerk.user.update({ primaryEmailAddressId: e.id }));
    await e.prepareVerification({ strategy: 'email_code' });
    r.prepared = verificationOf(e.verification);
    const code = await outbox('emails', 'second@example.com', 'latest_code');
    r.wrongCode = await refusal(() => e.attemptVerification({ code: wrong(code) }));
    const verified = await e.attemptVerification({ code });
    r.verified = verificationOf(verified.verification);
    r.replayed = await refusal(() => e.attemptVerification({ code }));
    await clerk.user.update({ primaryEmailAddressId: e.id });
    r.primary = clerk.user.primaryEmailAddress?.emailAddress;
    const original = clerk.user.emailAddresses.find((x) => x.emailAddress === env.email);
    await original.destroy();
    await clerk.user.reload();
    r.afterDelete = clerk.user.emailAddresses.map((x) => x.emailAddress);
    r.deleteLast = await refusal(() => clerk.user.emailAddresses[0].destroy());
    // An email link: startEmailLinkFlow polls the address until the link (opened here, as a
    // user would click it) verifies it.
    const linked = await clerk.user.createEmailAddress({ email: 'linked@example.com' });
    const { startEmailLinkFlow } = linked.createEmailLinkFlow();
    const waiting = startEmailLinkFlow({ redirectUrl: `${location.origin}/account.html?verified=1` });
    // The link names the server's frontend host; the page opens it on its own origin.
    const link = new URL(await outbox('emails', 'linked@example.com', 'latest_link'));
    const landed = await fetch(location.origin + link.pathname + link.search);
    const done = await waiting;
    r.link = { landed: new URL(landed.url).searchParams.get('__clerk_status'), verification: done.verification.status, strategy: done.verification.strategy };
    await clerk.user.reload();
    r.final = clerk.user.emailAddresses.map((x) => [x.emailAddress, x.verification.status]).sort();
    return r;
  });

  // Phone numbers: SMS code, second factor, deletion.
  await step('phones', async () => {
    const r = {};
    r.noCountryCode = await refusal(() => clerk.user.createPhoneNumber({ phoneNumber: '2015550123' }));
    r.invalid = await refusal(() => clerk.user.createPhoneNumber({ phoneNumber: '+1 555' }));
    const p = await clerk.user.createPhoneNumber({ phoneNumber: '+1 (201) 555-0177' });
    r.created = { phoneNumber: p.phoneNumber, reserved: p.reservedForSecondFactor, isDefault: p.defaultSecondFactor, verification: verificationOf(p.verification) };
    r.reserveUnverified = await refusal(() => p.setReservedForSecondFactor({ reserved: true }));
    await p.prepareVerification();
    const code = await outbox('sms', '+12015550177', 'latest_code');
    r.wrongCode = await refusal(() => p.attemptVerification({ code: wrong(code) }));
    const v = await p.attemptVerification({ code });
    r.verified = verificationOf(v.verification);
    const reserved = await p.setReservedForSecondFactor({ reserved: true });
    r.reserved = { reserved: reserved.reservedForSecondFactor, isDefault: reserved.defaultSecondFactor, backupCodes: reserved.backupCodes?.length };
    const madeDefault = await p.makeDefaultSecondFactor();
    r.madeDefault = madeDefault.defaultSecondFactor;
    r.user = { twoFactorEnabled: clerk.user.twoFactorEnabled, backupCodeEnabled: clerk.user.backupCodeEnabled, primary: clerk.user.primaryPhoneNumber?.phoneNumber };
    r.signIn = await env.hooks.signInStatus('second@example.com', env.password);
    await p.destroy();
    await clerk.user.reload();
    r.afterDelete = { phones: clerk.user.phoneNumbers.length, twoFactorEnabled: clerk.user.twoFactorEnabled, backupCodeEnabled: clerk.user.backupCodeEnabled, primary: clerk.user.primaryPhoneNumber };
    return r;
  });

  // The devices: the user's two sessions; revoking the other one stops its tokens.
  await step('sessions', async () => {
    const list = await clerk.user.getSessions();
    const current = list.find((s) => s.id === clerk.session.id);
    const other = list.find((s) => s.id === env.otherSessionId);
    const r = { count: list.length, statuses: list.map((s) => s.status), current: activityOf(current?.latestActivity), other: activityOf(other?.latestActivity) };
    r.mintBefore = await env.hooks.bapiMint(env.otherSessionId);
    const revoked = await other.revoke();
    r.revoked = revoked.status;
    r.mintAfter = await env.hooks.bapiMint(env.otherSessionId);
    r.stillSignedIn = typeof clerk.session?.id;
    return r;
  });

  // Password: the current one is needed, and the rules of sign-up apply.
  await step('password', async () => ({
    wrongCurrent: await refusal(() => clerk.user.updatePassword({ currentPassword: 'wrong-password', newPassword: 'new-password-2' })),
    tooShort: await refusal(() => clerk.user.updatePassword({ currentPassword: env.password, newPassword: 'short' })),
    sameAsCurrent: await refusal(() => clerk.user.updatePassword({ currentPassword: env.password, newPassword: env.password })),
    changed: (await clerk.user.updatePassword({ currentPassword: env.password, newPassword: 'new-password-2', signOutOfOtherSessions: false })).passwordEnabled,
    oldSignsIn: await env.hooks.signInStatus('second@example.com', env.password),
    newSignsIn: await env.hooks.signInStatus('second@example.com', 'new-password-2'),
  }));

  // An authenticator app.
  await step('totp', async () => {
    const r = {};
    const t = await clerk.user.createTOTP();
    r.created = { verified: t.verified, secret: typeof t.secret, uri: t.uri?.startsWith('otpauth://totp/'), backupCodes: t.backupCodes };
    const code = await totpCode(t.secret);
    r.wrongCode = await refusal(() => clerk.user.verifyTOTP({ code: wrong(code) }));
    const v = await clerk.user.verifyTOTP({ code });
    r.verified = { verified: v.verified, secret: v.secret, backupCodes: v.backupCodes?.length };
    r.user = { totpEnabled: clerk.user.totpEnabled, twoFactorEnabled: clerk.user.twoFactorEnabled, backupCodeEnabled: clerk.user.backupCodeEnabled };
    r.again = await refusal(() => clerk.user.createTOTP());
    r.signIn = await env.hooks.signInStatus('second@example.com', 'new-password-2');
    const d = await clerk.user.disableTOTP();
    r.disabled = { object: d.object, deleted: d.deleted, totpEnabled: clerk.user.totpEnabled, twoFactorEnabled: clerk.user.twoFactorEnabled };
    r.signInAfter = await env.hooks.signInStatus('second@example.com', 'new-password-2');
    return r;
  });

  // A connected account, through the development OAuth provider (its consent form posted here,
  // as the user would at the provider; the redirects end on this origin).
  await step('externalAccounts', async () => {
    const r = {};
    const redirectUrl = `${location.origin}/account.html?connected=1`;
    r.badStrategy = await refusal(() => clerk.user.createExternalAccount({ strategy: 'oauth_myspace', redirectUrl }));
    const ea = await clerk.user.createExternalAccount({ strategy: 'oauth_google', redirectUrl });
    const to = ea.verification.externalVerificationRedirectURL;
    r.created = { provider: ea.provider, verification: verificationOf(ea.verification), toProvider: to instanceof URL && to.pathname === '/oauth/dev/authorize' };
    const consent = new URLSearchParams(to.search);
    consent.set('decision', 'allow');
    consent.set('email', 'ada.google@example.com');
    // The provider redirects to the server's callback (its frontend host), which redirects back
    // here: a cross-origin round trip, so the answer is opaque (no-cors); its effect is read from
    // the user.
    const landed = await fetch('/oauth/dev/authorize', { method: 'POST', body: consent, mode: 'no-cors' });
    r.landed = landed.type;
    await clerk.user.reload();
    r.linked = clerk.user.externalAccounts.map((a) => ({ provider: a.provider, emailAddress: a.emailAddress, status: a.verification?.status }));
    const re = await clerk.user.externalAccounts[0].reauthorize({ redirectUrl });
    r.reauthorize = { status: re.verification?.status, toProvider: re.verification?.externalVerificationRedirectURL?.pathname };
    await clerk.user.externalAccounts[0].destroy();
    await clerk.user.reload();
    r.afterDelete = clerk.user.externalAccounts.length;
    return r;
  });

  // Passkeys: registered in the browser's (virtual) authenticator, renamed, deleted.
  await step('passkeys', async () => {
    const pk = await clerk.user.createPasskey();
    const r = { created: { name: pk.name, status: pk.verification?.status } };
    r.renamed = (await pk.update({ name: 'Work laptop' })).name;
    r.emptyName = await refusal(() => pk.update({ name: '' }));
    await clerk.user.reload();
    r.listed = clerk.user.passkeys.map((p) => p.name);
    const d = await pk.delete();
    r.deleted = { object: d.object, deleted: d.deleted };
    await clerk.user.reload();
    r.after = clerk.user.passkeys.length;
    return r;
  });

  // The profile image: an image by its content, served back as the user's imageUrl.
  await step('profileImage', async () => {
    const r = {};
    r.notAnImage = await refusal(() => clerk.user.setProfileImage({ file: new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/svg+xml' }) }));
    const img = await clerk.user.setProfileImage({ file: new Blob([PNG], { type: 'image/png' }) });
    r.image = { publicUrl: typeof img.publicUrl, served: img.publicUrl?.includes('/v1/images/') };
    await clerk.user.reload();
    r.user = { hasImage: clerk.user.hasImage, imageUrl: clerk.user.imageUrl === img.publicUrl };
    const served = await fetch(clerk.user.imageUrl);
    r.fetched = { status: served.status, type: served.headers.get('content-type'), bytes: (await served.arrayBuffer()).byteLength === PNG.length };
    await clerk.user.setProfileImage({ file: null });
    await clerk.user.reload();
    r.removed = { hasImage: clerk.user.hasImage, imageUrl: clerk.user.imageUrl };
    return r;
  });

  await step('removePassword', async () => ({
    wrongCurrent: await refusal(() => clerk.user.removePassword({ currentPassword: 'wrong-password' })),
    removed: (await clerk.user.removePassword({ currentPassword: 'new-password-2' })).passwordEnabled,
  }));

  // Deleting the account signs the browser out.
  await step('deleted', async () => {
    await clerk.user.delete();
    return { user: clerk.user, session: clerk.session, signedIn: clerk.isSignedIn };
  });
  return out;
}
