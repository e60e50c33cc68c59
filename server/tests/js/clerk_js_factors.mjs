#!/usr/bin/env node
// Real @clerk/clerk-js (browser build) in headless Chromium: password reset and backup codes
// against clerk-server, the control for the same flows in clerk-rs.
// Usage: node clerk_js_factors.mjs PAGE_URL PROXY_URL
// Prints one JSON object with what clerk-js saw; exits 1 on a failed step.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../../tests/js/package.json'));
const { chromium } = require('playwright-core');

const [pageUrl, proxyUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-blink-features=AutomationControlled'],
});
let exitCode = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  await page.evaluate(() => window.Clerk.load({ telemetry: false }));
  const out = await page.evaluate(async ({ proxyUrl }) => {
    const C = window.Clerk;
    const out = {};
    const dev = async (p, init) => (await fetch(`${proxyUrl}${p}`, init)).json();
    const code = async (email) => (await dev(`/__dev/emails?to=${encodeURIComponent(email)}`)).latest_code;
    // What clerk-js makes of a refusal: its ClerkAPIResponseError's status and first code.
    const refusal = async (p) => {
      try { await p; return 'no error'; } catch (e) { return [e.status, e.errors?.[0]?.code ?? e.code]; }
    };

    // Password reset: the factor from supportedFirstFactors, prepare, attempt, resetPassword.
    let si = await C.client.signIn.create({ identifier: 'bob@example.com' });
    const factor = si.supportedFirstFactors.find((f) => f.strategy === 'reset_password_email_code');
    out.resetFactor = [factor?.safeIdentifier, typeof factor?.emailAddressId];
    si = await si.prepareFirstFactor({ strategy: 'reset_password_email_code', emailAddressId: factor.emailAddressId });
    out.prepared = [si.firstFactorVerification.status, si.firstFactorVerification.strategy];
    const resetCode = await code('bob@example.com');
    out.wrongCode = await refusal(si.attemptFirstFactor({ strategy: 'reset_password_email_code', code: resetCode === '000000' ? '111111' : '000000' }));
    si = await C.client.signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: resetCode });
    out.afterCode = si.status;
    out.reusedCode = await refusal(si.attemptFirstFactor({ strategy: 'reset_password_email_code', code: resetCode }));
    out.shortPassword = await refusal(si.resetPassword({ password: 'short' }));
    si = await C.client.signIn.resetPassword({ password: 'a-brand-new-password-9', signOutOfOtherSessions: true });
    out.afterReset = [si.status, typeof si.createdSessionId];
    await C.setActive({ session: si.createdSessionId });
    out.signedInAs = C.user?.primaryEmailAddress?.emailAddress ?? null;
    await C.session.end(); // signOut() would navigate to afterSignOutUrl
    out.oldPassword = await refusal(C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' }));
    si = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'a-brand-new-password-9' });
    out.newPassword = si.status;
    await C.setActive({ session: si.createdSessionId });
    await C.session.end(); // signOut() would navigate to afterSignOutUrl

    // Backup codes as alice's second factor, each good once.
    const codes = (await dev('/__dev/backup_codes?identifier=alice@example.com', { method: 'POST' })).codes;
    si = await C.client.signIn.create({ identifier: 'alice@example.com', password: 'demo-password-1' });
    out.aliceFirst = si.status;
    out.secondFactors = si.supportedSecondFactors.map((f) => f.strategy);
    out.wrongBackup = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: 'notacode' }));
    si = await C.client.signIn.attemptSecondFactor({ strategy: 'backup_code', code: codes[0] });
    out.backupDone = [si.status, si.secondFactorVerification.strategy, si.secondFactorVerification.status];
    await C.setActive({ session: si.createdSessionId });
    out.backupCodeEnabled = C.user.backupCodeEnabled;
    // user.createBackupCode(): a new set replaces the old one.
    const fresh = await C.user.createBackupCode();
    out.freshCodes = [fresh.codes.length, fresh.codes.includes(codes[1])];
    await C.session.end(); // signOut() would navigate to afterSignOutUrl
    si = await C.client.signIn.create({ identifier: 'alice@example.com', password: 'demo-password-1' });
    out.reusedBackup = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: codes[0] }));
    out.oldSetBackup = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: codes[1] }));
    si = await C.client.signIn.attemptSecondFactor({ strategy: 'backup_code', code: fresh.codes[0] });
    out.freshBackup = si.status;
    // The lockout: five wrong codes, then even a right one is refused with 429.
    await C.setActive({ session: si.createdSessionId });
    await C.session.end(); // signOut() would navigate to afterSignOutUrl
    si = await C.client.signIn.create({ identifier: 'alice@example.com', password: 'demo-password-1' });
    for (let i = 0; i < 5; i++) await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: `guess00${i}` }));
    out.locked = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: fresh.codes[1] }));

    // SMS codes: carol signs in with her number (another spelling of it), dave has SMS as his
    // second factor. The numbers were given to the Backend API by the Rust side.
    const sms = async (to) => (await dev(`/__dev/sms?to=${encodeURIComponent(to)}`)).latest_code;
    out.badNumber = await refusal(C.client.signIn.create({ identifier: '+1 555' }));
    si = await C.client.signIn.create({ identifier: '+1 (201) 555-0123' });
    const phoneFactor = si.supportedFirstFactors.find((f) => f.strategy === 'phone_code');
    out.phoneFactor = [phoneFactor?.safeIdentifier, typeof phoneFactor?.phoneNumberId];
    si = await si.prepareFirstFactor({ strategy: 'phone_code', phoneNumberId: phoneFactor.phoneNumberId });
    out.phonePrepared = [si.firstFactorVerification.status, si.firstFactorVerification.strategy];
    const carolCode = await sms('+12015550123');
    out.phoneWrong = await refusal(si.attemptFirstFactor({ strategy: 'phone_code', code: carolCode === '000000' ? '111111' : '000000' }));
    si = await C.client.signIn.attemptFirstFactor({ strategy: 'phone_code', code: carolCode });
    out.phoneDone = si.status;
    await C.setActive({ session: si.createdSessionId });
    out.carolPhone = C.user.primaryPhoneNumber?.phoneNumber ?? null;
    await C.session.end();
    si = await C.client.signIn.create({ identifier: 'dave@example.com', password: 'demo-password-1' });
    out.daveFirst = si.status;
    out.daveSecondFactors = si.supportedSecondFactors.map((f) => [f.strategy, f.safeIdentifier ?? null]);
    si = await si.prepareSecondFactor({ strategy: 'phone_code', phoneNumberId: si.supportedSecondFactors[0].phoneNumberId });
    const daveCode = await sms('+442079460958');
    out.smsWrong = await refusal(si.attemptSecondFactor({ strategy: 'phone_code', code: daveCode === '000000' ? '111111' : '000000' }));
    si = await C.client.signIn.attemptSecondFactor({ strategy: 'phone_code', code: daveCode });
    out.smsDone = [si.status, si.secondFactorVerification.strategy];
    await C.setActive({ session: si.createdSessionId });
    out.daveTwoFactor = C.user.twoFactorEnabled;
    await C.session.end();

    // Sign-up with an email address and a phone number: each verified, the status follows.
    out.badSignUpPhone = await refusal(C.client.signUp.create({ emailAddress: 'fay@example.com', password: 'long-enough-1', phoneNumber: '+1 555' }));
    let su = await C.client.signUp.create({ emailAddress: 'fay@example.com', password: 'long-enough-1', phoneNumber: '+1 (201) 555-0177' });
    out.signUpCreated = [su.status, su.phoneNumber, su.missingFields, su.unverifiedFields, su.verifications.phoneNumber.nextAction];
    su = await su.prepareEmailAddressVerification({ strategy: 'email_code' });
    su = await su.attemptEmailAddressVerification({ code: await code('fay@example.com') });
    out.afterEmail = [su.status, su.unverifiedFields];
    su = await su.preparePhoneNumberVerification({ strategy: 'phone_code' });
    const fayCode = await sms('+12015550177');
    out.signUpWrongSms = await refusal(su.attemptPhoneNumberVerification({ code: fayCode === '000000' ? '111111' : '000000' }));
    su = await C.client.signUp.attemptPhoneNumberVerification({ code: fayCode });
    out.afterPhone = [su.status, typeof su.createdSessionId, su.unverifiedFields];
    await C.setActive({ session: su.createdSessionId });
    out.fay = [C.user.primaryEmailAddress?.emailAddress, C.user.primaryPhoneNumber?.phoneNumber];
    return out;
  }, { proxyUrl });
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
