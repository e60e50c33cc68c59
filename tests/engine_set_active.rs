//! setActive / setSession semantics: the three observable steps, supersession, failures.

mod support;

use futures::FutureExt;
use futures::channel::oneshot;
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

#[test]
fn load_uses_dev_browser_and_picks_the_last_active_session() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    let log = recorder(&clerk);
    block_on(clerk.load()).unwrap();

    let requests = fake.requests.borrow();
    let paths: Vec<_> = requests.iter().map(|r| (r.path.as_str(), r.query.get("_method").cloned())).collect();
    assert_eq!(paths, [("/v1/dev_browser", None), ("/v1/environment", Some("PATCH".into())), ("/v1/client", None)]);
    assert!(requests[1..].iter().all(|r| r.query.get("__clerk_db_jwt").map(String::as_str) == Some("dvb_test")));
    assert_eq!(*log.borrow(), ["undefined:undefined", "sess_a:null"]);
    assert!(clerk.loaded());
    assert_eq!(clerk.resources().user.value().unwrap().get("id").and_then(|id| id.as_str()), Some("user_a"));
}

#[test]
fn a_frontend_api_at_the_pages_own_origin_needs_no_dev_browser() {
    // Same origin: the `__client` cookie is first-party, so clerk-rs, like clerk-js for such a
    // key, identifies the browser by the cookie and saves the `POST /v1/dev_browser`.
    let fake = FakeFapi::two_sessions();
    let options = ClerkOptions { proxy_url: Some(PROXY.into()), page_origin: Some(PROXY.trim_end_matches('/').into()) };
    // A development key whose Frontend API is not one of Clerk's own hosts (clerk.example.com).
    let clerk = fake.try_clerk("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", options).unwrap();
    block_on(clerk.load()).unwrap();
    let requests = fake.requests.borrow();
    let paths: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/v1/environment", "/v1/client"]);
    assert!(requests.iter().all(|r| !r.query.contains_key("__clerk_db_jwt")));
    assert_eq!(clerk.dev_browser_token(), None);
}

#[test]
fn dev_browser_is_used_across_origins_and_always_on_clerks_own_dev_hosts() {
    let proxy = "http://127.0.0.1:4001";
    assert!(!fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), Some(proxy)));
    assert!(!fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), Some("http://127.0.0.1:4001/")));
    // Another port, another scheme, no page at all, an opaque origin: a cookie may not reach it.
    assert!(fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), Some("http://127.0.0.1:5173")));
    assert!(fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), Some("https://127.0.0.1:4001")));
    assert!(fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), None));
    assert!(fapi::needs_dev_browser("127.0.0.1:4001", &format!("{proxy}/v1"), Some("null")));
    // A proxy path at the page's origin counts as the page's origin.
    assert!(!fapi::needs_dev_browser("clerk.example.com", &format!("{proxy}/__clerk/v1"), Some(proxy)));
    // Clerk's development hosts: always, even behind a same-origin proxy (as clerk-js).
    assert!(fapi::needs_dev_browser("clerk.stub.accounts.dev", &format!("{proxy}/v1"), Some(proxy)));
    assert!(fapi::needs_dev_browser("foo.lcl.dev", "https://foo.lcl.dev/v1", Some("https://foo.lcl.dev")));
}

#[test]
fn load_signed_out_gives_null_session() {
    let fake = FakeFapi::signed_out();
    let clerk = loaded(&fake);
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert!(clerk.client_is_new());
}

#[test]
fn three_steps_undefined_then_before_emit_then_new_session() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    let seen_by_before_emit = log.clone();
    let clerk_in_callback = clerk.clone();
    let before_emit: BeforeEmit = Box::new(move |session| {
        // At this moment listeners have seen `undefined` and the state reads undefined too.
        let now = describe(&clerk_in_callback.resources());
        seen_by_before_emit.borrow_mut().push(format!("beforeEmit({}) while {now}", session.unwrap().id));
        async { Ok(()) }.boxed_local()
    });
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, Some(before_emit))).unwrap();
    assert_eq!(*log.borrow(), ["sess_a:null", "undefined:undefined", "beforeEmit(sess_b) while undefined:undefined", "sess_b:null"]);
    assert_eq!(fake.count("/sess_b/touch"), 1);
    let touch = fake.requests.borrow().iter().find(|r| r.path.ends_with("/touch")).cloned().unwrap();
    assert_eq!(touch.form.get("intent").map(String::as_str), Some("select_session"));
}

#[test]
fn a_promise_from_before_emit_is_awaited() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    let (release, gate) = oneshot::channel::<()>();
    let before_emit: BeforeEmit = Box::new(move |_| async move { gate.await.map_err(|_| ClerkError::new("x", "dropped")) }.boxed_local());
    let mut pool = LocalPool::new();
    let done = Rc::new(RefCell::new(None));
    let (c, d) = (clerk.clone(), done.clone());
    pool.spawner()
        .spawn_local(async move {
            let outcome = c.set_active(Selection::Id("sess_b".into()), Selection::Keep, Some(before_emit)).await;
            *d.borrow_mut() = Some(outcome);
        })
        .unwrap();
    pool.run_until_stalled();
    assert!(done.borrow().is_none(), "setActive must wait for beforeEmit's promise");
    assert_eq!(describe(&clerk.resources()), "undefined:undefined");
    release.send(()).unwrap();
    pool.run_until_stalled();
    assert_eq!(done.borrow_mut().take().unwrap(), Ok(()));
    assert_eq!(*log.borrow(), ["sess_a:null", "undefined:undefined", "sess_b:null"]);
}

#[test]
fn a_later_set_active_supersedes_an_earlier_one_in_flight() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    let (release_first, gate) = oneshot::channel::<()>();
    let slow: BeforeEmit = Box::new(move |_| async move { gate.await.map_err(|_| ClerkError::new("x", "dropped")) }.boxed_local());
    let mut pool = LocalPool::new();
    let results = Rc::new(RefCell::new(Vec::new()));
    let (c, r) = (clerk.clone(), results.clone());
    pool.spawner()
        .spawn_local(async move {
            let outcome = c.set_active(Selection::Id("sess_b".into()), Selection::Keep, Some(slow)).await;
            r.borrow_mut().push(("first", outcome));
        })
        .unwrap();
    pool.run_until_stalled(); // the first call now waits in beforeEmit
    let (c, r) = (clerk.clone(), results.clone());
    pool.spawner()
        .spawn_local(async move {
            let outcome = c.set_active(Selection::Id("sess_a".into()), Selection::Keep, None).await;
            r.borrow_mut().push(("second", outcome));
        })
        .unwrap();
    pool.run_until_stalled();
    release_first.send(()).unwrap();
    pool.run_until_stalled();

    assert_eq!(*results.borrow(), [("second", Ok(())), ("first", Ok(()))]);
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
    let log = log.borrow();
    assert_eq!(log.last().unwrap(), "sess_a:null");
    assert!(!log.iter().any(|s| s.starts_with("sess_b")), "the superseded call emitted its session: {log:?}");
}

#[test]
fn a_throwing_listener_does_not_stop_the_others() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    clerk.add_listener(Rc::new(|_: &Resources| Err("listener exploded".to_owned())));
    let log = recorder(&clerk);
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    assert_eq!(*log.borrow(), ["sess_a:null", "undefined:undefined", "sess_b:null"]);
    assert_eq!(clerk.take_listener_errors().len(), 3); // once at registration, twice for the switch
}

#[test]
fn a_failing_before_emit_rejects_but_completes_the_switch() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    let failing: BeforeEmit = Box::new(|_| async { Err(ClerkError::new("navigation_failed", "router threw")) }.boxed_local());
    let err = block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, Some(failing))).unwrap_err();
    // What the callback threw reaches the engine as its message (the host runs the callback).
    assert_eq!((err.code.as_str(), err.message.as_str()), ("before_emit_failed", "router threw"));
    // Documented choice: the server already made sess_b active, so the client follows it.
    assert_eq!(*log.borrow(), ["sess_a:null", "undefined:undefined", "sess_b:null"]);
    assert_eq!(clerk.client().unwrap().last_active_session_id.as_deref(), Some("sess_b"));
}

#[test]
fn a_failed_touch_changes_nothing() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    fake.respond_once("/touch", 500, r#"{"errors":[{"code":"internal_error","message":"boom","long_message":"database down"}]}"#);
    let err = block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap_err();
    assert_eq!((err.code.as_str(), err.status, err.long_message.as_deref()), ("internal_error", Some(500), Some("database down")));
    assert_eq!(*log.borrow(), ["sess_a:null"]);
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
}

#[test]
fn unknown_or_ended_sessions_are_refused_before_any_request() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let before = fake.requests.borrow().len();
    let err = block_on(clerk.set_active(Selection::Id("sess_nope".into()), Selection::Keep, None)).unwrap_err();
    assert_eq!(err.code, "session_not_found");
    assert_eq!(fake.requests.borrow().len(), before);
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
}

#[test]
fn null_session_signs_out_locally_in_three_steps() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let log = recorder(&clerk);
    block_on(clerk.set_active(Selection::Clear, Selection::Keep, None)).unwrap();
    assert_eq!(*log.borrow(), ["sess_a:null", "undefined:undefined", "null:null"]);
    assert_eq!(fake.count("/touch"), 0);
}

#[test]
fn organization_by_id_or_slug_and_null_for_personal() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    assert_eq!(describe(&clerk.resources()), "sess_a:org_1");
    block_on(clerk.set_active(Selection::Keep, Selection::Id("slug-org_2".into()), None)).unwrap();
    assert_eq!(describe(&clerk.resources()), "sess_a:org_2");
    block_on(clerk.set_active(Selection::Keep, Selection::Clear, None)).unwrap();
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
    // An organization the client's memberships do not show is looked for on a fresh client
    // (one GET /client), then refused without a touch.
    let (touches, reloads) = (fake.count("/touch"), fake.count("/client"));
    let err = block_on(clerk.set_active(Selection::Keep, Selection::Id("org_9".into()), None)).unwrap_err();
    assert_eq!(err.code, "organization_not_found");
    assert_eq!((fake.count("/touch"), fake.count("/client")), (touches, reloads + 1));
    let intents: Vec<String> =
        fake.requests.borrow().iter().filter(|r| r.path.ends_with("/touch")).map(|r| r.form["intent"].clone()).collect();
    assert_eq!(intents, ["select_org", "select_org", "select_org"], "an organization-only switch, as clerk-js says it");
    // One the fresh client shows (an admin added the user meanwhile) is set active.
    let org_3 = "org_3";
    fake.client.borrow_mut()["sessions"][0]["user"]["organization_memberships"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"object": "organization_membership", "id": "orgmem_3", "role": "org:member", "permissions": [],
            "organization": {"object": "organization", "id": org_3, "name": "Three", "slug": "three"}}));
    block_on(clerk.set_active(Selection::Keep, Selection::Id(org_3.into()), None)).unwrap();
    assert_eq!(describe(&clerk.resources()), ["sess_a:", org_3].concat());
    block_on(clerk.set_active(Selection::Keep, Selection::Clear, None)).unwrap();
    assert_eq!(describe(&clerk.resources()), "sess_a:null", "a refused switch changes nothing");
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    assert_eq!(fake.requests.borrow().last().unwrap().form["intent"], "select_session");
}

#[test]
fn add_listener_calls_at_once_and_unsubscribes() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let id = clerk.add_listener(Rc::new(move |_: &Resources| {
        *c.borrow_mut() += 1;
        Ok(())
    }));
    assert_eq!(*calls.borrow(), 1);
    clerk.remove_listener(id);
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    assert_eq!(*calls.borrow(), 1);
}

#[test]
fn not_loaded_is_a_typed_error() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    let err = block_on(clerk.set_active(Selection::Clear, Selection::Keep, None)).unwrap_err();
    assert_eq!(err.code, "clerk_not_loaded");
}

#[test]
fn malformed_client_at_load_is_a_typed_error_and_nothing_is_loaded() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    fake.respond_once("/v1/client", 200, "<html>not json</html>");
    let err = block_on(clerk.load()).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("unexpected_response", Some(200)));
    assert!(!clerk.loaded());
    assert!(clerk.client().is_none());
    block_on(clerk.load()).unwrap(); // and a retry works
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
}

#[test]
fn malformed_touch_answer_leaves_state_unchanged() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded(&fake);
    fake.respond_once("/touch", 200, r#"{"response": 5, "client": {"sessions": "nope"}}"#);
    let err = block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap_err();
    assert_eq!(err.code, "unexpected_response");
    assert_eq!(describe(&clerk.resources()), "sess_a:null");
    assert_eq!(clerk.client().unwrap().sessions.len(), 2);
}

#[test]
fn invalid_publishable_keys_and_proxy_urls_are_typed_errors() {
    let fake = FakeFapi::two_sessions();
    for key in ["", "sk_test_abc", "pk_test_!!!", "pk_test_bG9jYWxob3N0JA=="] {
        let err = fake.try_clerk(key, ClerkOptions::default()).err().unwrap();
        assert_eq!(err.code, "invalid_publishable_key", "{key}");
        assert!(err.long_message.is_some());
    }
    let err = fake.try_clerk(PK_DEV, ClerkOptions { proxy_url: Some("ftp://x".into()), ..Default::default() }).err().unwrap();
    assert_eq!(err.code, "invalid_argument");
    let clerk = fake.try_clerk(PK_DEV, ClerkOptions::default()).unwrap();
    assert_eq!(clerk.fapi_base_url(), "https://clerk.example.accounts.dev/v1");
}

/// A relative `proxyUrl` (`/__clerk`, as the framework SDKs pass through the script build) is on
/// the page's own origin, as clerk-js's `proxyUrlToAbsoluteURL` resolves it; without a page (no
/// origin to resolve against) it is refused like any other non-absolute URL.
#[test]
fn a_relative_proxy_url_is_resolved_against_the_page_origin() {
    let fake = FakeFapi::two_sessions();
    let relative = |proxy: &str, origin: Option<&str>| ClerkOptions { proxy_url: Some(proxy.into()), page_origin: origin.map(Into::into) };
    let clerk = fake.try_clerk(PK_DEV, relative("/__clerk", Some("http://localhost:3000"))).unwrap();
    assert_eq!(clerk.proxy_url(), Some("http://localhost:3000/__clerk"));
    assert_eq!(clerk.fapi_base_url(), "http://localhost:3000/__clerk/v1");
    // A trailing slash on either side makes no double slash.
    let clerk = fake.try_clerk(PK_DEV, relative("/api/clerk/", Some("https://app.example.com/"))).unwrap();
    assert_eq!(clerk.fapi_base_url(), "https://app.example.com/api/clerk/v1");
    // An absolute one is kept as it is, whatever the page.
    let clerk = fake.try_clerk(PK_DEV, relative("http://127.0.0.1:4000", Some("http://localhost:3000"))).unwrap();
    assert_eq!(clerk.fapi_base_url(), "http://127.0.0.1:4000/v1");
    let err = fake.try_clerk(PK_DEV, relative("/__clerk", None)).err().unwrap();
    assert_eq!(err.code, "invalid_argument");
    assert!(err.message.contains("/__clerk"), "{}", err.message);
}
