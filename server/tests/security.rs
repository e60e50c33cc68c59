//! Security properties over real HTTP, each checked against what an attacker would try: other
//! clients' sessions, swapped credentials, dead sessions, the secret key, guessing limits, email
//! codes, SQL injection and oversized bodies.

mod common;

use std::net::IpAddr;

use clerk_server::errors::ApiError;
use clerk_server::store::{Done, StoreError, Tx, TxOutcome};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers: a Frontend API caller whose credentials are explicit, so that tests can swap them.

#[derive(Clone, Default, Debug)]
struct Creds {
    cookie: Option<String>,
    db: Option<String>,
}

impl Creds {
    fn cookie(v: &str) -> Self {
        Creds { cookie: Some(v.to_owned()), db: None }
    }
    fn db(v: &str) -> Self {
        Creds { cookie: None, db: Some(v.to_owned()) }
    }
}

struct Raw {
    http: reqwest::Client,
    base: String,
}

fn set_cookie(r: &Resp) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__client=").and_then(|rest| rest.split(';').next()).map(str::to_owned))
        .filter(|v| !v.is_empty())
}

impl Raw {
    fn new(t: &TestServer) -> Self {
        Raw { http: reqwest::Client::new(), base: t.server.url() }
    }

    async fn send(&self, method: Method, path: &str, c: &Creds, form: &[(&str, &str)]) -> Resp {
        let mut url = format!("{}{path}", self.base);
        if let Some(db) = &c.db {
            url.push(if path.contains('?') { '&' } else { '?' });
            url.push_str(&format!("__clerk_db_jwt={db}"));
        }
        let mut rb = self.http.request(method.clone(), url).header("origin", ORIGIN);
        if let Some(k) = &c.cookie {
            rb = rb.header("cookie", format!("__client={k}"));
        }
        if method != Method::GET {
            rb = rb.form(form);
        }
        into_resp(rb.send().await.unwrap()).await
    }

    async fn get(&self, path: &str, c: &Creds) -> Resp {
        self.send(Method::GET, path, c, &[]).await
    }

    async fn post(&self, path: &str, c: &Creds, form: &[(&str, &str)]) -> Resp {
        self.send(Method::POST, path, c, form).await
    }

    /// A new dev-browser token.
    async fn dev_browser(&self) -> String {
        let r = self.post("/v1/dev_browser", &Creds::default(), &[]).await;
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Password sign-in on the client `c` names (a new one gets its cookie stored in `c`).
    async fn sign_in(&self, c: &mut Creds, email: &str) -> String {
        let r = self.post("/v1/client/sign_ins", c, &[("identifier", email), ("password", PASSWORD), ("strategy", "password")]).await;
        assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
        if c.db.is_none() && c.cookie.is_none() {
            c.cookie = Some(set_cookie(&r).expect("a new client gets a cookie"));
        }
        r.body["response"]["created_session_id"].as_str().unwrap().to_owned()
    }
}

/// A request: method, path and form.
type Op = (Method, String, Vec<(&'static str, &'static str)>);

/// Everything a client can do to a session by id on the Frontend API.
fn session_ops(sid: &str) -> Vec<Op> {
    let p = |s: &str| format!("/v1/client/sessions/{sid}{s}");
    vec![
        (Method::GET, p(""), vec![]),
        (Method::POST, p("/touch"), vec![("active_organization_id", "")]),
        (Method::POST, p("/tokens"), vec![]),
        (Method::POST, p("/tokens"), vec![("organization_id", "")]),
        (Method::POST, p("/tokens/demo"), vec![]),
        (Method::POST, p("/verify"), vec![("level", "first_factor")]),
        (Method::POST, p("/verify/prepare_first_factor"), vec![("strategy", "email_code")]),
        (Method::POST, p("/verify/attempt_first_factor"), vec![("strategy", "password"), ("password", PASSWORD)]),
        (Method::POST, p("/verify/prepare_second_factor"), vec![("strategy", "totp")]),
        (Method::POST, p("/verify/attempt_second_factor"), vec![("strategy", "totp"), ("code", "123456")]),
        (Method::POST, p("/end"), vec![]),
        (Method::POST, p("/remove"), vec![]),
    ]
}

/// Every session operation on `sid` with `creds` gets `status` and `code`.
async fn assert_no_access(raw: &Raw, sid: &str, creds: &Creds, who: &str, status: u16, code: &str) {
    for (method, path, form) in session_ops(sid) {
        let r = raw.send(method.clone(), &path, creds, &form).await;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{who}: {method} {path}: {:?}", r.body);
        assert!(r.body.get("response").is_none() && r.body.get("jwt").is_none(), "{who}: {path} leaked {:?}", r.body);
    }
}

fn bob_first(t: &TestServer) -> String {
    format!("/v1/sessions?user_id={}&limit=500", t.seeded.bob_id)
}

/// Runs `f` in one transaction of the server's store (to age records: time cannot be waited).
fn with_tx<T: Send + 'static>(t: &TestServer, mut f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static) -> T {
    // On a plain thread, as the server runs its transactions: PostgreSQL's blocking client cannot
    // run on an async worker.
    let store = t.server.state.store.clone();
    std::thread::spawn(move || store.run(|tx| -> TxOutcome<T, ApiError> { Ok(Done(f(tx)?)) }).unwrap()).join().unwrap()
}

fn now_ms() -> i64 {
    clerk_server::util::now_ms()
}

// ---------------------------------------------------------------------------------------------
// Isolation between clients.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clients_session_cannot_be_read_touched_ended_removed_or_minted() {
    let t = TestServer::start().await;
    let raw = Raw::new(&t);
    let mut victim = Creds::default();
    let sid = raw.sign_in(&mut victim, "bob@example.com").await;
    let client_id = raw.get("/v1/client", &victim).await.body["response"]["id"].as_str().unwrap().to_owned();
    let before = t.bapi().get(&format!("/v1/sessions/{sid}")).await.body;

    // Another signed-in client (even of the same user), a client with no session, no
    // credentials, and cookies forged from what is public (the client id) or made up.
    let mut other = Creds::default();
    raw.sign_in(&mut other, "bob@example.com").await;
    let empty = Creds::cookie(&set_cookie(&raw.post("/v1/client", &Creds::default(), &[]).await).unwrap());
    let forged_id = Creds::cookie(&client_id);
    let made_up = Creds::cookie("0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh");
    for (who, creds) in [
        ("other client", &other),
        ("empty client", &empty),
        ("no credentials", &Creds::default()),
        ("client id as cookie", &forged_id),
        ("made-up cookie", &made_up),
    ] {
        assert_no_access(&raw, &sid, creds, who, 404, "resource_not_found").await;
    }
    // Guessed ids are answered exactly like someone else's: nothing to probe.
    for _ in 0..5 {
        let guess = clerk_server::util::new_id("sess");
        assert_no_access(&raw, &guess, &victim, "victim guessing", 404, "resource_not_found").await;
    }
    // Signing the other client out of everything leaves the victim alone.
    let r = raw.send(Method::DELETE, "/v1/client/sessions", &other, &[]).await;
    assert_eq!(r.status, 200);
    let r = raw.post("/v1/client?_method=DELETE", &other, &[]).await;
    assert_eq!(r.status, 200);

    // The victim's session is exactly as it was, and still works for the victim.
    let after = t.bapi().get(&format!("/v1/sessions/{sid}")).await.body;
    assert_eq!(after, before, "another client changed the session");
    assert_eq!(after["status"], "active");
    let r = raw.post(&format!("/v1/client/sessions/{sid}/tokens"), &victim, &[]).await;
    assert_eq!(r.status, 200);
    let claims = verify(&t, r.body["jwt"].as_str().unwrap(), &[ORIGIN]).unwrap();
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));

    // A sign-in in progress cannot be read or finished by another client, even with the right
    // second factor.
    let mut a2 = Creds::default();
    let r = raw.post("/v1/client/sign_ins", &a2, &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor");
    a2.cookie = set_cookie(&r);
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let code = clerk_server::util::totp_now(clerk_server::seed::ALICE_TOTP_SECRET).unwrap();
    let mut thief = Creds::default();
    raw.sign_in(&mut thief, "bob@example.com").await;
    let r = raw.get(&format!("/v1/client/sign_ins/{sia}"), &thief).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"));
    let r = raw.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &thief, &[("strategy", "totp"), ("code", &code)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"));
    let r = raw.get(&format!("/v1/client/sign_ins/{sia}"), &a2).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "the thief moved the sign-in on");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_cookies_and_dev_browser_tokens_never_cross_clients() {
    let t = TestServer::start().await;
    let raw = Raw::new(&t);
    // Two dev browsers, each signed in.
    let db_a = raw.dev_browser().await;
    let db_b = raw.dev_browser().await;
    let sid_a = raw.sign_in(&mut Creds::db(&db_a), "bob@example.com").await;
    let sid_b = raw.sign_in(&mut Creds::db(&db_b), "bob@example.com").await;
    assert_no_access(&raw, &sid_a, &Creds::db(&db_b), "B's dev browser", 404, "resource_not_found").await;
    // A new, unbound dev-browser token sees no client and no session.
    let db_new = raw.dev_browser().await;
    assert_eq!(raw.get("/v1/client", &Creds::db(&db_new)).await.body["response"], Value::Null);
    assert_no_access(&raw, &sid_a, &Creds::db(&db_new), "fresh dev browser", 404, "resource_not_found").await;
    // Tampered or invented tokens are refused outright.
    let mut flipped = db_a.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'a' { 'b' } else { 'a' });
    for fake in [flipped, db_a.to_uppercase(), format!("{db_a}x"), db_a[..db_a.len() - 1].to_owned(), "dvb_guess".to_owned()] {
        assert_no_access(&raw, &sid_a, &Creds::db(&fake), &format!("token {fake}"), 401, "dev_browser_unauthenticated").await;
    }

    // A cookie client, then the dev-browser token takes precedence over any cookie sent with it:
    // B's token with A's cookie is B, and an unbound token with A's cookie is nobody.
    let mut cookie_a = Creds::default();
    let sid_c = raw.sign_in(&mut cookie_a, "bob@example.com").await;
    let mixed = Creds { cookie: cookie_a.cookie.clone(), db: Some(db_b.clone()) };
    let seen = raw.get("/v1/client", &mixed).await;
    assert_eq!(seen.body["response"]["last_active_session_id"], sid_b.as_str(), "{:?}", seen.body);
    assert_no_access(&raw, &sid_c, &mixed, "B's token with A's cookie", 404, "resource_not_found").await;
    let unbound = Creds { cookie: cookie_a.cookie.clone(), db: Some(raw.dev_browser().await) };
    assert_no_access(&raw, &sid_c, &unbound, "fresh token with A's cookie", 404, "resource_not_found").await;

    // Once a client is destroyed, replaying its credentials gives back nothing.
    assert_eq!(raw.post("/v1/client?_method=DELETE", &Creds::db(&db_a), &[]).await.status, 200);
    assert_eq!(raw.post("/v1/client?_method=DELETE", &cookie_a, &[]).await.status, 200);
    for (creds, sid) in [(Creds::db(&db_a), &sid_a), (cookie_a.clone(), &sid_c)] {
        assert_eq!(raw.get("/v1/client", &creds).await.body["response"], Value::Null);
        assert_no_access(&raw, sid, &creds, "replayed credentials", 404, "resource_not_found").await;
        let s = t.bapi().get(&format!("/v1/sessions/{sid}")).await;
        assert_eq!(s.body["status"], "ended");
    }
    // B was never affected.
    let r = raw.post(&format!("/v1/client/sessions/{sid_b}/tokens"), &Creds::db(&db_b), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sites_cannot_read_answers() {
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    for origin in ["http://evil.example", "http://127.0.0.1.evil.example", "null", "http://localhost.evil:80"] {
        let r = http.get(t.url("/v1/client")).header("origin", origin).send().await.unwrap();
        assert!(r.headers().get("access-control-allow-origin").is_none(), "{origin}");
        let pre = http
            .request(Method::OPTIONS, t.url("/v1/client/sign_ins"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(pre.headers().get("access-control-allow-origin").is_none(), "{origin}");
    }
    let r = http.get(t.url("/v1/client")).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_of_others_cannot_be_selected_or_minted() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let r = api.post("/v1/organizations", Some(json!({"name": "Globex", "created_by": t.seeded.alice_id}))).await;
    let globex = r.body["id"].as_str().unwrap().to_owned();
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    for (path, form) in [
        ("tokens", vec![("organization_id", globex.as_str())]),
        ("tokens/demo", vec![("organization_id", globex.as_str())]),
        ("touch", vec![("active_organization_id", globex.as_str())]),
        ("tokens", vec![("organization_id", "org_doesnotexist")]),
    ] {
        let r = b.post(&format!("/v1/client/sessions/{sid}/{path}"), &form).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"), "{path}: {:?}", r.body);
    }
    let s = api.get(&format!("/v1/sessions/{sid}")).await;
    assert_eq!(s.body["last_active_organization_id"], Value::Null);
    // The BAPI's deprecated verify refuses a token of another session.
    let b2 = t.browser();
    let other = b2.sign_in("bob@example.com").await;
    let jwt = b2.token(&other, &[]).await;
    let r = api.post(&format!("/v1/sessions/{sid}/verify"), Some(json!({"token": jwt}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "token_invalid"));
    t.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Sessions that are over.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_removed_revoked_and_expired_sessions_mint_nothing() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let mut cases = Vec::new();
    for how in ["end", "remove", "revoke", "expire", "sign out all", "destroy client"] {
        let b = t.browser();
        let sid = b.sign_in("bob@example.com").await;
        b.token(&sid, &[]).await; // mintable before
        let expected = match how {
            "end" => {
                assert_eq!(b.post(&format!("/v1/client/sessions/{sid}/end"), &[]).await.status, 200);
                "ended"
            }
            "remove" => {
                assert_eq!(b.post(&format!("/v1/client/sessions/{sid}/remove"), &[]).await.status, 200);
                "removed"
            }
            "revoke" => {
                assert_eq!(api.post(&format!("/v1/sessions/{sid}/revoke"), None).await.body["status"], "revoked");
                "revoked"
            }
            "expire" => {
                let id = sid.clone();
                with_tx(&t, move |tx| {
                    let mut s = tx.session(&id)?.unwrap();
                    s.expire_at = now_ms() - 1;
                    tx.put_session(&s)
                });
                "expired"
            }
            "sign out all" => {
                assert_eq!(b.post("/v1/client/sessions?_method=DELETE", &[]).await.status, 200);
                "removed"
            }
            _ => {
                assert_eq!(b.post("/v1/client?_method=DELETE", &[]).await.status, 200);
                "ended"
            }
        };
        cases.push((how, b, sid, expected));
    }
    for (how, b, sid, expected) in &cases {
        // Frontend API: a dead session is 401 session_not_active (the destroyed client has no
        // sessions at all: 404).
        let (status, code) = if *how == "destroy client" { (404, "resource_not_found") } else { (401, "session_not_active") };
        for (path, form) in [
            ("tokens", vec![]),
            ("tokens", vec![("organization_id", "")]),
            ("tokens/demo", vec![]),
            ("touch", vec![]),
            ("verify", vec![("level", "first_factor")]),
            ("verify/attempt_first_factor", vec![("strategy", "password"), ("password", PASSWORD)]),
        ] {
            let r = b.post(&format!("/v1/client/sessions/{sid}/{path}"), &form).await;
            assert_eq!((r.status.as_u16(), r.code()), (status, code), "{how}: {path}: {:?}", r.body);
            assert!(r.body.get("jwt").is_none());
        }
        // Ended and revoked sessions stay on their client with their status (Clerk's
        // SessionStatus and revoke references); removed and expired ones are not listed. None
        // is signed in or active.
        let c = b.get("/v1/client").await;
        let listed: Vec<&Value> =
            c.body["response"]["sessions"].as_array().into_iter().flatten().filter(|s| s["id"] == sid.as_str()).collect();
        let stays = matches!(*how, "end" | "revoke");
        assert_eq!(listed.len(), usize::from(stays), "{how}: listed {listed:?}");
        if let Some(s) = listed.first() {
            assert_eq!(s["status"], *expected, "{how}");
            assert_eq!(s["last_active_token"], Value::Null, "{how}");
        }
        assert_eq!(c.body["response"]["last_active_session_id"], Value::Null, "{how}");
        // Backend API: no token either, and the status stayed what it was (touch did not revive).
        for path in ["tokens", "tokens/demo"] {
            let r = api.post(&format!("/v1/sessions/{sid}/{path}"), None).await;
            assert_eq!((r.status.as_u16(), r.code()), (401, "session_not_active"), "{how}: BAPI {path}");
        }
        let r = api.post(&format!("/v1/sessions/{sid}/revoke"), None).await;
        assert_eq!(r.body["status"], *expected, "{how}: revoking a dead session changes nothing");
        assert_eq!(api.get(&format!("/v1/sessions/{sid}")).await.body["status"], *expected, "{how}");
    }
    let r = api.get(&format!("{}&status=active", bob_first(&t))).await;
    assert_eq!(r.body, json!([]), "no session of bob is active");
    t.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The Backend API's secret key, and development endpoints.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_api_needs_the_exact_secret_key() {
    use base64::Engine;
    let t = TestServer::start().await;
    let api = t.bapi();
    let sk = t.sk();
    let sid = t.browser().sign_in("bob@example.com").await;
    let users_before = api.get("/v1/users?limit=500").await.body.as_array().unwrap().len();
    let sessions_before = api.get(&format!("/v1/sessions?user_id={}&paginated=true", t.seeded.bob_id)).await.body["total_count"].clone();
    let routes: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/v1/sessions".into(), Value::Null),
        (Method::POST, "/v1/sessions".into(), json!({"user_id": t.seeded.bob_id})),
        (Method::GET, format!("/v1/sessions/{sid}"), Value::Null),
        (Method::POST, format!("/v1/sessions/{sid}/revoke"), Value::Null),
        (Method::POST, format!("/v1/sessions/{sid}/verify"), json!({"token": "x"})),
        (Method::POST, format!("/v1/sessions/{sid}/tokens"), Value::Null),
        (Method::POST, format!("/v1/sessions/{sid}/tokens/demo"), Value::Null),
        (Method::GET, "/v1/users".into(), Value::Null),
        (Method::POST, "/v1/users".into(), json!({"email_address": ["mallory@example.com"], "password": "long-enough-1"})),
        (Method::GET, format!("/v1/users/{}", t.seeded.bob_id), Value::Null),
        (Method::GET, "/v1/jwt_templates".into(), Value::Null),
        (Method::POST, "/v1/jwt_templates".into(), json!({"name": "evil", "claims": {}})),
        (Method::POST, "/v1/organizations".into(), json!({"name": "Evil"})),
        (
            Method::POST,
            format!("/v1/organizations/{}/memberships", t.seeded.org_id),
            json!({"user_id": t.seeded.bob_id, "role": "org:admin"}),
        ),
    ];
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{sk}:"));
    let wrong: Vec<String> = vec![
        "Bearer sk_test_wrong".into(),
        "Bearer ".into(),
        "Bearer".into(),
        sk.clone(),
        format!("Basic {basic}"),
        format!("Token {sk}"),
        format!("Bearer {}", t.server.state.publishable_key),
        format!("Bearer {sk}x"),
        format!("Bearer {}", &sk[..sk.len() - 1]),
        format!("Bearer {}", sk.to_uppercase()),
        format!("Bearer {sk} {sk}"),
    ];
    for (method, path, body) in &routes {
        let send = |auth: Option<&str>| {
            let mut rb = api.http.request(method.clone(), format!("{}{path}", api.base));
            if let Some(a) = auth {
                rb = rb.header("authorization", a);
            }
            if !body.is_null() {
                rb = rb.json(body);
            }
            rb.send()
        };
        let r = into_resp(send(None).await.unwrap()).await;
        // `/v1/organizations…` is a Frontend API path too: without an Authorization header it is
        // the Frontend API's, which answers a caller with no session 401 `signed_out`.
        let missing = if path.starts_with("/v1/organizations") { "signed_out" } else { "authorization_header_missing" };
        assert_eq!((r.status.as_u16(), r.code()), (401, missing), "{method} {path}");
        assert_eq!(r.content_type, "application/json");
        for auth in &wrong {
            let r = into_resp(send(Some(auth)).await.unwrap()).await;
            assert_eq!((r.status.as_u16(), r.code()), (401, "authentication_invalid"), "{method} {path} with `{auth}`");
        }
    }
    // Nothing happened: no user, session, template or organization change, the session is active.
    assert_eq!(api.get("/v1/users?limit=500").await.body.as_array().unwrap().len(), users_before);
    assert_eq!(api.get(&format!("/v1/sessions?user_id={}&paginated=true", t.seeded.bob_id)).await.body["total_count"], sessions_before);
    assert_eq!(api.get(&format!("/v1/sessions/{sid}")).await.body["status"], "active");
    let templates = api.get("/v1/jwt_templates").await.body;
    assert!(templates["data"].as_array().unwrap().iter().all(|t| t["name"] != "evil"));
    let bob = api.get(&format!("/v1/users/{}", t.seeded.bob_id)).await.body;
    assert!(!bob.to_string().contains("org:admin"), "bob was not made an admin: {bob}");
    // The right key works (so the refusals above are about the key).
    assert_eq!(api.post(&format!("/v1/sessions/{sid}/tokens"), None).await.status, 200);
    // The JWKS is public, but a wrong key sent to it is still refused.
    let r = api.http.get(t.url("/v1/jwks")).header("authorization", "Bearer sk_test_wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_endpoints_do_not_exist_outside_development_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(common::db_in(&dir, "clerk.db"), 60);
    c.dev = false;
    let server = clerk_server::start(c).await.unwrap();
    let store = server.state.store.clone();
    tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
    let b = Browser::new(server.url(), Some(ORIGIN));
    // A code was "sent"; the outbox that would reveal it is not reachable.
    b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("strategy", "email_code")]).await;
    let code = {
        let outbox = server.state.outbox.lock().unwrap();
        outbox["bob@example.com"].last().unwrap()["code"].as_str().unwrap().to_owned()
    };
    let http = reqwest::Client::new();
    for (method, path) in [
        (Method::GET, "/__dev/emails?to=bob@example.com"),
        (Method::GET, "/__dev/instance"),
        (Method::GET, "/__dev/requests"),
        (Method::GET, "/__dev/faults"),
        (Method::POST, "/__dev/faults?rate=1"),
        (Method::POST, "/__dev/fail_next?route=GET%20/v1/environment&status=500"),
        (Method::GET, "/__dev/clock"),
        (Method::POST, "/__dev/clock?advance_ms=86400000"),
    ] {
        let r = into_resp(http.request(method.clone(), format!("{}{path}", server.url())).send().await.unwrap()).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"), "{method} {path}");
        assert!(!r.body.to_string().contains(&code), "{path} revealed the code");
    }
    assert_eq!(b.get("/v1/environment").await.status, 200, "nothing was injected");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Guessing limits.

async fn wrong_password_on_fresh_sign_in(t: &TestServer, email: &str) -> Resp {
    t.browser().post("/v1/client/sign_ins", &[("identifier", email), ("password", "not-the-password"), ("strategy", "password")]).await
}

fn assert_locked(r: &Resp, scope: &str, what: &str) {
    assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_requests"), "{what}: {:?}", r.body);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["errors"][0]["meta"]["scope"], scope, "{what}: {:?}", r.body);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 600, "{what}: Retry-After {retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_limited_per_user_across_fresh_sign_ins_and_reverifications() {
    let t = TestServer::start().await;
    let limit = t.server.state.config.limits.per_subject.max_failures;
    let session_browser = t.browser();
    let sid = session_browser.sign_in("bob@example.com").await;
    let sessions_before = t.bapi().get(&bob_first(&t)).await.body.as_array().unwrap().len();

    // Half the guesses through new sign-ins (each would allow 5), half through new
    // reverifications of a session (a stolen session must not be a password oracle).
    let mut failures = 0;
    while failures < limit / 2 {
        let r = wrong_password_on_fresh_sign_in(&t, "bob@example.com").await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"), "guess {failures}");
        failures += 1;
    }
    let verify = format!("/v1/client/sessions/{sid}/verify");
    while failures < limit {
        let r = session_browser.post(&verify, &[("level", "first_factor")]).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for _ in 0..5.min(limit - failures) {
            let r = session_browser
                .post(&format!("{verify}/attempt_first_factor"), &[("strategy", "password"), ("password", "nope-nope")])
                .await;
            assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"), "guess {failures}");
            failures += 1;
        }
    }

    // Now every factor is refused for bob, from any client, before it is checked.
    let r = t
        .browser()
        .post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", PASSWORD), ("strategy", "password")])
        .await;
    assert_locked(&r, "account", "right password on a new sign-in");
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("strategy", "email_code")]).await;
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let code = t.latest_code("bob@example.com").await;
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_locked(&r, "account", "right email code");
    session_browser.post(&verify, &[("level", "first_factor")]).await;
    let r = session_browser.post(&format!("{verify}/attempt_first_factor"), &[("strategy", "password"), ("password", PASSWORD)]).await;
    assert_locked(&r, "account", "right password on a reverification");
    assert_eq!(t.bapi().get(&bob_first(&t)).await.body.as_array().unwrap().len(), sessions_before, "no session was created");

    // Other users on the same address are not affected.
    t.browser().sign_in_alice().await;
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_limited_per_ip_address_across_users() {
    let t = TestServer::start().await;
    let limits = t.server.state.config.limits;
    let api = t.bapi();
    // Spraying: a few wrong passwords on many users (each under its own limit), plus probing
    // for identifiers that do not exist.
    let per_user = 4.min(limits.per_subject.max_failures - 1);
    let mut failures = 0;
    let mut n = 0;
    while failures + per_user <= limits.per_ip.max_failures / 2 {
        let email = format!("spray{n}@example.com");
        n += 1;
        let r = api.post("/v1/users", Some(json!({"email_address": [email], "password": "long-enough-1"}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for _ in 0..per_user {
            let r = wrong_password_on_fresh_sign_in(&t, &email).await;
            assert_eq!(r.code(), "form_password_incorrect");
            failures += 1;
        }
    }
    while failures < limits.per_ip.max_failures {
        let r = t.browser().post("/v1/client/sign_ins", &[("identifier", &format!("nobody{failures}@example.com"))]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_not_found"));
        failures += 1;
    }
    // This address may no longer try anyone, not even bob with the right password, nor probe.
    let r = t
        .browser()
        .post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", PASSWORD), ("strategy", "password")])
        .await;
    assert_locked(&r, "ip", "bob from the locked address");
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "nobody-else@example.com")]).await;
    assert_locked(&r, "ip", "probing from the locked address");
    // Another address can (the limit is per address, not global); the Backend API is unaffected.
    let http = reqwest::Client::builder().cookie_store(true).local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let other = Browser { http, base: t.server.url(), origin: Some(ORIGIN.into()), extra_query: None };
    other.sign_in("bob@example.com").await;
    assert_eq!(api.get(&format!("/v1/sessions?user_id={}", t.seeded.bob_id)).await.status, 200);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_codes_are_limited_per_email_address_across_sign_ups() {
    let t = TestServer::start().await;
    let limit = t.server.state.config.limits.per_subject.max_failures;
    let email = "newcomer@example.com";
    let wrong_for = |code: &str| if code == "000000" { "111111".to_owned() } else { "000000".to_owned() };
    let mut failures = 0;
    while failures < limit {
        let b = t.browser();
        let r = b.post("/v1/client/sign_ups", &[("email_address", email)]).await;
        let sua = r.body["response"]["id"].as_str().unwrap().to_owned();
        b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
        let wrong = wrong_for(&t.latest_code(email).await);
        for _ in 0..5.min(limit - failures) {
            let r =
                b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "email_code"), ("code", &wrong)]).await;
            assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
            failures += 1;
        }
    }
    let b = t.browser();
    let r = b.post("/v1/client/sign_ups", &[("email_address", email), ("password", "long-enough-1")]).await;
    let sua = r.body["response"]["id"].as_str().unwrap().to_owned();
    b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    let code = t.latest_code(email).await;
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_locked(&r, "account", "the right code for a locked address");
    assert_eq!(t.bapi().get(&format!("/v1/users?email_address={email}")).await.body, json!([]));
    t.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Email codes.

/// An email-code sign-in of bob on `b`; returns the sign-in id and the code sent.
async fn email_code_sign_in(t: &TestServer, b: &Browser) -> (String, String) {
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("strategy", "email_code")]).await;
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let code = t.latest_code("bob@example.com").await;
    assert!(!r.body.to_string().contains(&code), "the code is only in the email");
    (sia, code)
}

async fn attempt(b: &Browser, sia: &str, code: &str) -> Resp {
    b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "email_code"), ("code", code)]).await
}

async fn prepare_again(t: &TestServer, b: &Browser, sia: &str) -> String {
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/prepare_first_factor"), &[("strategy", "email_code")]).await;
    assert_eq!(r.status, 200);
    t.latest_code("bob@example.com").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_codes_are_single_use_bound_to_their_flow_and_expire() {
    let t = TestServer::start().await;
    let b1 = t.browser();
    let (sia1, mut code1) = email_code_sign_in(&t, &b1).await;
    // Bound to its sign-in: bob's code for b1's sign-in does not open b2's.
    let b2 = t.browser();
    let (sia2, mut code2) = email_code_sign_in(&t, &b2).await;
    while code2 == code1 {
        code2 = prepare_again(&t, &b2, &sia2).await;
    }
    let r = attempt(&b2, &sia2, &code1).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    // A new code replaces the previous one.
    let old = code1.clone();
    while code1 == old {
        code1 = prepare_again(&t, &b1, &sia1).await;
    }
    let r = attempt(&b1, &sia1, &old).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "a replaced code still worked");
    let r = attempt(&b1, &sia1, &code1).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
    // Single use: the same code again, on the same or on a new flow.
    let r = attempt(&b1, &sia1, &code1).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["response"], Value::Null);
    let verify = format!("/v1/client/sessions/{sid}/verify");
    b1.post(&verify, &[("level", "first_factor")]).await;
    b1.post(&format!("{verify}/prepare_first_factor"), &[("strategy", "email_code")]).await;
    let code3 = t.latest_code("bob@example.com").await;
    let r = b1.post(&format!("{verify}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code3)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    b1.post(&verify, &[("level", "first_factor")]).await;
    let r = b1.post(&format!("{verify}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code3)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"));

    // Expiry: a code past its expiry is refused.
    let b3 = t.browser();
    let (sia3, code4) = email_code_sign_in(&t, &b3).await;
    let owner = sia3.clone();
    let expires_at = with_tx(&t, move |tx| {
        let mut c = tx.email_code(&owner)?.expect("a stored code");
        let ttl = c.expires_at - now_ms();
        c.expires_at = now_ms() - 1;
        tx.put_email_code(&c)?;
        Ok(ttl)
    });
    assert!(expires_at > 9 * 60 * 1000 && expires_at <= 10 * 60 * 1000, "codes live 10 minutes: {expires_at}");
    let r = attempt(&b3, &sia3, &code4).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));
    // Still refused on a second try (the failed attempt's transaction rolls back, so the
    // expired code stays until replaced; it can never be used).
    let r = attempt(&b3, &sia3, &code4).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));
    assert_eq!(b3.get(&format!("/v1/client/sign_ins/{sia3}")).await.body["response"]["status"], "needs_first_factor");

    // Sign-up codes expire too, and no user is created.
    let b4 = t.browser();
    let r = b4.post("/v1/client/sign_ups", &[("email_address", "late@example.com"), ("password", "long-enough-1")]).await;
    let sua = r.body["response"]["id"].as_str().unwrap().to_owned();
    b4.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    let code5 = t.latest_code("late@example.com").await;
    let owner = sua.clone();
    with_tx(&t, move |tx| {
        let mut c = tx.email_code(&owner)?.expect("a stored code");
        c.expires_at = now_ms() - 1;
        tx.put_email_code(&c)
    });
    let r = b4.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "email_code"), ("code", &code5)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));
    assert_eq!(t.bapi().get("/v1/users?email_address=late@example.com").await.body, json!([]));
    t.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// SQL injection.

const INJECTIONS: &[&str] = &[
    "' OR '1'='1",
    "x' OR 1=1 --",
    "\"; DROP TABLE sessions; --",
    "1; DROP TABLE users",
    "1) OR (1=1",
    "%' OR '%'='",
    "' UNION SELECT data FROM instance --",
    "'; UPDATE sessions SET status='active'; --",
    "\\' OR 1=1 /*",
    "active' OR 'a'='a",
];

/// Tables with their schema and row counts, read through a second connection.
fn db_snapshot(t: &TestServer) -> Vec<(String, String, i64)> {
    if on_postgres() {
        return postgres_snapshot(t.db.to_str().unwrap());
    }
    let conn = rusqlite::Connection::open_with_flags(&t.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|(name, sql)| {
            let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM \"{name}\""), [], |r| r.get(0)).unwrap();
            (name, sql, n)
        })
        .collect()
}

/// The same for PostgreSQL: each table with its columns (name and type) and row count.
fn postgres_snapshot(url: &str) -> Vec<(String, String, i64)> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let tables: Vec<String> = client
            .query("SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables
            .into_iter()
            .map(|name| {
                let columns: Vec<String> = client
                    .query(
                        "SELECT column_name || ' ' || data_type FROM information_schema.columns
                         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                        &[&name],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let n: i64 = client.query_one(&format!("SELECT COUNT(*) FROM \"{name}\""), &[]).unwrap().get(0);
                (name, columns.join(", "), n)
            })
            .collect()
    })
    .join()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_through_every_filter_and_parameter_is_inert() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let before = db_snapshot(&t);
    assert!(before.iter().any(|(n, _, c)| n == "sessions" && *c == 1), "{before:?}");
    let q = |params: &[(&str, &str)]| {
        let qs = serde_urlencoded::to_string(params).unwrap();
        let api = &api;
        async move { api.get(&format!("/v1/sessions?{qs}")).await }
    };
    for p in INJECTIONS {
        // Backend API filters: an empty result or a typed 422.
        for key in ["client_id", "user_id"] {
            for paginated in ["false", "true"] {
                let r = q(&[(key, p), ("paginated", paginated)]).await;
                assert_eq!(r.status, 200, "{key}={p}");
                let empty = if paginated == "true" { json!({"data": [], "total_count": 0}) } else { json!([]) };
                assert_eq!(r.body, empty, "{key}={p}");
            }
        }
        for key in ["status", "limit", "offset"] {
            let r = q(&[("user_id", t.seeded.bob_id.as_str()), (key, p)]).await;
            assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"), "{key}={p}");
            assert_eq!(r.body["errors"][0]["meta"]["param_name"], key);
        }
        let qs = serde_urlencoded::to_string([("email_address", p)]).unwrap();
        assert_eq!(api.get(&format!("/v1/users?{qs}")).await.body, json!([]), "email_address={p}");
        for key in ["limit", "offset"] {
            let qs = serde_urlencoded::to_string([(key, p)]).unwrap();
            assert_eq!(api.get(&format!("/v1/users?{qs}")).await.status, 422, "users {key}={p}");
        }
        // Ids in paths and bodies.
        let enc = |s: &str| s.bytes().map(|c| format!("%{c:02X}")).collect::<String>();
        for path in [format!("/v1/sessions/{}", enc(p)), format!("/v1/users/{}", enc(p))] {
            assert_eq!(api.get(&path).await.code(), "resource_not_found", "{path}");
        }
        let r = api.post(&format!("/v1/sessions/{sid}/tokens/{}", enc(p)), None).await;
        assert_eq!(r.code(), "resource_not_found");
        assert_eq!(api.post("/v1/sessions", Some(json!({"user_id": p}))).await.status, 404);
        let r = api.post(&format!("/v1/organizations/{}/memberships", enc(p)), Some(json!({"user_id": t.seeded.bob_id}))).await;
        assert!(r.status.is_client_error(), "{p}: {:?}", r.body);

        // Frontend API parameters that reach queries.
        let anon = t.browser();
        let r = anon.post("/v1/client/sign_ins", &[("identifier", p), ("password", p)]).await;
        assert_eq!(r.code(), "form_identifier_not_found", "{p}");
        let r = anon.post("/v1/client/sign_ups", &[("email_address", p)]).await;
        assert_eq!(r.code(), "form_param_format_invalid", "{p}");
        let r = anon.post("/v1/client/sign_ups", &[("email_address", "ok@example.com"), ("username", p)]).await;
        assert_eq!(r.code(), "form_username_invalid_character", "{p}");
        for (path, form) in [
            (format!("/v1/client/sessions/{}/tokens", enc(p)), vec![]),
            (format!("/v1/client/sessions/{sid}/tokens"), vec![("organization_id", *p)]),
            (format!("/v1/client/sessions/{sid}/touch"), vec![("active_organization_id", *p)]),
            (format!("/v1/client/sessions/{sid}/tokens/{}", enc(p)), vec![]),
            (format!("/v1/client/sign_ins/{}", enc(p)), vec![]),
        ] {
            let r = b.post(&path, &form).await;
            assert!(r.status == 404 || r.status == 405, "{path} {form:?}: {:?}", r.body);
        }
        let mut probe = Browser::new(t.server.url(), Some(ORIGIN));
        probe.extra_query = Some(serde_urlencoded::to_string([("__clerk_db_jwt", p)]).unwrap());
        assert_eq!(probe.get("/v1/client").await.code(), "dev_browser_unauthenticated");
        let r = api.http.get(t.url("/v1/client")).header("cookie", format!("__client={}", enc(p))).send().await.unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["response"], Value::Null);
    }
    // Stored as data, verbatim: a name is just a name.
    let evil = INJECTIONS[2];
    let r = t.browser().post("/v1/client/sign_ups", &[("email_address", "bobby@example.com"), ("first_name", evil)]).await;
    assert_eq!(r.body["response"]["first_name"], evil);

    // The database is intact: same tables, same schema, same rows (the one sign-up aside).
    let after = db_snapshot(&t);
    assert_eq!(before.len(), after.len());
    for ((name, sql, n), (name2, sql2, n2)) in before.iter().zip(&after) {
        assert_eq!((name, sql), (name2, sql2));
        // attempt_failures: the injected identifiers are unknown ones, counted against the IP.
        if !["clients", "sign_ups", "attempt_failures"].contains(&name.as_str()) {
            assert_eq!(n, n2, "{name} row count changed");
        }
    }
    assert_eq!(api.get(&format!("/v1/sessions/{sid}")).await.body["status"], "active");
    b.token(&sid, &[]).await;
    t.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Request bodies.

/// A raw HTTP/1.1 request with a chunked body (no Content-Length); returns status and body.
async fn chunked_post(t: &TestServer, path: &str, chunks: usize, chunk: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        t.server.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut first = true;
    for _ in 0..chunks {
        let data = if first { format!("first_name={}", "a".repeat(chunk - 11)) } else { "a".repeat(chunk) };
        first = false;
        if s.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes()).await.is_err() {
            break; // the server answered early and closed
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The answer may itself be chunked: take the JSON object inside.
    let json = body.find('{').and_then(|i| body.rfind('}').map(|j| &body[i..=j])).unwrap_or("");
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_with_a_typed_413_and_write_nothing() {
    let t = TestServer::start().await;
    let limit = clerk_server::extract::BODY_LIMIT;
    let form_of = |len: usize| {
        let prefix = "identifier=bob%40example.com&strategy=email_code&pad=";
        format!("{prefix}{}", "a".repeat(len - prefix.len())).into_bytes()
    };
    // Exactly at the limit: accepted.
    let b = Browser::new(t.server.url(), Some(ORIGIN));
    let r = b.post_raw("/v1/client/sign_ins", "application/x-www-form-urlencoded", form_of(limit)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // One byte over: 413, typed, readable cross-origin, and nothing written (no client).
    let fresh = Browser::new(t.server.url(), Some(ORIGIN));
    let r = fresh.post_raw("/v1/client/sign_ins", "application/x-www-form-urlencoded", form_of(limit + 1)).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "request_body_too_large"), "{:?}", r.body);
    assert_eq!(r.content_type, "application/json");
    assert!(r.body["errors"][0]["long_message"].as_str().unwrap().contains(&limit.to_string()));
    assert_eq!(r.headers["access-control-allow-origin"], ORIGIN);
    assert!(r.headers.get("set-cookie").is_none());
    assert_eq!(fresh.get("/v1/client").await.body["response"], Value::Null);
    // Routes that ignore bodies refuse them too.
    let r = fresh.post_raw("/v1/environment", "application/x-www-form-urlencoded", vec![b'a'; 2 * limit]).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "request_body_too_large"));
    // A streamed (chunked) body with no declared length is cut at the limit.
    let (status, body) = chunked_post(&t, "/v1/client/sign_ups", 5, 16 * 1024).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["code"], "request_body_too_large");
    let (status, body) = chunked_post(&t, "/v1/client/sign_ups", 2, 16 * 1024).await;
    assert_eq!(status, 200, "a small chunked body is read normally: {body}");
    assert_eq!(body["response"]["first_name"].as_str().map(str::len), Some(32 * 1024 - 11));
    // Backend API JSON: the same limit, and no user is created.
    let api = t.bapi();
    let users = api.get("/v1/users?limit=500").await.body.as_array().unwrap().len();
    let big = json!({"email_address": ["huge@example.com"], "password": "long-enough-1", "first_name": "a".repeat(limit)});
    let r = api.post("/v1/users", Some(big)).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "request_body_too_large"));
    assert_eq!(api.get("/v1/users?limit=500").await.body.as_array().unwrap().len(), users);
    t.server.stop().await;
}

/// A new browser whose first request fails gets no cookie, so nothing of that request may stay
/// but the failure counts (in the database, shared by replicas): no orphan client or sign-in, and
/// dropping cookies does not reset the per-user and per-IP limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_request_leaves_no_client_and_still_counts() {
    let t = TestServer::start().await;
    let rows =
        |snapshot: &[(String, String, i64)], table: &str| snapshot.iter().find(|(name, _, _)| name == table).map(|(_, _, n)| *n).unwrap();
    let before = db_snapshot(&t);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", "wrong-password")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"), "{:?}", r.body);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "nobody@example.com")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_not_found"), "{:?}", r.body);
    let after = db_snapshot(&t);
    assert_eq!(rows(&after, "clients"), rows(&before, "clients"));
    assert_eq!(rows(&after, "sign_ins"), rows(&before, "sign_ins"));
    // The wrong password counts against bob and the IP, the unknown identifier against the IP.
    assert_eq!(rows(&after, "attempt_failures") - rows(&before, "attempt_failures"), 3);
    t.server.stop().await;
}
