//! Client helpers and checkAuthorization.

mod support;

use serde_json::json;
use support::*;

#[test]
fn touch_eligibility_follows_the_cookie_expiry() {
    let fake = FakeFapi::two_sessions();
    let now = fake.clock.now.get() as i64;
    fake.client.borrow_mut()["cookie_expires_at"] = json!(now + 9 * 86_400_000);
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    assert!(!clerk.client_is_eligible_for_touch());
    fake.clock.advance_secs(2 * 86_400);
    assert!(clerk.client_is_eligible_for_touch());
    assert!(!clerk.client_is_new());
}

#[test]
fn touch_url_carries_the_redirect_and_dev_browser() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    let url = clerk.build_touch_url("http://app.test/after?x=1");
    assert!(url.starts_with("http://127.0.0.1:4000/v1/client/touch?"), "{url}");
    assert!(url.contains("redirect_url=http%3A%2F%2Fapp.test%2Fafter%3Fx%3D1"), "{url}");
    assert!(url.contains("__clerk_db_jwt=dvb_test"), "{url}");
}

#[test]
fn urls_of_other_origins_carry_the_dev_browser_token() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    assert_eq!(clerk.url_with_auth("https://accounts.test/sign-in"), "https://accounts.test/sign-in?__clerk_db_jwt=dvb_test");
    assert_eq!(
        clerk.url_with_auth("https://accounts.test/sign-in?a=1#/factor-one?b=2"),
        "https://accounts.test/sign-in?a=1&__clerk_db_jwt=dvb_test#/factor-one?b=2"
    );
    assert_eq!(clerk.url_with_auth("https://accounts.test/?"), "https://accounts.test/?__clerk_db_jwt=dvb_test");
    // One the URL already carries is kept (clerk-js's setDevBrowserInURL).
    assert_eq!(clerk.url_with_auth("https://x.test/?__clerk_db_jwt=other"), "https://x.test/?__clerk_db_jwt=other");
    // Through the operation: the page's own origin gets none.
    let same = clerk.query(Query::UrlWithAuth, r#"{"url":"http://app.test/p","raw":"/p","sameOrigin":true}"#).unwrap();
    assert_eq!(same, r#""http://app.test/p""#);
    let other = clerk.query(Query::UrlWithAuth, r#"{"url":"http://b.test/p","raw":"http://b.test/p","sameOrigin":false}"#).unwrap();
    assert_eq!(other, r#""http://b.test/p?__clerk_db_jwt=dvb_test""#);
}

#[test]
fn reset_sign_in_and_reload() {
    let fake = FakeFapi::two_sessions();
    fake.client.borrow_mut()["sign_in"] = json!({"object": "sign_in", "id": "sia_1", "status": "needs_first_factor"});
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    assert!(clerk.client().unwrap().sign_in.is_some());
    clerk.reset_sign_in();
    assert!(clerk.client().unwrap().sign_in.is_none());
    fake.set_session_status("sess_a", "revoked");
    block_on(clerk.client_reload()).unwrap();
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert_eq!(clerk.client().unwrap().signed_in_sessions().count(), 1);
}

fn authz(role: Option<&str>, permission: Option<&str>, reverification: Option<Reverification>) -> AuthorizationParams {
    AuthorizationParams { role: role.map(Into::into), permission: permission.map(Into::into), reverification }
}

#[test]
fn roles_and_permissions_need_the_active_organization() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    assert!(!clerk.check_authorization("sess_a", &authz(Some("org:admin"), None, None)), "no active org yet");
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    assert!(clerk.check_authorization("sess_a", &authz(Some("org:admin"), None, None)));
    assert!(clerk.check_authorization("sess_a", &authz(Some("admin"), None, None)));
    assert!(!clerk.check_authorization("sess_a", &authz(Some("org:member"), None, None)));
    assert!(clerk.check_authorization("sess_a", &authz(None, Some("org:sys_memberships:manage"), None)));
    assert!(!clerk.check_authorization("sess_a", &authz(None, Some("org:sys_billing:manage"), None)));
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_2".into()), None)).unwrap();
    assert!(!clerk.check_authorization("sess_a", &authz(Some("org:admin"), None, None)));
    assert!(!clerk.check_authorization("sess_unknown", &authz(Some("org:admin"), None, None)));
}

#[test]
fn reverification_against_factor_verification_age() {
    let fake = FakeFapi::two_sessions();
    {
        let mut client = fake.client.borrow_mut();
        client["sessions"][0]["factor_verification_age"] = json!([30, -1]); // first factor 30 min ago, no 2FA
        client["sessions"][1]["factor_verification_age"] = json!([5, 20]);
    }
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    let preset = |name| authz(None, None, Reverification::preset(name));
    let custom = |level, after_minutes| authz(None, None, Some(Reverification { level, after_minutes }));
    // No second factor: second_factor levels fall back to the first factor.
    assert!(!clerk.check_authorization("sess_a", &preset("strict")));
    assert!(clerk.check_authorization("sess_a", &preset("moderate")));
    assert!(clerk.check_authorization("sess_a", &preset("lax")));
    assert!(!clerk.check_authorization("sess_a", &preset("strict_mfa")));
    // Both factors known: multi_factor needs both fresh.
    assert!(!clerk.check_authorization("sess_b", &preset("strict_mfa")));
    assert!(clerk.check_authorization("sess_b", &custom(FactorLevel::MultiFactor, 30)));
    assert!(clerk.check_authorization("sess_b", &custom(FactorLevel::FirstFactor, 10)));
    assert!(!clerk.check_authorization("sess_b", &custom(FactorLevel::SecondFactor, 10)));
    assert!(Reverification::preset("bogus").is_none());
}

#[test]
fn sign_out_of_one_session_or_all() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    let log = recorder(&clerk);
    block_on(clerk.sign_out(Some("sess_b"))).unwrap();
    assert_eq!(describe(&clerk.resources()), "sess_a:null", "another session: the current one stays");
    block_on(clerk.sign_out(Some("sess_a"))).unwrap();
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert_eq!(*log.borrow(), ["sess_a:null", "sess_a:null", "null:null"], "no undefined flash on sign-out");
    block_on(clerk.sign_out(None)).unwrap();
    assert_eq!(fake.count("/v1/client/sessions"), 1, "signOut() ends the sessions (DELETE /client/sessions)");
    assert_eq!(fake.count("/v1/client"), 1, "and keeps the client: only load's GET /client");
    assert!(!clerk.client_is_new(), "the client stays");
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert!(clerk.client().unwrap().sessions.iter().all(|s| s.status != "active"));
}

#[test]
fn a_forgotten_dev_browser_is_replaced_once_and_the_request_retried() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    fake.respond_once(
        "/v1/client",
        401,
        r#"{"errors":[{"code":"dev_browser_unauthenticated","message":"Invalid development browser token"}]}"#,
    );
    block_on(clerk.client_reload()).unwrap();
    assert_eq!(fake.count("/v1/dev_browser"), 2, "a new dev browser after the 401");
    assert_eq!(fake.count("/v1/client"), 3, "load, the refused reload, the retried reload");
    // Any other 401 is an answer, not a reason to start over.
    fake.respond_once("/v1/client", 401, r#"{"errors":[{"code":"authentication_invalid","message":"Unauthorized"}]}"#);
    assert_eq!(block_on(clerk.client_reload()).unwrap_err().status, Some(401));
    assert_eq!(fake.count("/v1/dev_browser"), 2);
}

/// `signIn.reload()` (how a tab waiting on an email link polls): a GET of the attempt by the id
/// the object layer gives, not the client's current one, which a completed attempt has left.
#[test]
fn an_attempt_reloads_by_its_id_and_the_environment_is_queryable() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    assert_eq!(clerk.query(Query::Environment, "{}").unwrap(), "null", "nothing before load");
    block_on(clerk.load()).unwrap();
    assert_eq!(clerk.query(Query::Environment, "{}").unwrap(), r#"{"auth_config":{"single_session_mode":false}}"#);
    let done = json!({"response": {"object": "sign_in_attempt", "id": "sia_9", "status": "complete", "created_session_id": "sess_a"},
                      "client": fake.client.borrow().clone()});
    fake.respond_once("/client/sign_ins/sia_9", 200, &done.to_string());
    let answer = block_on(clerk.call(Call::SignIn, r#"{"step":"reload","id":"sia_9"}"#, None)).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&answer).unwrap()["status"], "complete");
    assert_eq!(fake.count("/client/sign_ins/sia_9"), 1);
    let bad = block_on(clerk.call(Call::SignUp, r#"{"step":"reload","id":"../x"}"#, None)).unwrap_err();
    assert_eq!(bad.code, "invalid_argument");
    let missing = block_on(clerk.call(Call::SignIn, r#"{"step":"reload"}"#, None)).unwrap_err();
    assert_eq!(missing.code, "invalid_argument");
}
