//! Crash safety, bounded for CI: the load driver (`clerk-load`, which `examples/load.rs` runs for
//! `make load`) runs 32 virtual browsers against the real `clerk-server` binary, which is killed
//! with SIGKILL mid-load twice and restarted on the same database each time. Every acknowledged
//! write must still be there in the acknowledged state, and the database must pass
//! `PRAGMA integrity_check`. The full run is `make load` (see server/README.md).

mod common;

use std::path::Path;

use clerk_load as load;
use common::{db_in, on_postgres};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let bin = Path::new(env!("CARGO_BIN_EXE_clerk-server"));
    let dir = tempfile::tempdir().unwrap();
    // Under .ci/with-postgres: the same run on PostgreSQL (the ledger check is the same).
    let db = db_in(&dir, "crash.db");
    // Smaller than `make load` (64 clients, 5 tokens per session) so that a debug build gets
    // through whole rounds before each kill and the test stays short.
    let opts = load::Options { clients: 32, seconds: 4.0, crash_rounds: 2, tokens_per_session: 2, sign_up_every: 4, ..Default::default() };
    println!("seed {}", opts.seed);
    let report = load::run(bin, &db, &opts).await.expect("crash run");
    let l = &report.ledger;
    report.stats.print("load across the kills");

    // The run must have done real work before each kill, or there would be nothing to lose.
    for kind in ["dev_browser", "sign_in", "sign_up_attempt", "touch", "end", "remove"] {
        assert!(l.acked.get(kind).copied().unwrap_or(0) > 0, "no acknowledged {kind}: {:?}", l.acked);
    }
    assert!(l.sessions.values().any(|s| s.status == "active"), "no session left active by a kill");
    assert_eq!(report.verifications.len(), 2, "one verification per restart");
    assert_eq!(report.stats.http_errors(), 0, "error answers during the load");

    let lost: Vec<&String> = report.verifications.iter().flat_map(|v| &v.lost).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost, e.g. {:?}", lost.len(), l.acked_total(), &lost[..lost.len().min(5)]);
    assert!(report.integrity.iter().all(|i| i == "ok"), "integrity_check: {:?}", report.integrity);
    report.fresh_sign_in.clone().expect("a fresh sign-in and token after the restarts");
    println!("{} acknowledged writes ({:?}), {} rounds cut short by the kills, 0 lost", l.acked_total(), l.acked, report.interrupted);

    if on_postgres() {
        // The tampering check below edits a SQLite copy; the checker is the same on both stores.
        return;
    }

    // The checker itself must see losses. Tamper with a copy of the database: forget every dev
    // browser, bring acknowledged `ended` sessions back to `active`, delete one user.
    let tampered = dir.path().join("tampered.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("VACUUM INTO ?1", [tampered.to_str().unwrap()]).unwrap();
    drop(conn);
    let t = rusqlite::Connection::open(&tampered).unwrap();
    t.execute_batch(
        "DELETE FROM dev_browsers;
         UPDATE sessions SET status = 'active', data = json_set(data, '$.status', 'active') WHERE status = 'ended';",
    )
    .unwrap();
    let victim = l.users.keys().next().unwrap();
    assert_eq!(t.execute("DELETE FROM users WHERE id = ?1", [victim]).unwrap(), 1);
    drop(t);
    let ended = l.sessions.values().filter(|s| s.status == "ended" && s.pending.is_none()).count();
    assert!(ended > 0);
    let server = load::ServerProc::spawn(bin, &tampered, "127.0.0.1:0").unwrap();
    let v = load::verify(&server.base, &server.secret_key, l).await;
    assert_eq!(v.lost.len(), l.dev_browsers.len() + ended + 1, "the checker misses losses: {:?}", &v.lost[..v.lost.len().min(5)]);
}
