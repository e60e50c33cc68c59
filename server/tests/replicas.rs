//! Two clerk-server replicas on one PostgreSQL database: what one writes, the other sees at once,
//! and one killed with kill -9 under load loses nothing it acknowledged. Runs under
//! `.ci/with-postgres` (CLERK_TEST_POSTGRES); without it the tests say they skipped.

mod common;

use std::path::Path;

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

/// Two `clerk-server` processes on one database, 16 virtual browsers spread over both (the load
/// driver of `make load`, `clerk-load`). One replica is killed with SIGKILL mid-load; the other
/// keeps answering its clients for the rest of the round. The killed one is restarted, and every
/// write either acknowledged (users, sign-ins, sign-ups, touches, ends, removes, dev browsers) is
/// checked through both: the ledger check of `tests/crash.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_loses_no_acknowledged_write() {
    if !on_postgres() {
        eprintln!("\n!!! SKIPPED replicas kill -9: needs PostgreSQL (run under .ci/with-postgres) !!!\n");
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_clerk-server"));
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir, "unused.db");
    let opts = clerk_load::Options {
        clients: 16,
        seconds: 4.0,
        crash_rounds: 1,
        replicas: 2,
        tokens_per_session: 2,
        sign_up_every: 4,
        ..Default::default()
    };
    println!("seed {}", opts.seed);
    let report = clerk_load::run(bin, &db, &opts).await.expect("replica run");
    let l = &report.ledger;
    report.stats.print("load on two replicas across the kill");

    // Both replicas served, and the survivor went on acknowledging writes after the kill.
    assert_eq!(report.answered.len(), 2);
    assert!(report.answered.iter().all(|n| *n > 0), "answered per replica: {:?}", report.answered);
    assert!(report.acked_after_kills > 0, "no write acknowledged by the survivor after the kill");
    for kind in ["dev_browser", "sign_in", "sign_up_attempt", "touch", "end", "remove"] {
        assert!(l.acked.get(kind).copied().unwrap_or(0) > 0, "no acknowledged {kind}: {:?}", l.acked);
    }
    assert_eq!(report.stats.http_errors(), 0, "error answers during the load");
    assert_eq!(report.verifications.len(), 2, "one check through each replica");
    let lost: Vec<&String> = report.verifications.iter().flat_map(|v| &v.lost).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost, e.g. {:?}", lost.len(), l.acked_total(), &lost[..lost.len().min(5)]);
    assert!(report.integrity.iter().all(|i| i == "ok"), "database check: {:?}", report.integrity);
    report.fresh_sign_in.clone().expect("a fresh sign-in and token after the restart");
    println!(
        "{} acknowledged writes ({:?}), {} after the kill, answered per replica {:?}, 0 lost",
        l.acked_total(),
        l.acked,
        report.acked_after_kills,
        report.answered
    );
}
