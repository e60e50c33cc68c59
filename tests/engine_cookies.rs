//! The page cookies the app's server reads (src/engine/cookies.rs), through a fake
//! `document.cookie`: what is written at each moment clerk-js writes them, with its attributes.

mod support;

use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use support::*;

/// A `document.cookie` that keeps name → (value, attributes) and every assignment made.
#[derive(Default)]
struct FakeJar {
    cookies: RefCell<BTreeMap<String, (String, String)>>,
    writes: RefCell<Vec<String>>,
}

impl CookieJar for FakeJar {
    fn write(&self, assignment: &str) {
        self.writes.borrow_mut().push(assignment.to_owned());
        let (pair, attributes) = assignment.split_once("; ").unwrap_or((assignment, ""));
        let (name, value) = pair.split_once('=').unwrap();
        if attributes.contains("Max-Age=0") {
            self.cookies.borrow_mut().remove(name);
        } else {
            self.cookies.borrow_mut().insert(name.to_owned(), (value.to_owned(), attributes.to_owned()));
        }
    }
    fn read(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).map(|(v, _)| v.clone())
    }
    fn page(&self) -> Option<PageLocation> {
        Some(PageLocation { host: "app.test:3000".into(), hostname: "app.test".into(), https: false, secure_context: false })
    }
}

impl FakeJar {
    fn value(&self, name: &str) -> Option<String> {
        self.read(name)
    }
    fn attributes(&self, name: &str) -> String {
        self.cookies.borrow()[name].1.clone()
    }
    /// The suffixed copy of `name` (`<name>_<8 characters>`), which must hold the same value.
    fn suffixed(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}_");
        let cookies = self.cookies.borrow();
        let copies: Vec<_> = cookies.iter().filter(|(n, _)| n.starts_with(&prefix) && n.len() == prefix.len() + 8).collect();
        assert!(copies.len() <= 1, "{copies:?}");
        copies.first().map(|(_, (v, _))| v.clone())
    }
}

fn setup() -> (Rc<FakeFapi>, Rc<FakeJar>, Clerk) {
    let fake = FakeFapi::two_sessions();
    fake.client.borrow_mut()["updated_at"] = json!(1_700_000_123_456i64);
    let jar = Rc::new(FakeJar::default());
    let clerk = fake.clerk_with(jar.clone(), None);
    (fake, jar, clerk)
}

#[test]
fn cookies_follow_load_tokens_switches_and_sign_out() {
    let (fake, jar, clerk) = setup();
    block_on(clerk.load()).unwrap();
    // Signed in, but the server sent no token with the session: none is invented.
    assert_eq!(jar.value("__session"), None);
    assert_eq!(jar.value("__client_uat").as_deref(), Some("1700000123"), "updated_at in seconds while signed in");
    assert_eq!(jar.suffixed("__client_uat").as_deref(), Some("1700000123"));
    assert_eq!(jar.attributes("__client_uat"), "Path=/; Domain=app.test; Max-Age=31536000; SameSite=Strict");

    // A token for the active session: __session and its copy, and the active context.
    let token = block_on(clerk.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    assert_eq!(jar.value("__session").as_deref(), Some(token.as_str()));
    assert_eq!(jar.suffixed("__session").as_deref(), Some(token.as_str()));
    assert_eq!(jar.attributes("__session"), "Path=/; Max-Age=31536000; SameSite=Lax");
    assert_eq!(jar.value("clerk_active_context").as_deref(), Some("sess_a:"));
    assert_eq!(jar.attributes("clerk_active_context"), "Path=/", "a browser-session cookie, not Secure on plain http");
    // ... and listeners see it on the session.
    let shown = clerk.resources().session.value().unwrap().last_active_token.clone().unwrap().jwt;
    assert_eq!(shown.as_deref(), Some(token.as_str()));

    // A token for another organization is not the page's session cookie.
    let other = GetTokenOptions { organization: Selection::Id("org_2".into()), ..Default::default() };
    block_on(clerk.get_token("sess_a", &other)).unwrap();
    assert_eq!(jar.value("__session").as_deref(), Some(token.as_str()));

    // An organization switch: the touch's token and the new context.
    block_on(clerk.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    let session = jar.value("__session").unwrap();
    assert_eq!(claims(&session).sid.as_deref(), Some("sess_a"));
    assert_eq!(jar.value("clerk_active_context").as_deref(), Some("sess_a:org_1"));

    // Switching to another session: its token.
    block_on(clerk.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    assert_eq!(claims(&jar.value("__session").unwrap()).sid.as_deref(), Some("sess_b"));
    assert_eq!(jar.value("clerk_active_context").as_deref(), Some("sess_b:"));

    // Sign-out: the session cookies go (both copies), __client_uat says signed out.
    block_on(clerk.sign_out(None)).unwrap();
    assert_eq!(jar.value("__session"), None);
    assert_eq!(jar.suffixed("__session"), None);
    assert_eq!(jar.value("clerk_active_context"), None);
    assert_eq!(jar.value("__client_uat").as_deref(), Some("0"));
    assert_eq!(fake.count("/v1/client/sessions"), 1);
}

#[test]
fn an_unchanged_state_writes_nothing() {
    let (_fake, jar, clerk) = setup();
    block_on(clerk.load()).unwrap();
    block_on(clerk.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    let writes = jar.writes.borrow().len();
    for _ in 0..5 {
        block_on(clerk.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    }
    assert_eq!(jar.writes.borrow().len(), writes, "cached getToken() calls rewrite no cookie");
}

#[test]
fn without_a_page_nothing_is_written() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk(); // NoCookies: a worker, or a test
    block_on(clerk.load()).unwrap();
    block_on(clerk.get_token("sess_a", &GetTokenOptions::default())).unwrap();
}
