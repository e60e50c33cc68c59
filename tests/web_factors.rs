//! Password reset, backup codes, SMS codes and sign-up verification through the JS API in headless Chromium against the real
//! clerk-server (the same flows server/tests/clerk_js_factors.rs drives with clerk-js). Each
//! scenario makes its own user through the Backend API, so the seeded users the other suites
//! sign in with keep their passwords and factors.
#![cfg(target_arch = "wasm32")]

use clerk_rs::wasm::Engine;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/target/objects/testing.js")]
extern "C" {
    #[wasm_bindgen(js_name = clerkFromEngine)]
    fn clerk_from_engine(engine: Engine, publishable_key: &str) -> JsValue;
    /// The page's own host (location, storage, cookies), as `new Clerk` uses it.
    #[wasm_bindgen(js_name = pageHost)]
    fn page_host() -> clerk_rs::wasm::host::Host;
}

fn env(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run the browser tests with `make test`, which starts clerk-server"))
}

fn server() -> &'static str {
    env(option_env!("CLERK_E2E_URL"), "CLERK_E2E_URL")
}

fn secret_key() -> &'static str {
    env(option_env!("CLERK_E2E_SECRET_KEY"), "CLERK_E2E_SECRET_KEY")
}

#[wasm_bindgen(inline_js = r#"
async function json(url, init) {
  const r = await fetch(url, init);
  return r.json();
}
export async function publishableKey(server) {
  localStorage.clear(); // a fresh dev browser, so a fresh client, for every test
  return (await json(`${server}/__dev/instance`)).publishable_key;
}
const latestCode = async (server, email) => (await json(`${server}/__dev/emails?to=${encodeURIComponent(email)}`)).latest_code;
const bapi = (server, secretKey, path, body) => json(`${server}${path}`, {
  method: body ? 'POST' : 'GET',
  headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
  body: body ? JSON.stringify(body) : undefined,
});
const newUser = async (server, secretKey, extra) => {
  const email = `factors-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const user = await bapi(server, secretKey, '/v1/users', { email_address: [email], password: 'an-old-password-1', ...extra });
  return { email, id: user.id, user };
};
// What the library makes of a refusal: [status, code, typeof longMessage].
const refusal = async (p) => {
  try { await p; return 'no error'; } catch (e) { return [e.status, e.code, typeof e.longMessage]; }
};

export async function passwordReset(clerk, server, secretKey) {
  const out = {};
  await clerk.load();
  const { email, id } = await newUser(server, secretKey, {});
  // A session elsewhere (made by the Backend API), which the reset is asked to sign out.
  const elsewhere = await bapi(server, secretKey, '/v1/sessions', { user_id: id });
  let si = await clerk.client.signIn.create({ identifier: email });
  const factor = si.supportedFirstFactors.find((f) => f.strategy === 'reset_password_email_code');
  out.factor = [factor.safeIdentifier === email, typeof factor.emailAddressId];
  out.tooEarly = await refusal(si.resetPassword({ password: 'a-new-password-2' }));
  si = await si.prepareFirstFactor({ strategy: 'reset_password_email_code', emailAddressId: factor.emailAddressId });
  out.prepared = [si.firstFactorVerification.status, si.firstFactorVerification.strategy];
  const code = await latestCode(server, email);
  out.wrongCode = await refusal(si.attemptFirstFactor({ strategy: 'reset_password_email_code', code: code === '000000' ? '111111' : '000000' }));
  out.asEmailCode = await refusal(si.attemptFirstFactor({ strategy: 'email_code', code }));
  si = await si.attemptFirstFactor({ strategy: 'reset_password_email_code', code });
  out.afterCode = [si.status, si.createdSessionId];
  out.reused = await refusal(si.attemptFirstFactor({ strategy: 'reset_password_email_code', code }));
  out.short = await refusal(si.resetPassword({ password: 'short' }));
  out.badFlag = await refusal(si.resetPassword({ password: 'a-new-password-2', signOutOfOtherSessions: 'yes' }));
  si = await si.resetPassword({ password: 'a-new-password-2', signOutOfOtherSessions: true });
  out.afterReset = [si.status, typeof si.createdSessionId, clerk.client.signIn.status];
  await clerk.setActive({ session: si.createdSessionId });
  out.user = clerk.user?.id === id;
  out.elsewhere = (await bapi(server, secretKey, `/v1/sessions/${elsewhere.id}`)).status;
  await clerk.session.end();
  out.oldPassword = await refusal(clerk.client.signIn.create({ identifier: email, password: 'an-old-password-1' }));
  out.newPassword = (await clerk.client.signIn.create({ identifier: email, password: 'a-new-password-2' })).status;
  return out;
}

export async function backupCodes(clerk, server, secretKey) {
  const out = {};
  await clerk.load();
  const { email } = await newUser(server, secretKey, { totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ' });
  const { codes } = await json(`${server}/__dev/backup_codes?identifier=${encodeURIComponent(email)}`, { method: 'POST' });
  let si = await clerk.client.signIn.create({ identifier: email, password: 'an-old-password-1' });
  out.first = si.status;
  out.secondFactors = si.supportedSecondFactors.map((f) => f.strategy);
  out.wrong = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: 'notacode' }));
  si = await si.attemptSecondFactor({ strategy: 'backup_code', code: codes[0] });
  out.done = [si.status, si.secondFactorVerification.strategy, si.secondFactorVerification.status];
  await clerk.setActive({ session: si.createdSessionId });
  out.fva = clerk.session.factorVerificationAge;
  // user.createBackupCode(): a new set, shown once, replacing the old one.
  const fresh = await clerk.user.createBackupCode();
  out.fresh = [fresh.codes.length, fresh.codes.includes(codes[1]), fresh.createdAt instanceof Date, Object.keys(clerk.user).includes('createBackupCode')];
  await clerk.session.end();
  si = await clerk.client.signIn.create({ identifier: email, password: 'an-old-password-1' });
  out.reused = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: codes[0] }));
  out.oldSet = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: codes[1] }));
  for (let i = 0; i < 3; i++) await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: `guess00${i}` }));
  const locked = await refusal(si.attemptSecondFactor({ strategy: 'backup_code', code: fresh.codes[0] }));
  out.locked = locked.slice(0, 2);
  out.statusAfter = clerk.client.signIn.status;
  return out;
}

// Carol signs in with an SMS code (first factor); the same user then gets SMS as her second
// factor too, through the Backend API, and signs in with password + SMS.
export async function smsCodes(clerk, server, secretKey) {
  const out = {};
  await clerk.load();
  const sms = async (to) => (await json(`${server}/__dev/sms?to=${encodeURIComponent(to)}`)).latest_code;
  let user, number;
  for (let i = 0; !user?.id && i < 5; i++) {
    number = `+1201555${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
    user = (await newUser(server, secretKey, { phone_number: [number] }));
  }
  const spaced = `${number.slice(0, 2)} (${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`;
  out.badNumber = await refusal(clerk.client.signIn.create({ identifier: '+1 555' }));
  let si = await clerk.client.signIn.create({ identifier: spaced });
  const factor = si.supportedFirstFactors.find((f) => f.strategy === 'phone_code');
  out.factor = [factor.safeIdentifier === number, typeof factor.phoneNumberId];
  si = await si.prepareFirstFactor({ strategy: 'phone_code', phoneNumberId: factor.phoneNumberId });
  out.prepared = [si.firstFactorVerification.status, si.firstFactorVerification.strategy];
  const code = await sms(number);
  out.wrong = await refusal(si.attemptFirstFactor({ strategy: 'phone_code', code: code === '000000' ? '111111' : '000000' }));
  si = await si.attemptFirstFactor({ strategy: 'phone_code', code });
  out.done = si.status;
  await clerk.setActive({ session: si.createdSessionId });
  out.phone = [clerk.user.phoneNumbers[0].phoneNumber === number, clerk.user.primaryPhoneNumberId === factor.phoneNumberId];
  await clerk.session.end();
  // SMS as the second factor: a second number reserved for it.
  const second = `+1201555${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
  const added = await bapi(server, secretKey, '/v1/phone_numbers', { user_id: user.id, phone_number: second, reserved_for_second_factor: true });
  out.added = added.reserved_for_second_factor;
  si = await clerk.client.signIn.create({ identifier: user.email, password: 'an-old-password-1' });
  out.first = si.status;
  out.secondFactors = si.supportedSecondFactors.map((f) => f.strategy);
  out.early = await refusal(si.attemptSecondFactor({ strategy: 'phone_code', code: '123456' }));
  si = await si.prepareSecondFactor({ strategy: 'phone_code' });
  const second2fa = await sms(second);
  si = await si.attemptSecondFactor({ strategy: 'phone_code', code: second2fa });
  out.secondDone = [si.status, si.secondFactorVerification.strategy];
  await clerk.setActive({ session: si.createdSessionId });
  out.twoFactor = clerk.user.twoFactorEnabled;
  return out;
}

// A sign-up with an email address and a phone number: the status stays missing_requirements
// until both are verified, whichever comes last completes it.
export async function signUpWithPhone(clerk, server) {
  const out = {};
  await clerk.load();
  const sms = async (to) => (await json(`${server}/__dev/sms?to=${encodeURIComponent(to)}`)).latest_code;
  const email = `signup-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  out.badPhone = await refusal(clerk.client.signUp.create({ emailAddress: email, password: 'a-long-password-42', phoneNumber: '+1 555' }));
  let su, number;
  for (let i = 0; !su && i < 5; i++) {
    number = `+1201555${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
    su = await clerk.client.signUp.create({ emailAddress: email, password: 'a-long-password-42', phoneNumber: number }).catch(() => null);
  }
  out.created = [su.status, su.phoneNumber === number, su.missingFields, su.unverifiedFields, su.verifications.phoneNumber.nextAction];
  su = await su.preparePhoneNumberVerification();
  const code = await sms(number);
  out.wrong = await refusal(su.attemptPhoneNumberVerification({ code: code === '000000' ? '111111' : '000000' }));
  su = await su.attemptPhoneNumberVerification({ code });
  out.afterPhone = [su.status, su.unverifiedFields, su.createdSessionId];
  su = await su.prepareEmailAddressVerification();
  su = await su.attemptEmailAddressVerification({ code: await latestCode(server, email) });
  out.afterEmail = [su.status, typeof su.createdSessionId, su.unverifiedFields];
  await clerk.setActive({ session: su.createdSessionId });
  out.user = [clerk.user.primaryEmailAddress?.emailAddress === email, clerk.user.phoneNumbers[0]?.phoneNumber === number];
  out.again = await refusal(su.update({ firstName: 'Late' }));
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = publishableKey)]
    async fn publishable_key(server: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = passwordReset)]
    async fn password_reset(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = smsCodes)]
    async fn sms_codes(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = signUpWithPhone)]
    async fn sign_up_with_phone(clerk: JsValue, server: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = backupCodes)]
    async fn backup_codes(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
}

async fn clerk() -> JsValue {
    let key = publishable_key(server()).await.expect("clerk-server is not reachable").as_string().unwrap();
    clerk_from_engine(Engine::new(&key, Some(server().into()), page_host(), js_sys::Date::now()).expect("new Clerk"), &key)
}

/// A scenario's result as JSON; a JS exception fails the test with its message and stack.
fn outcome(result: Result<JsValue, JsValue>) -> Value {
    let value = result.unwrap_or_else(|e| {
        let code = js_sys::Reflect::get(&e, &"code".into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
        let stack = js_sys::Reflect::get(&e, &"stack".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        panic!("scenario threw {code}: {stack}")
    });
    serde_json::from_str(&js_sys::JSON::stringify(&value).unwrap().as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
async fn password_reset_with_an_email_code_signs_out_other_sessions() {
    let out = outcome(password_reset(clerk().await, server(), secret_key()).await);
    assert_eq!(out["factor"], json!([true, "string"]));
    assert_eq!(out["tooEarly"], json!([422, "sign_in_status_invalid", "string"]));
    assert_eq!(out["prepared"], json!(["unverified", "reset_password_email_code"]));
    assert_eq!(out["wrongCode"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["asEmailCode"], json!([422, "verification_missing", "string"]));
    assert_eq!(out["afterCode"], json!(["needs_new_password", null]));
    assert_eq!(out["reused"], json!([422, "sign_in_status_invalid", "string"]));
    assert_eq!(out["short"], json!([422, "form_password_length_too_short", "string"]));
    assert_eq!(out["badFlag"], json!([422, "form_param_value_invalid", "string"]));
    // A finished sign-in no longer hangs off the client (the server drops it), as after any sign-in.
    assert_eq!(out["afterReset"], json!(["complete", "string", null]));
    assert_eq!(out["user"], true);
    assert_eq!(out["elsewhere"], "revoked");
    assert_eq!(out["oldPassword"], json!([422, "form_password_incorrect", "string"]));
    assert_eq!(out["newPassword"], "complete");
}

#[wasm_bindgen_test]
async fn backup_codes_are_a_second_factor_each_good_once() {
    let out = outcome(backup_codes(clerk().await, server(), secret_key()).await);
    assert_eq!(out["first"], "needs_second_factor");
    assert_eq!(out["secondFactors"], json!(["totp", "backup_code"]));
    assert_eq!(out["wrong"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["done"], json!(["complete", "backup_code", "verified"]));
    assert_eq!(out["fva"], json!([0, 0]));
    assert_eq!(out["fresh"], json!([10, false, true, false]));
    assert_eq!(out["reused"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["oldSet"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["locked"], json!([429, "too_many_requests"]));
    assert_eq!(out["statusAfter"], "needs_second_factor");
}

#[wasm_bindgen_test]
async fn sms_codes_as_first_and_second_factor() {
    let out = outcome(sms_codes(clerk().await, server(), secret_key()).await);
    assert_eq!(out["badNumber"], json!([422, "form_param_format_invalid", "string"]));
    assert_eq!(out["factor"], json!([true, "string"]));
    assert_eq!(out["prepared"], json!(["unverified", "phone_code"]));
    assert_eq!(out["wrong"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["done"], "complete");
    assert_eq!(out["phone"], json!([true, true]));
    assert_eq!(out["added"], true);
    assert_eq!(out["first"], "needs_second_factor");
    assert_eq!(out["secondFactors"], json!(["phone_code"]));
    assert_eq!(out["early"], json!([422, "verification_missing", "string"]));
    assert_eq!(out["secondDone"], json!(["complete", "phone_code"]));
    assert_eq!(out["twoFactor"], true);
}

#[wasm_bindgen_test]
async fn sign_up_verifies_email_and_phone_before_it_completes() {
    let out = outcome(sign_up_with_phone(clerk().await, server()).await);
    assert_eq!(out["badPhone"], json!([422, "form_param_format_invalid", "string"]));
    assert_eq!(out["created"], json!(["missing_requirements", true, [], ["email_address", "phone_number"], "needs_prepare"]));
    assert_eq!(out["wrong"], json!([422, "form_code_incorrect", "string"]));
    assert_eq!(out["afterPhone"], json!(["missing_requirements", ["email_address"], null]));
    assert_eq!(out["afterEmail"], json!(["complete", "string", []]));
    assert_eq!(out["user"], json!([true, true]));
    // The finished sign-up is gone from the client: the library refuses before any request.
    assert_eq!(out["again"], json!([null, "invalid_argument", "undefined"]));
}
