//! Test harness: a real server on 127.0.0.1:0 with a temporary database, and small HTTP helpers.
#![allow(dead_code)]

pub mod account;
pub mod lifecycle;
pub mod orgs;
pub mod real_clients;

use std::path::PathBuf;

use clerk_server::seed::Seeded;
use clerk_server::{Config, Server};
use reqwest::StatusCode;
use serde_json::Value;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = clerk_server::seed::DEMO_PASSWORD;

pub struct TestServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
    /// The SQLite file, or the PostgreSQL URL (see [`db_in`]).
    pub db: PathBuf,
    pub seeded: Seeded,
}

/// Where a test server keeps its data: `name` in `dir` (SQLite), or, when the suite runs under
/// `.ci/with-postgres` (`CLERK_TEST_POSTGRES` set), a fresh database in that cluster, named after
/// nothing shared so that tests running in parallel never see each other's data.
pub fn db_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    match std::env::var("CLERK_TEST_POSTGRES") {
        Ok(cluster) if !cluster.is_empty() => PathBuf::from(fresh_postgres_db(&cluster)),
        _ => dir.path().join(name),
    }
}

/// Whether the suite runs against PostgreSQL (tests of SQLite's file format skip then).
pub fn on_postgres() -> bool {
    std::env::var("CLERK_TEST_POSTGRES").is_ok_and(|c| !c.is_empty())
}

fn fresh_postgres_db(cluster: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        clerk_server::util::random_string(6).to_lowercase()
    );
    // The blocking client runs its own runtime: keep it off the test's async workers.
    let admin = cluster.to_owned();
    let create = name.clone();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("test cluster");
        client.batch_execute(&format!("CREATE DATABASE {create}")).expect("create database");
    })
    .join()
    .unwrap();
    let (base, _) = cluster.rsplit_once('/').expect("cluster URL ends with /database");
    format!("{base}/{name}")
}

pub fn config(db: PathBuf, ttl: i64) -> Config {
    let mut c = Config::new(db, "127.0.0.1:0".parse().unwrap());
    c.dev = true;
    c.token_ttl = ttl;
    c
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A seeded `--dev` server whose configuration `configure` adjusts first.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = db_in(&dir, "clerk.db");
        let mut config = config(db.clone(), 60);
        configure(&mut config);
        let server = clerk_server::start(config).await.unwrap();
        let store = server.state.store.clone();
        let seeded = tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
        TestServer { server, dir, db, seeded }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url(), path)
    }

    pub fn sk(&self) -> String {
        self.server.state.secret_key.clone()
    }

    /// A browser-like Frontend API client with its own cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(self.server.url(), Some(ORIGIN))
    }

    pub fn bapi(&self) -> Bapi {
        Bapi { http: reqwest::Client::new(), base: self.server.url(), key: self.sk() }
    }

    pub fn public_key(&self) -> clerk_token::PublicKey {
        self.server.state.key.public_key()
    }

    pub async fn latest_code(&self, email: &str) -> String {
        let v: Value = reqwest::get(self.url(&format!("/__dev/emails?to={email}"))).await.unwrap().json().await.unwrap();
        v["latest_code"].as_str().expect("an email code was sent").to_owned()
    }
}

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub origin: Option<String>,
    /// Appended to every path (e.g. `__clerk_db_jwt=...`).
    pub extra_query: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["errors"][0]["code"].as_str().unwrap_or("")
    }
}

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp { status, content_type, headers, body }
}

impl Browser {
    pub fn new(base: String, origin: Option<&str>) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        Browser { http, base, origin: origin.map(str::to_owned), extra_query: None }
    }

    fn url(&self, path: &str) -> String {
        // clerk-js adds these to every request; the server must ignore them.
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut u = format!("{}{path}{sep}__clerk_api_version=2026-08-20&_clerk_js_version=6.40.0", self.base);
        if let Some(q) = &self.extra_query {
            u.push('&');
            u.push_str(q);
        }
        u
    }

    pub async fn get(&self, path: &str) -> Resp {
        let mut rb = self.http.get(self.url(path));
        if let Some(o) = &self.origin {
            rb = rb.header("origin", o);
        }
        into_resp(rb.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let mut rb = self.http.post(self.url(path)).form(form);
        if let Some(o) = &self.origin {
            rb = rb.header("origin", o);
        }
        into_resp(rb.send().await.unwrap()).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let mut rb = self.http.post(self.url(path)).header("content-type", content_type).body(body);
        if let Some(o) = &self.origin {
            rb = rb.header("origin", o);
        }
        into_resp(rb.send().await.unwrap()).await
    }

    /// Password sign-in; returns the created session id.
    pub async fn sign_in(&self, email: &str) -> String {
        let r = self.post("/v1/client/sign_ins", &[("identifier", email), ("password", PASSWORD), ("strategy", "password")]).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
        r.body["response"]["created_session_id"].as_str().unwrap().to_owned()
    }

    /// Signs alice in: password, then TOTP.
    pub async fn sign_in_alice(&self) -> String {
        let r = self.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
        let id = r.body["response"]["id"].as_str().unwrap().to_owned();
        let code = clerk_server::util::totp_now(clerk_server::seed::ALICE_TOTP_SECRET).unwrap();
        let r = self.post(&format!("/v1/client/sign_ins/{id}/attempt_second_factor"), &[("strategy", "totp"), ("code", &code)]).await;
        assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
        r.body["response"]["created_session_id"].as_str().unwrap().to_owned()
    }

    pub async fn token(&self, sid: &str, form: &[(&str, &str)]) -> String {
        let r = self.post(&format!("/v1/client/sessions/{sid}/tokens"), form).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["object"], "token");
        r.body["jwt"].as_str().unwrap().to_owned()
    }
}

pub struct Bapi {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Bapi {
    pub async fn get(&self, path: &str) -> Resp {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.key).send().await.unwrap();
        into_resp(r).await
    }

    /// POST with a JSON body, or with an EMPTY body but `Content-Type: application/json`, as
    /// @clerk/backend sends body-less POSTs.
    pub async fn post(&self, path: &str, body: Option<Value>) -> Resp {
        let rb = self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.key).header("content-type", "application/json");
        let rb = match body {
            Some(b) => rb.body(serde_json::to_vec(&b).unwrap()),
            None => rb,
        };
        into_resp(rb.send().await.unwrap()).await
    }
}

/// Decodes a JWT segment (for header checks).
pub fn jwt_part(token: &str, i: usize) -> Value {
    use base64::Engine;
    let seg = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg).unwrap()).unwrap()
}

pub fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

pub fn verify(server: &TestServer, token: &str, azp: &[&str]) -> Result<clerk_token::SessionClaims, clerk_token::VerifyError> {
    let opts = clerk_token::VerifyOptions {
        authorized_parties: azp.iter().map(|s| s.to_string()).collect(),
        issuer: Some(server.server.state.issuer.clone()),
        ..Default::default()
    };
    clerk_token::verify_and_validate(token, &server.public_key(), &opts)
}
