//! The engine as inputs in, commands out (`Machine`), driven by a synchronous driver: it performs
//! each `Send` against the scripted Frontend API at once (or holds it), and fires timers only when
//! the test moves time. No executor and no sleeping: time is an input.

mod support;

use clerk_rs::engine::{Call, ClerkOptions, Command, HttpRequest, Machine, NoCookies, PageReads};
use futures::FutureExt;
use std::rc::Rc;
use support::*;

/// No page: nothing stored, no tab.
struct NoPage;

impl PageReads for NoPage {
    fn stored(&self, _key: &str) -> Option<String> {
        None
    }
    fn tab_state(&self) -> Option<&'static str> {
        None
    }
}

struct Driver {
    fake: Rc<FakeFapi>,
    machine: Machine,
    now: u64,
    /// Commands seen so far, in order (the driver performed the ones it could).
    log: Vec<Command>,
    /// Requests the test holds back: `(id, request)`.
    held: Vec<(u32, HttpRequest)>,
    hold: bool,
    timers: Vec<(u32, u64)>,
    settled: Vec<(u32, Result<String, String>)>,
}

impl Driver {
    fn new(fake: &Rc<FakeFapi>) -> Driver {
        let now = fake.clock.now.get();
        let options = ClerkOptions { proxy_url: Some(PROXY.into()), ..Default::default() };
        let machine = Machine::new(PK_DEV, options, now, Rc::new(NoPage), Rc::new(NoCookies)).unwrap();
        Driver { fake: fake.clone(), machine, now, log: vec![], held: vec![], hold: false, timers: vec![], settled: vec![] }
    }

    fn call(&mut self, id: u32, op: Call, args: &str) {
        self.machine.at(self.now);
        self.machine.call(id, op, args, false);
        self.perform();
    }

    /// Performs every command until the engine waits on something the test controls.
    fn perform(&mut self) {
        loop {
            let commands = self.machine.take_commands();
            if commands.is_empty() {
                return;
            }
            for command in commands {
                self.log.push(command.clone());
                match command {
                    Command::Send { request, http } if !self.hold => self.answer(request, http),
                    Command::Send { request, http } => self.held.push((request, http)),
                    Command::SetTimer { timer, ms } => self.timers.push((timer, self.now + ms)),
                    Command::CancelTimer { timer } => self.timers.retain(|(t, _)| *t != timer),
                    Command::Resolve { call, json } => self.settled.push((call, Ok(json))),
                    // The same string as the last one resolved (see `a_cached_token_…`).
                    Command::Again { call } => {
                        let last = self.settled.iter().rev().find_map(|(_, o)| o.as_ref().ok().filter(|j| j.starts_with('"')));
                        self.settled.push((call, Ok(last.expect("a string was resolved before").clone())));
                    }
                    Command::Reject { call, error } => self.settled.push((call, Err(error))),
                    Command::Store { .. } | Command::Post { .. } | Command::BeforeEmit { .. } | Command::Retire { .. } => {}
                }
            }
        }
    }

    fn answer(&mut self, request: u32, http: HttpRequest) {
        self.fake.clock.now.set(self.now);
        let response = self.fake.send(http).now_or_never().expect("the fake answers at once").unwrap();
        self.machine.at(self.now);
        self.machine.response(request, response);
    }

    fn release(&mut self) {
        self.hold = false;
        for (request, http) in std::mem::take(&mut self.held) {
            self.answer(request, http);
        }
        self.perform();
    }

    /// Moves time to `now`, firing the timers due by then in order.
    fn advance_to(&mut self, now: u64) {
        loop {
            self.timers.sort_by_key(|(_, at)| *at);
            let Some(&(timer, at)) = self.timers.first().filter(|(_, at)| *at <= now) else { break };
            self.timers.remove(0);
            self.now = at;
            self.machine.at(self.now);
            self.machine.timer_fired(timer);
            self.perform();
        }
        self.now = now;
    }

    fn outcome(&self, call: u32) -> Option<&Result<String, String>> {
        self.settled.iter().find(|(c, _)| *c == call).map(|(_, o)| o)
    }

    fn sends(&self, path: &str) -> usize {
        self.log.iter().filter(|c| matches!(c, Command::Send { http, .. } if http.url.contains(path))).count()
    }

    fn loaded(fake: &Rc<FakeFapi>) -> Driver {
        let mut driver = Driver::new(fake);
        driver.call(1, Call::Load, "{}");
        assert_eq!(driver.outcome(1), Some(&Ok("null".to_owned())));
        driver
    }
}

const TOKEN: &str = r#"{"session":"sess_a"}"#;

#[test]
fn load_is_requests_out_and_answers_in_until_the_call_resolves() {
    let fake = FakeFapi::two_sessions();
    let driver = Driver::loaded(&fake);
    assert!(driver.machine.clerk().loaded());
    assert_eq!(driver.sends("/dev_browser"), 1, "a development instance gets its dev browser first");
    assert!(driver.sends("/v1/client?") >= 1 && driver.sends("/v1/environment?") == 1);
    assert_eq!(driver.machine.pending_count(), 0, "no token yet, so no refresh-ahead either");
    assert!(driver.timers.is_empty());
}

#[test]
fn a_cached_token_is_answered_in_the_same_input_with_no_request() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    driver.call(2, Call::GetToken, TOKEN);
    let Some(Ok(first)) = driver.outcome(2).cloned() else { panic!("{:?}", driver.outcome(2)) };
    let minted = fake.minted();
    driver.machine.at(driver.now);
    driver.machine.call(3, Call::GetToken, TOKEN, false);
    // The same token as the last string resolved: `Again`, so the JWT is not sent again.
    assert_eq!(driver.machine.take_commands(), vec![Command::Again { call: 3 }]);
    assert_eq!(fake.minted(), minted);
    // A call answering another string resolves with it in full.
    driver.machine.call(4, Call::GetToken, r#"{"session":"sess_a","options":{"template":"demo"}}"#, false);
    driver.perform();
    let Some(Ok(demo)) = driver.outcome(4).cloned() else { panic!("{:?}", driver.outcome(4)) };
    assert!(demo.starts_with('"') && demo != first, "{demo}");
    driver.call(5, Call::GetToken, TOKEN);
    assert_eq!(driver.outcome(5), Some(&Ok(first)));
}

#[test]
fn concurrent_callers_share_one_request() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    let before = driver.sends("/sess_a/tokens");
    driver.hold = true;
    driver.call(2, Call::GetToken, r#"{"session":"sess_a","options":{"skipCache":true}}"#);
    driver.call(3, Call::GetToken, r#"{"session":"sess_a","options":{"organizationId":"org_1"}}"#);
    driver.call(4, Call::GetToken, r#"{"session":"sess_a","options":{"organizationId":"org_1"}}"#);
    assert_eq!(driver.held.len(), 2, "one request for the fresh personal token, one shared by both org callers");
    assert!(driver.outcome(3).is_none());
    driver.release();
    assert_eq!(driver.sends("/sess_a/tokens") - before, 2);
    let (Some(Ok(a)), Some(Ok(b))) = (driver.outcome(3), driver.outcome(4)) else { panic!("both resolve") };
    assert_eq!(a, b);
    assert_eq!(claims(&serde_json::from_str::<String>(a).unwrap()).o.unwrap().id, "org_1");
}

#[test]
fn back_off_is_a_timer_and_nothing_is_sent_until_it_fires() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    fake.respond_once_retry_after("/sess_a/tokens", 503, 2);
    driver.call(2, Call::GetToken, r#"{"session":"sess_a","options":{"skipCache":true}}"#);
    assert!(driver.outcome(2).is_none());
    let sent = driver.sends("/sess_a/tokens");
    let backoff = driver.log.iter().rev().find_map(|c| match c {
        Command::SetTimer { ms, .. } => Some(*ms),
        _ => None,
    });
    assert!(backoff.is_some_and(|ms| ms >= 2_000), "Retry-After: 2 is a floor, got {backoff:?}");
    driver.advance_to(driver.now + 1_999);
    assert_eq!(driver.sends("/sess_a/tokens"), sent, "not before the timer");
    driver.advance_to(driver.now + 8_000);
    assert_eq!(driver.sends("/sess_a/tokens"), sent + 1);
    assert!(matches!(driver.outcome(2), Some(Ok(_))));
}

#[test]
fn the_refresh_ahead_is_a_timer_that_mints_before_the_token_expires() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    driver.call(2, Call::GetToken, TOKEN);
    let minted = fake.minted();
    let due = driver.timers.iter().map(|(_, at)| *at).max().expect("a refresh timer");
    // A 60 s token's leeway is 5 % of it (3 s), and the refresh comes 1.5 s (+ jitter) before.
    assert!((driver.now + 50_000..driver.now + 57_000).contains(&due), "due in {} ms", due - driver.now);
    driver.advance_to(due);
    assert_eq!(fake.minted(), minted + 1, "the refresh minted a new token");
    assert_eq!(driver.timers.len(), 1, "one refresh timer per instance, for the new token");
}

#[test]
fn before_emit_is_a_command_and_set_active_waits_for_it() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    driver.machine.at(driver.now);
    driver.machine.call(2, Call::SetActive, r#"{"session":"sess_b","beforeEmit":"function"}"#, true);
    driver.perform();
    let slot = driver.log.iter().find_map(|c| match c {
        Command::BeforeEmit { slot, call: 2, session } => Some((*slot, session.clone())),
        _ => None,
    });
    let (slot, session) = slot.expect("a BeforeEmit command");
    assert_eq!(session.as_deref(), Some("sess_b"));
    assert!(driver.outcome(2).is_none(), "step 3 waits for beforeEmit");
    assert!(driver.machine.clerk().transitioning());
    driver.machine.before_emit_settled(slot, None);
    driver.perform();
    assert_eq!(driver.outcome(2), Some(&Ok("null".to_owned())));
    assert!(!driver.machine.clerk().transitioning());
}

#[test]
fn dispose_rejects_calls_under_way_cancels_timers_and_ignores_late_answers() {
    let fake = FakeFapi::two_sessions();
    let mut driver = Driver::loaded(&fake);
    driver.hold = true;
    driver.call(2, Call::GetToken, r#"{"session":"sess_a","options":{"skipCache":true}}"#);
    assert_eq!(driver.held.len(), 1);
    driver.machine.dispose();
    driver.perform();
    let Some(Err(error)) = driver.outcome(2) else { panic!("rejected: {:?}", driver.outcome(2)) };
    assert!(error.contains(r#""code":"clerk_disposed""#), "{error}");
    let retired = driver.log.iter().find_map(|c| match c {
        Command::Retire { snapshot, error } => Some((snapshot.clone(), error.clone())),
        _ => None,
    });
    let (snapshot, retire_error) = retired.expect("the last command frees the instance");
    assert!(matches!(driver.log.last(), Some(Command::Retire { .. })));
    assert_eq!(&retire_error, error, "later calls get the same error");
    assert!(snapshot.contains(r#""session":"sess_a""#), "the last state stays readable: {snapshot}");
    assert!(driver.timers.is_empty(), "the refresh timer was cancelled");
    assert_eq!(driver.machine.pending_count(), 0);
    driver.release();
    assert!(driver.machine.take_commands().is_empty(), "the late answer changes nothing");
    driver.call(3, Call::GetToken, TOKEN);
    assert!(matches!(driver.outcome(3), Some(Err(e)) if e.contains("clerk_disposed")));
    driver.machine.dispose();
    assert!(driver.machine.take_commands().is_empty(), "a second dispose is a no-op");
}
