//! Checks every acknowledged write in the ledger against a running server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::ledger::{DevBrowserRec, Ledger, SessionRec};
use crate::{ORIGIN, PASSWORD};

#[derive(Debug, Default, Clone)]
pub struct Verification {
    pub users_checked: usize,
    pub sessions_checked: usize,
    pub clients_checked: usize,
    /// Records whose acknowledged state is missing or wrong, with a description each.
    pub lost: Vec<String>,
}

enum Check {
    User(String, String),
    Session(SessionRec),
    Client(DevBrowserRec, Option<SessionRec>),
}

/// Checks every acknowledged write in the ledger against the running server: users and sessions
/// through the Backend API, each dev-browser client (and whether it lists its session) through
/// the Frontend API.
pub async fn verify(base: &str, sk: &str, ledger: &Ledger) -> Verification {
    let mut checks: Vec<Check> = Vec::new();
    checks.extend(ledger.users.iter().map(|(id, email)| Check::User(id.clone(), email.clone())));
    checks.extend(ledger.sessions.values().cloned().map(Check::Session));
    checks.extend(ledger.dev_browsers.iter().map(|d| {
        let s = d.session.as_ref().and_then(|id| ledger.sessions.get(id)).cloned();
        Check::Client(d.clone(), s)
    }));
    let (nu, ns, nc) = (ledger.users.len(), ledger.sessions.len(), ledger.dev_browsers.len());
    let checks = Arc::new(checks);
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (checks, next, http, base, sk) = (checks.clone(), next.clone(), http.clone(), base.to_owned(), sk.to_owned());
        workers.push(tokio::spawn(async move {
            let mut lost = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(check) = checks.get(i) else { break };
                if let Err(e) = check_one(&http, &base, &sk, check).await {
                    lost.push(e);
                }
            }
            lost
        }));
    }
    let mut v = Verification { users_checked: nu, sessions_checked: ns, clients_checked: nc, lost: Vec::new() };
    for w in workers {
        v.lost.extend(w.await.expect("verify worker"));
    }
    v
}

async fn get_json(rb: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
    let r = rb.send().await.map_err(|e| format!("transport: {e}"))?;
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| format!("transport: {e}"))?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

async fn check_one(http: &reqwest::Client, base: &str, sk: &str, check: &Check) -> Result<(), String> {
    match check {
        Check::User(id, email) => {
            let (status, v) = get_json(http.get(format!("{base}/v1/users/{id}")).bearer_auth(sk)).await?;
            let has_email =
                v["email_addresses"].as_array().is_some_and(|a| a.iter().any(|e| e["email_address"].as_str() == Some(email.as_str())));
            if status != 200 || !has_email {
                return Err(format!("user {id} <{email}>: {status} {v}"));
            }
        }
        Check::Session(s) => {
            let (status, v) = get_json(http.get(format!("{base}/v1/sessions/{}", s.id)).bearer_auth(sk)).await?;
            if status != 200 {
                return Err(format!("session {}: {status} {v}", s.id));
            }
            let got = v["status"].as_str().unwrap_or_default();
            if got != s.status && Some(got) != s.pending {
                return Err(format!("session {}: status {got}, acknowledged {} (pending {:?})", s.id, s.status, s.pending));
            }
            if v["user_id"].as_str() != Some(s.user_id.as_str()) || v["client_id"].as_str() != Some(s.client_id.as_str()) {
                return Err(format!(
                    "session {}: user/client {} {}, expected {} {}",
                    s.id, v["user_id"], v["client_id"], s.user_id, s.client_id
                ));
            }
            if let Some(t) = s.touched_at
                && v["last_active_at"].as_i64().is_none_or(|got| got < t)
            {
                return Err(format!("session {}: last_active_at {}, acknowledged touch at {t}", s.id, v["last_active_at"]));
            }
        }
        Check::Client(d, s) => {
            let url = format!("{base}/v1/client?__clerk_db_jwt={}", d.token);
            let (status, v) = get_json(http.get(url).header("origin", ORIGIN)).await?;
            // 401 dev_browser_unauthenticated: the dev browser was lost.
            if status != 200 {
                return Err(format!("dev browser {}: {status} {v}", d.token));
            }
            if let Some(s) = s {
                let client = &v["response"];
                if client["id"].as_str() != Some(s.client_id.as_str()) {
                    return Err(format!("dev browser {}: client {}, expected {}", d.token, client["id"], s.client_id));
                }
                let listed = client["sessions"].as_array().is_some_and(|a| a.iter().any(|x| x["id"] == s.id.as_str()));
                // The client lists active and ended sessions, not removed ones (server/README.md,
                // "Session lifecycle").
                let on_client = |status: &str| matches!(status, "active" | "ended");
                let can_be_listed = on_client(s.status) || s.pending.is_some_and(on_client);
                let can_be_absent = !on_client(s.status) || s.pending.is_some_and(|p| !on_client(p));
                if (listed && !can_be_listed) || (!listed && !can_be_absent) {
                    return Err(format!(
                        "client {}: session {} listed={listed}, acknowledged {} (pending {:?})",
                        s.client_id, s.id, s.status, s.pending
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A new client signs in with `email`, mints a token and checks its `sid`.
pub async fn fresh_sign_in(base: &str, email: &str) -> Result<(), String> {
    let http = reqwest::Client::new();
    let (s, v) = get_json(http.post(format!("{base}/v1/dev_browser"))).await?;
    let dvb = v["id"].as_str().ok_or(format!("dev_browser: {s} {v}"))?;
    let (s, v) = get_json(http.post(format!("{base}/v1/client/sign_ins?__clerk_db_jwt={dvb}")).header("origin", ORIGIN).form(&[
        ("identifier", email),
        ("password", PASSWORD),
        ("strategy", "password"),
    ]))
    .await?;
    let sid = v["response"]["created_session_id"].as_str().ok_or(format!("sign-in: {s} {v}"))?;
    let (s, v) =
        get_json(http.post(format!("{base}/v1/client/sessions/{sid}/tokens?__clerk_db_jwt={dvb}")).header("origin", ORIGIN)).await?;
    let jwt = v["jwt"].as_str().ok_or(format!("token: {s} {v}"))?;
    use base64::Engine;
    let payload = jwt.split('.').nth(1).ok_or("token has no payload")?;
    let claims: Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("token payload is not JSON")?;
    if claims["sid"] != sid {
        return Err(format!("token sid {} != {sid}", claims["sid"]));
    }
    Ok(())
}
