//! An instance over long use: a tab's own state echoed back never cancels a `setActive`, the
//! background refresh keeps one timer however often the session changes, and `dispose` stops
//! everything.

mod support;

use support::*;

#[test]
fn an_echo_of_this_tabs_own_state_does_not_cancel_set_active() {
    let fake = FakeFapi::two_sessions();
    fake.clock.auto_advance.set(false);
    let hub = TabHub::new();
    let (a, _b) = (fake.tab(&hub), fake.tab(&hub));
    block_on(a.load()).unwrap();
    hub.deliver();
    let echo = hub.posted.borrow().first().cloned().expect("tab A posted its state");
    let log = recorder(&a);

    // The touch of setActive is held until the other tab's echo has arrived.
    *fake.hold_only.borrow_mut() = Some("/touch".into());
    fake.hold.set(true);
    let mut pool = futures::executor::LocalPool::new();
    let outcome = spawn_set_active(&pool, &a, "sess_b");
    pool.run_until_stalled();
    assert!(outcome.borrow().is_none(), "setActive waits for its touch");
    a.receive_broadcast(&echo);
    fake.release();
    pool.run_until_stalled();

    assert_eq!(outcome.borrow_mut().take(), Some(Ok(())));
    assert_eq!(describe(&a.resources()), "sess_b:null", "the switch happened");
    assert_eq!(log.borrow().last().map(String::as_str), Some("sess_b:null"), "and listeners saw it");
}

/// A tab with no session selected (one that has just heard of a new session while polling for
/// an email link) has no opinion on this tab's selection: its state neither cancels a
/// `setActive` under way nor clears the active session. Found by the email-link flow's two tabs.
#[test]
fn a_tab_without_a_selection_does_not_cancel_set_active() {
    let (fake, _hub, a, _b) = two_tabs();
    let no_selection = r#"{"t":"state","active":null,"org":null,"sessions":[["sess_a","active"],["sess_b","active"]]}"#;
    *fake.hold_only.borrow_mut() = Some("/touch".into());
    fake.hold.set(true);
    let mut pool = futures::executor::LocalPool::new();
    let outcome = spawn_set_active(&pool, &a, "sess_b");
    pool.run_until_stalled();
    a.receive_broadcast(no_selection);
    fake.release();
    pool.run_until_stalled();
    assert_eq!(outcome.borrow_mut().take(), Some(Ok(())));
    assert_eq!(describe(&a.resources()), "sess_b:null", "the switch happened");
    a.receive_broadcast(&no_selection.replace("sess_a", "sess_x"));
    assert_eq!(describe(&a.resources()), "sess_b:null", "still selected");
}

/// ... but the statuses it reports count: the active session ended there is dropped here.
#[test]
fn a_tab_without_a_selection_still_reports_an_ended_session() {
    let (_fake, _hub, a, _b) = two_tabs();
    assert!(describe(&a.resources()).starts_with("sess_a:"));
    a.receive_broadcast(r#"{"t":"state","active":null,"org":null,"sessions":[["sess_a","ended"],["sess_b","active"]]}"#);
    assert_eq!(describe(&a.resources()), "null:null");
    assert_eq!(a.session("sess_a").map(|s| s.status).as_deref(), Some("ended"));
}

#[test]
fn a_differing_state_from_another_tab_still_supersedes_set_active() {
    let (fake, hub, a, b) = two_tabs();
    *fake.hold_only.borrow_mut() = Some("/touch".into());
    fake.hold.set(true);
    let mut pool = futures::executor::LocalPool::new();
    let done = spawn_set_active(&pool, &a, "sess_b");
    pool.run_until_stalled();
    // Tab B switches the organization meanwhile: a real change, which wins.
    fake.release();
    block_on(b.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    fake.hold.set(true);
    hub.deliver();
    fake.release();
    pool.run_until_stalled();
    assert_eq!(done.borrow_mut().take(), Some(Ok(())));
    // Superseded: tab A never switched to sess_b. (Its held touch answer, computed before tab
    // B's switch, then reinstalls the client as the server last described it to tab A.)
    assert!(describe(&a.resources()).starts_with("sess_a:"), "{}", describe(&a.resources()));
}

#[test]
fn switching_often_keeps_one_refresh_timer() {
    let fake = FakeFapi::two_sessions();
    fake.clock.auto_advance.set(false);
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    for round in 0..200 {
        let id = if round % 2 == 0 { "sess_b" } else { "sess_a" };
        block_on(clerk.set_active(Selection::Id(id.into()), Selection::Keep, None)).unwrap();
        block_on(clerk.get_token(id, &GetTokenOptions { skip_cache: round % 3 == 0, ..Default::default() })).unwrap();
        fake.run_background();
    }
    assert!(fake.clock.pending.get() <= 1, "{} timers pending after 200 switches", fake.clock.pending.get());
}

#[test]
fn dispose_stops_refresh_tab_sync_and_every_operation() {
    let (fake, hub, a, b) = two_tabs();
    block_on(a.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    fake.run_background();
    assert_eq!(fake.clock.pending.get(), 1, "the refresh timer");
    let log = recorder(&a);
    let heard = log.borrow().len();

    a.dispose();
    a.dispose(); // idempotent
    fake.run_background();
    assert_eq!(fake.clock.pending.get(), 0, "the refresh timer is cleared");
    assert_eq!(*hub.closed.borrow(), vec![0], "the tab channel is closed");
    let requests = fake.requests.borrow().len();
    fake.clock.advance_secs(3600);
    fake.run_background();
    let error = block_on(a.get_token("sess_a", &GetTokenOptions::default())).unwrap_err();
    assert_eq!(error.code, "clerk_disposed");
    assert_eq!(block_on(a.load()).unwrap_err().code, "clerk_disposed");
    assert_eq!(block_on(a.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap_err().code, "clerk_disposed");
    // Another tab's news no longer reaches it.
    block_on(b.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    hub.deliver();
    assert_eq!(fake.requests.borrow().len() - requests, 1, "only tab B's touch: the disposed tab made no request");
    assert_eq!(log.borrow().len(), heard, "listeners were dropped");
}

#[test]
fn set_active_null_removes_the_session_on_the_server() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    block_on(clerk.set_active(Selection::Clear, Selection::Keep, None)).unwrap();
    assert_eq!(fake.count("/sess_a/remove"), 1);
    assert_eq!(describe(&clerk.resources()), "null:null");
    // A reload does not bring it back: the server no longer lists it as signed in.
    block_on(clerk.client_reload()).unwrap();
    assert_eq!(describe(&clerk.resources()), "null:null");
    assert!(clerk.signed_in_session("sess_a").is_none());
}
