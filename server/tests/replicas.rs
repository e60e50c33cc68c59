//! Two clerk-server replicas on one PostgreSQL database: what one writes, the other sees at once.
//! Runs under `.ci/with-postgres` (CLERK_TEST_POSTGRES); without it the test says it skipped.

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_revocations_and_limits() {
    if !on_postgres() {
        eprintln!("\n!!! SKIPPED replicas: needs PostgreSQL (run under .ci/with-postgres) !!!\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir, "unused.db");
    let replica = |db: std::path::PathBuf| async move {
        let mut c = config(db, 60);
        c.limits.per_subject.max_failures = 3;
        clerk_server::start(c).await.unwrap()
    };
    let a = replica(db.clone()).await;
    let b = replica(db.clone()).await;
    // One instance: the second replica found the first one's keys.
    assert_eq!(a.state.key.kid(), b.state.key.kid());
    assert_eq!(a.state.secret_key, b.state.secret_key);
    let store = a.state.store.clone();
    tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();

    // Sign in on A, mint on B with the same cookie jar (cookies ignore the port).
    let on_a = Browser::new(a.url(), Some(ORIGIN));
    let sid = on_a.sign_in("bob@example.com").await;
    let on_b = Browser { http: on_a.http.clone(), base: b.url(), origin: Some(ORIGIN.into()), extra_query: None };
    let token = on_b.token(&sid, &[]).await;
    let claims = clerk_token::decode_unverified(&token).unwrap();
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));

    // Revoke on A (Backend API); B refuses at once.
    let bapi_a = Bapi { http: reqwest::Client::new(), base: a.url(), key: a.state.secret_key.clone() };
    let r = bapi_a.post(&format!("/v1/sessions/{sid}/revoke"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = on_b.post(&format!("/v1/client/sessions/{sid}/tokens"), &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "session_not_active"), "{:?}", r.body);

    // Failures count across replicas (and across dropped cookies): 2 on A, 1 on B reach alice's
    // limit of 3, after which even the right password is refused on either replica.
    for base in [a.url(), a.url(), b.url()] {
        let fresh = Browser::new(base, Some(ORIGIN));
        let r = fresh.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", "wrong-password")]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"), "{:?}", r.body);
    }
    for base in [a.url(), b.url()] {
        let fresh = Browser::new(base, Some(ORIGIN));
        let r = fresh.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
        assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_requests"), "{:?}", r.body);
    }
    a.stop().await;
    b.stop().await;
}
