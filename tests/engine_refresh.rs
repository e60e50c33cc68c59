//! Refresh-ahead: the active session's token is renewed in the background before it enters
//! its leeway, so getToken() is always answered from the cache; other sessions are left alone.

mod support;

use std::rc::Rc;
use support::*;

fn loaded_manual_time(fake: &Rc<FakeFapi>) -> Clerk {
    fake.clock.auto_advance.set(false);
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    clerk
}

fn plain(clerk: &Clerk, session: &str) -> String {
    block_on(clerk.get_token(session, &GetTokenOptions::default())).unwrap()
}

#[test]
fn the_active_token_is_renewed_before_its_leeway() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded_manual_time(&fake);
    let first = plain(&clerk, "sess_a");
    fake.run_background();
    // 60 s token, counted as 59 s (iat is rounded down): leeway min(10 s, 5%) = 2.95 s, margin
    // min(2 s, 2.5%) = 1.475 s → refresh at 54.575 s.
    fake.clock.advance_secs(54);
    fake.run_background();
    assert_eq!(fake.count("/sess_a/tokens"), 1);
    fake.clock.advance_secs(1);
    fake.run_background();
    assert_eq!(fake.count("/sess_a/tokens"), 2, "refreshed in the background");
    let before = fake.requests.borrow().len();
    fake.clock.advance_secs(2); // the first token is now inside its leeway
    let now = plain(&clerk, "sess_a");
    assert_ne!(now, first);
    assert_eq!(fake.requests.borrow().len(), before, "getToken did not wait on the network");
}

#[test]
fn ten_short_lifetimes_cost_one_request_each_and_no_call_waits() {
    let fake = FakeFapi::two_sessions();
    fake.token_ttl_secs.set(5); // as the benchmark runs the server
    let clerk = loaded_manual_time(&fake);
    plain(&clerk, "sess_a");
    let mut waited = 0;
    for _ in 0..(10 * 5 * 4) {
        // every 250 ms for ten lifetimes
        fake.clock.advance_ms(250);
        fake.run_background();
        let before = fake.count("/sess_a/tokens");
        plain(&clerk, "sess_a");
        if fake.count("/sess_a/tokens") != before {
            waited += 1;
        }
    }
    let requests = fake.count("/sess_a/tokens");
    assert_eq!(waited, 0, "a getToken call had to fetch");
    // Each token is trusted for its lifetime less the second iat rounds off (4 s), less the
    // leeway (5%) and the refresh margin (2.5%): a renewal every 3.7 s over 50 s.
    assert!(requests <= 50 * 10 / 37 + 1, "{requests} token requests over ten lifetimes");
    assert!(requests >= 10, "{requests}: tokens must have been renewed every lifetime");
}

#[test]
fn only_the_active_session_and_organization_are_kept_warm() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded_manual_time(&fake);
    plain(&clerk, "sess_b"); // not the active session
    block_on(clerk.get_token("sess_a", &GetTokenOptions { organization: Selection::Id("org_1".into()), ..Default::default() })).unwrap();
    fake.run_background();
    fake.clock.advance_secs(120);
    fake.run_background();
    assert_eq!(fake.count("/sess_b/tokens"), 1, "inactive sessions are not refreshed");
    assert_eq!(fake.count("/sess_a/tokens"), 1, "a non-active organization is not refreshed");
}

#[test]
fn switching_session_moves_the_refresh_and_sign_out_stops_it() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded_manual_time(&fake);
    plain(&clerk, "sess_a");
    fake.run_background();
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    fake.run_background();
    fake.clock.advance_secs(56);
    fake.run_background();
    assert_eq!(fake.count("/sess_a/tokens"), 1, "the old session's refresh was cancelled");
    assert_eq!(fake.count("/sess_b/tokens"), 1, "the new active session (primed by touch) was refreshed");
    block_on(clerk.set_active(Selection::Clear, Selection::Keep, None)).unwrap();
    fake.run_background();
    fake.clock.advance_secs(120);
    fake.run_background();
    assert_eq!(fake.count("/tokens"), 2);
}

#[test]
fn callers_during_a_slow_refresh_join_it() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded_manual_time(&fake);
    plain(&clerk, "sess_a");
    fake.run_background();
    fake.hold.set(true);
    fake.clock.advance_secs(56); // the refresh starts and hangs on the network
    fake.run_background();
    assert_eq!(fake.count("/sess_a/tokens"), 2);
    fake.clock.advance_secs(2); // old token now inside its leeway: callers must wait for the refresh
    let mut pool = futures::executor::LocalPool::new();
    let pending: Vec<_> = (0..5).map(|_| spawn_get_token(&pool, &clerk, "sess_a", GetTokenOptions::default())).collect();
    pool.run_until_stalled();
    assert_eq!(fake.count("/sess_a/tokens"), 2, "callers joined the refresh");
    fake.release();
    fake.run_background();
    pool.run_until_stalled();
    let got: Vec<String> = pending.iter().map(|p| p.borrow_mut().take().unwrap().unwrap()).collect();
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|t| claims(t).iat == claims(&got[0]).iat));
}

#[test]
fn a_failed_refresh_falls_back_to_a_normal_request() {
    let fake = FakeFapi::two_sessions();
    let clerk = loaded_manual_time(&fake);
    let first = plain(&clerk, "sess_a");
    fake.run_background();
    fake.respond_once("/sess_a/tokens", 422, r#"{"errors":[{"code":"x","message":"refused"}]}"#);
    fake.clock.advance_secs(56);
    fake.run_background();
    assert_eq!(fake.count("/sess_a/tokens"), 2);
    assert_eq!(plain(&clerk, "sess_a"), first, "the old token is still good until its leeway");
    fake.clock.advance_secs(2);
    assert_ne!(plain(&clerk, "sess_a"), first);
    assert_eq!(fake.count("/sess_a/tokens"), 3);
}
