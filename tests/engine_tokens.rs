//! getToken and the token cache: hits, expiry and leeway on a fake clock, single flight,
//! skipCache, organization keys, races with setActive, failures and retries.

mod support;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use std::cell::RefCell;
use std::rc::Rc;
use support::*;

fn loaded(fake: &Rc<FakeFapi>) -> Clerk {
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    clerk
}

#[allow(clippy::result_large_err)] // see src/core/mod.rs
fn token(clerk: &Clerk, session: &str, options: GetTokenOptions) -> Result<String> {
    block_on(clerk.get_token(session, &options))
}

fn plain(clerk: &Clerk, session: &str) -> String {
    token(clerk, session, GetTokenOptions::default()).unwrap()
}

#[test]
fn second_call_is_a_cache_hit() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let first = plain(&clerk, "sess_a");
    let second = plain(&clerk, "sess_a");
    assert_eq!(first, second);
    assert_eq!(fake.count("/sess_a/tokens"), 1);
    assert_eq!(claims(&first).sid.as_deref(), Some("sess_a"));
}

#[test]
fn expiry_and_default_leeway_on_the_token_lifetime() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let first = plain(&clerk, "sess_a");
    // Default leeway: 10 s, at most 5% of the lifetime (3 s for a 60 s token).
    fake.clock.advance_secs(56); // 4 s left
    assert_eq!(plain(&clerk, "sess_a"), first);
    fake.clock.advance_secs(2); // 2 s left: inside the leeway, treated as expired
    let refreshed = plain(&clerk, "sess_a");
    assert_ne!(refreshed, first);
    assert_eq!(fake.count("/sess_a/tokens"), 2);
}

#[test]
fn leeway_in_seconds_is_honoured_and_bounded() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let first = plain(&clerk, "sess_a");
    fake.clock.advance_secs(25); // 35 s left
    let with_leeway = |secs| GetTokenOptions { leeway_secs: Some(secs), ..Default::default() };
    assert_eq!(token(&clerk, "sess_a", with_leeway(30)).unwrap(), first);
    assert_ne!(token(&clerk, "sess_a", with_leeway(40)).unwrap(), first);
    let err = token(&clerk, "sess_a", with_leeway(60)).unwrap_err();
    assert_eq!(err.code, "invalid_argument");
    assert_eq!(fake.count("/sess_a/tokens"), 2);
}

#[test]
fn lifetime_comes_from_the_token_not_the_local_clock() {
    let fake = FakeFapi::two_sessions();
    fake.token_ttl_secs.set(5);
    let clerk = loaded(&fake);
    let leeway = |secs| GetTokenOptions { leeway_secs: Some(secs), ..Default::default() };
    let first = token(&clerk, "sess_a", leeway(1)).unwrap();
    // Trusted for 4 s: `exp - iat`, less the second `iat` may have rounded off.
    fake.clock.advance_secs(2);
    assert_eq!(token(&clerk, "sess_a", leeway(1)).unwrap(), first);
    fake.clock.advance_secs(2);
    assert_ne!(token(&clerk, "sess_a", leeway(1)).unwrap(), first);
}

/// Found by the browser fault scenario: a token minted at x.7 s has `iat` x, so counting
/// `exp - iat` from its arrival kept it 0.7 s past its `exp`.
#[test]
fn a_token_is_never_served_past_its_exp_whatever_iat_rounded_off() {
    let fake = FakeFapi::two_sessions();
    fake.token_ttl_secs.set(5);
    fake.clock.auto_advance.set(false);
    let clerk = loaded(&fake);
    let now_ms = fake.clock.now_ms();
    fake.clock.advance_ms(1_700 - now_ms % 1_000); // x.700 s
    let first = token(&clerk, "sess_a", GetTokenOptions { leeway_secs: Some(0), ..Default::default() }).unwrap();
    let exp_ms = claims(&first).exp as u64 * 1000;
    fake.clock.advance_ms(exp_ms + 200 - fake.clock.now_ms()); // 200 ms after exp
    let later = token(&clerk, "sess_a", GetTokenOptions { leeway_secs: Some(0), ..Default::default() }).unwrap();
    assert_ne!(later, first, "an expired token was served");
    assert!(claims(&later).exp as u64 * 1000 > fake.clock.now_ms());
}

#[test]
fn concurrent_callers_share_one_request() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.hold.set(true);
    let mut pool = LocalPool::new();
    let pending: Vec<_> = (0..50).map(|_| spawn_get_token(&pool, &clerk, "sess_a", GetTokenOptions::default())).collect();
    pool.run_until_stalled();
    assert_eq!(fake.count("/sess_a/tokens"), 1);
    assert!(pending.iter().all(|p| p.borrow().is_none()), "nobody has an answer before the server's");
    fake.release();
    pool.run_until_stalled();
    let results: Vec<String> = pending.iter().map(|p| p.borrow_mut().take().unwrap().unwrap()).collect();
    assert_eq!(results.len(), 50);
    assert!(results.iter().all(|t| *t == results[0]));
    assert_eq!(fake.count("/sess_a/tokens"), 1);
}

#[test]
fn skip_cache_forces_a_request_and_refreshes_the_entry() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let first = plain(&clerk, "sess_a");
    let forced = token(&clerk, "sess_a", GetTokenOptions { skip_cache: true, ..Default::default() }).unwrap();
    assert_ne!(forced, first);
    assert_eq!(plain(&clerk, "sess_a"), forced);
    assert_eq!(fake.count("/sess_a/tokens"), 2);
}

/// As clerk-js: a forced token reaches listeners, once, on the session's `lastActiveToken`.
#[test]
fn a_forced_token_is_emitted_with_the_session() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    plain(&clerk, "sess_a");
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    clerk.add_listener(Rc::new(move |r: &Resources| {
        let jwt = r.session.value().and_then(|s| s.last_active_token.as_ref()?.jwt.clone());
        sink.borrow_mut().push(jwt);
        Ok(())
    }));
    let forced = token(&clerk, "sess_a", GetTokenOptions { skip_cache: true, ..Default::default() }).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2, "the initial call and one emission for the forced token: {seen:?}");
    assert_eq!(seen[1].as_deref(), Some(forced.as_str()));
    assert_eq!(clerk.session("sess_a").unwrap().last_active_token.unwrap().jwt.as_deref(), Some(forced.as_str()));
}

/// The server may send the same token again (minted within the same second): a forced one is
/// emitted all the same, as clerk-js emits every `getToken()`'s token; a cached one is not.
#[test]
fn a_forced_token_the_server_sent_unchanged_is_emitted_again() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let first = plain(&clerk, "sess_a");
    let log = recorder(&clerk);
    let before = log.borrow().len();
    fake.respond_once("/sess_a/tokens", 200, &[r#"{"object":"token","jwt":""#, &first, r#""}"#].concat());
    let forced = token(&clerk, "sess_a", GetTokenOptions { skip_cache: true, ..Default::default() }).unwrap();
    assert_eq!(forced, first);
    assert_eq!(log.borrow().len(), before + 1, "one emission for the forced token");
    plain(&clerk, "sess_a");
    assert_eq!(log.borrow().len(), before + 1, "a cached token emits nothing");
}

#[test]
fn entries_are_keyed_by_organization_and_template() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let org = |id: &str| GetTokenOptions { organization: Selection::Id(id.into()), ..Default::default() };
    let personal = plain(&clerk, "sess_a");
    let org_1 = token(&clerk, "sess_a", org("org_1")).unwrap();
    let template = token(&clerk, "sess_a", GetTokenOptions { template: Some("demo".into()), ..Default::default() }).unwrap();
    assert!(claims(&personal).o.is_none());
    assert_eq!(claims(&org_1).o.unwrap().id, "org_1");
    assert_eq!(claims(&template).extra["template"], "demo");
    // Each is now cached under its own key.
    assert_eq!(token(&clerk, "sess_a", org("org_1")).unwrap(), org_1);
    assert_eq!(plain(&clerk, "sess_a"), personal);
    assert_eq!(fake.count("/sess_a/tokens"), 2);
    assert_eq!(fake.count("/sess_a/tokens/demo"), 1);
    let sent: Vec<_> =
        fake.requests.borrow().iter().filter(|r| r.path.ends_with("/tokens")).map(|r| r.form["organization_id"].clone()).collect();
    assert_eq!(sent, ["", "org_1"]);
    // A template token for an organization says which one: it is cached under that organization.
    let template_org = GetTokenOptions { template: Some("demo".into()), organization: Selection::Id("org_1".into()), ..Default::default() };
    token(&clerk, "sess_a", template_org).unwrap();
    let sent: Vec<_> =
        fake.requests.borrow().iter().filter(|r| r.path.ends_with("/tokens/demo")).map(|r| r.form["organization_id"].clone()).collect();
    assert_eq!(sent, ["", "org_1"]);
}

#[test]
fn the_session_organization_is_the_default_and_follows_set_active() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    // The touch answer carried a token for org_1: no /tokens request is needed.
    let t = plain(&clerk, "sess_a");
    assert_eq!(claims(&t).o.unwrap().id, "org_1");
    assert_eq!(fake.count("/tokens"), 0);
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_2".into()), None)).unwrap();
    assert_eq!(claims(&plain(&clerk, "sess_a")).o.unwrap().id, "org_2");
}

#[test]
fn a_token_in_flight_across_set_active_never_reaches_the_other_session() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.hold.set(true);
    let mut pool = LocalPool::new();
    let got = spawn_get_token(&pool, &clerk, "sess_a", GetTokenOptions::default());
    let c = clerk.clone();
    pool.spawner().spawn_local(async move { c.set_active(Selection::Id("sess_b".into()), Selection::Keep, None).await.unwrap() }).unwrap();
    pool.run_until_stalled();
    fake.release();
    pool.run_until_stalled();
    assert_eq!(describe(&clerk.resources()), "sess_b:null");
    let for_a = got.borrow_mut().take().unwrap().unwrap();
    assert_eq!(claims(&for_a).sid.as_deref(), Some("sess_a"));
    let for_b = plain(&clerk, "sess_b");
    assert_eq!(claims(&for_b).sid.as_deref(), Some("sess_b"));
}

#[test]
fn a_token_for_the_wrong_session_or_org_is_refused_and_not_cached() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let wrong = fake.mint("sess_b", None, None);
    fake.respond_once("/sess_a/tokens", 200, &format!(r#"{{"object":"token","jwt":"{wrong}"}}"#));
    let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
    assert_eq!(err.code, "unexpected_response");
    let wrong_org = fake.mint("sess_a", Some("org_2"), None);
    fake.respond_once("/sess_a/tokens", 200, &format!(r#"{{"object":"token","jwt":"{wrong_org}"}}"#));
    let err = token(&clerk, "sess_a", GetTokenOptions { organization: Selection::Id("org_1".into()), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, "unexpected_response");
    assert_eq!(claims(&plain(&clerk, "sess_a")).sid.as_deref(), Some("sess_a"));
    assert_eq!(fake.count("/sess_a/tokens"), 3);
}

#[test]
fn malformed_token_answers_are_typed_errors_and_leave_no_entry() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    for body in [r#"{"object":"token"}"#, "not json", r#"{"object":"token","jwt":"a.b"}"#, r#"{"object":"token","jwt":"a.e30.c"}"#] {
        fake.respond_once("/sess_a/tokens", 200, body);
        let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
        assert_eq!((err.code.as_str(), err.status), ("unexpected_response", Some(200)), "{body}");
    }
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
    plain(&clerk, "sess_a");
    assert_eq!(fake.count("/sess_a/tokens"), 5);
}

#[test]
fn a_failed_request_leaves_no_entry_and_errors_are_typed() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.respond_once("/sess_a/tokens", 422, r#"{"errors":[{"code":"form_param_invalid","message":"bad","long_message":"Bad organization","meta":{"param_name":"organization_id"}}]}"#);
    let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("form_param_invalid", Some(422)));
    assert_eq!(err.meta.unwrap().get("param_name").and_then(|p| p.as_str()), Some("organization_id"));
    plain(&clerk, "sess_a");
    assert_eq!(fake.count("/sess_a/tokens"), 2);
}

#[test]
fn throw_on_error_false_resolves_to_none() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.respond_once("/sess_a/tokens", 401, r#"{"errors":[{"code":"authentication_invalid","message":"Unauthorized"}]}"#);
    let quiet = GetTokenOptions { throw_on_error: false, ..Default::default() };
    assert_eq!(token(&clerk, "sess_a", quiet), Ok(String::new()), "throwOnError: false resolves to an empty string");
}

#[test]
fn retries_back_off_and_honour_retry_after() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.respond_once_retry_after("/sess_a/tokens", 429, 3);
    fake.respond_once("/sess_a/tokens", 503, "");
    plain(&clerk, "sess_a");
    assert_eq!(fake.count("/sess_a/tokens"), 3);
    let sleeps = fake.clock.sleeps.borrow();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= 3000, "Retry-After ignored: {sleeps:?}");
}

#[test]
fn retries_give_up_with_a_typed_error() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    for _ in 0..4 {
        fake.respond_once("/sess_a/tokens", 500, r#"{"errors":[{"code":"internal","message":"down"}]}"#);
    }
    let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("internal", Some(500)));
    assert_eq!(fake.count("/sess_a/tokens"), 4);
}

#[test]
fn ended_and_removed_sessions_drop_their_tokens_and_mint_none() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    plain(&clerk, "sess_a");
    plain(&clerk, "sess_b");
    let ended = block_on(clerk.session_end("sess_a")).unwrap();
    assert_eq!(ended.status, "ended");
    assert_eq!(describe(&clerk.resources()), "null:null");
    let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
    assert_eq!(err.code, "session_not_active");
    assert!(err.long_message.unwrap().contains("ended"));
    block_on(clerk.session_remove("sess_b")).unwrap();
    assert_eq!(token(&clerk, "sess_b", GetTokenOptions::default()).unwrap_err().code, "session_not_active");
    assert_eq!(fake.count("/tokens"), 2);
}

#[test]
fn a_session_ended_elsewhere_while_minting_gets_an_error() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.hold.set(true);
    *fake.hold_only.borrow_mut() = Some("/tokens".into());
    let mut pool = LocalPool::new();
    let got = spawn_get_token(&pool, &clerk, "sess_a", GetTokenOptions::default());
    pool.run_until_stalled();
    block_on(clerk.session_end("sess_a")).unwrap(); // ends while the token request is under way
    fake.release();
    pool.run_until_stalled();
    assert_eq!(got.borrow_mut().take().unwrap().unwrap_err().code, "session_not_active");
}

#[test]
fn client_destroy_and_remove_sessions_forget_everything() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    plain(&clerk, "sess_a");
    block_on(clerk.client_remove_sessions()).unwrap();
    assert_eq!(clerk.client().unwrap().signed_in_sessions().count(), 0);
    assert_eq!(describe(&clerk.resources()), "null:null");

    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    plain(&clerk, "sess_a");
    block_on(clerk.client_destroy()).unwrap();
    let client = clerk.client().unwrap();
    assert_eq!((client.id.as_str(), client.sessions.len()), ("", 0));
    assert_eq!(clerk.session_or_last_known("sess_a").unwrap().status, "active", "as the client last listed it");
    assert!(clerk.client_is_new());
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert_eq!(token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err().code, "session_not_active");
}

#[test]
fn server_errors_keep_their_status_and_envelope() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.respond_once("/sess_a/end", 401, r#"{"errors":[{"code":"authentication_invalid","message":"Unauthorized request","long_message":"You are signed out"},{"code":"second","message":"two"}]}"#);
    let err = block_on(clerk.session_end("sess_a")).unwrap_err();
    assert_eq!((err.code.as_str(), err.status, err.errors.len()), ("authentication_invalid", Some(401), 2));
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
}

#[test]
fn token_requests_tell_the_tab_state_and_a_forced_one_says_skip_cache() {
    let fake = FakeFapi::two_sessions();
    // A tab the user is looking at.
    let clerk = fake.clerk_with(Rc::new(NoCookies), Some("focused"));
    block_on(clerk.load()).unwrap();
    token(&clerk, "sess_a", GetTokenOptions::default()).unwrap();
    token(&clerk, "sess_a", GetTokenOptions { skip_cache: true, ..Default::default() }).unwrap();
    token(&clerk, "sess_a", GetTokenOptions { template: Some("demo".into()), ..Default::default() }).unwrap();
    let requests = fake.requests.borrow();
    let tokens: Vec<_> = requests.iter().filter(|r| r.path.contains("/tokens")).collect();
    assert_eq!(tokens.len(), 3, "{:?}", tokens.iter().map(|r| &r.path).collect::<Vec<_>>());
    // As clerk-js: the tab state with session tokens (not template ones), `debug=skip_cache` only
    // when the caller forced a fresh token.
    assert_eq!(tokens[0].form.get("tab_state").map(String::as_str), Some("focused"));
    assert_eq!(tokens[0].query.get("debug"), None);
    assert_eq!(tokens[1].form.get("tab_state").map(String::as_str), Some("focused"));
    assert_eq!(tokens[1].query.get("debug").map(String::as_str), Some("skip_cache"));
    assert_eq!(tokens[2].form.get("tab_state"), None);
    assert_eq!(tokens[2].query.get("debug"), None);
}

#[test]
fn a_401_for_a_session_ended_elsewhere_reads_the_client_again_and_signs_it_out_here() {
    // As clerk-js's handleUnauthenticated: the server removed sess_a (another tab, another
    // device, or a sign-out whose answer was lost), and the next request for it answers 401.
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let heard = recorder(&clerk);
    fake.set_session_status("sess_a", "removed");
    let before = fake.count("/v1/client");
    let err = token(&clerk, "sess_a", GetTokenOptions::default()).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("authentication_invalid", Some(401)), "the caller still gets the 401");
    assert_eq!(fake.count("/v1/client"), before + 1, "one GET /client");
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert_eq!(heard.borrow().last().map(String::as_str), Some("null:null"), "listeners heard it");
    // throwOnError: false hides the error, not the recheck; and nothing is rechecked once no
    // session is active.
    let quiet = GetTokenOptions { throw_on_error: false, ..Default::default() };
    assert_eq!(token(&clerk, "sess_a", quiet), Ok(String::new()));
    assert_eq!(fake.count("/v1/client"), before + 1);
}

#[test]
fn a_401_through_call_rechecks_but_a_captcha_demand_or_a_still_signed_in_session_changes_nothing() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let before = fake.count("/v1/client");
    let touch = |clerk: &Clerk| block_on(clerk.call(Call::TouchSession, r#"{"session":"sess_a"}"#, None)).unwrap_err();
    fake.respond_once("/sess_a/touch", 401, r#"{"errors":[{"code":"requires_captcha","message":"captcha"}]}"#);
    assert_eq!(touch(&clerk).code, "requires_captcha");
    assert_eq!(fake.count("/v1/client"), before, "a captcha demand is not a sign-out");
    fake.respond_once("/sess_a/touch", 401, r#"{"errors":[{"code":"authentication_invalid","message":"Unauthorized"}]}"#);
    assert_eq!(touch(&clerk).status, Some(401));
    assert_eq!(fake.count("/v1/client"), before + 1, "rechecked");
    assert_eq!(describe(&clerk.resources()), "sess_a:null", "the server still has sess_a: it stays active");
}
