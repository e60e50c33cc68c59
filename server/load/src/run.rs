//! A whole run: a plain load, or rounds of load, kill -9, integrity check, restart and verification.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::Options;
use crate::driver::{create_users, run_load};
use crate::ledger::{Ledger, SharedLedger, lock};
use crate::server::{ServerProc, integrity_check, journal_mode};
use crate::stats::Stats;
use crate::verify::{Verification, fresh_sign_in, verify};

pub struct RunReport {
    pub stats: Stats,
    pub ledger: Ledger,
    /// One per verification (after each restart; once at the end of a plain run).
    pub verifications: Vec<Verification>,
    /// `PRAGMA integrity_check` after each kill and at the end.
    pub integrity: Vec<String>,
    /// Virtual-browser rounds cut short by the kills (requests in flight at the kill).
    pub interrupted: usize,
    pub fresh_sign_in: Result<(), String>,
}

impl RunReport {
    pub fn lost(&self) -> usize {
        self.verifications.iter().map(|v| v.lost.len()).sum()
    }
}

fn log(opts: &Options, msg: impl AsRef<str>) {
    if opts.verbose {
        println!("{}", msg.as_ref());
    }
}

/// The whole run against a `clerk-server` child on `db`: a plain load (`crash_rounds == 0`), or
/// rounds of load, kill -9, integrity check, restart and verification.
pub async fn run(bin: &Path, db: &Path, opts: &Options) -> Result<RunReport, String> {
    let tag: String = format!("{:08x}", rand::random::<u32>());
    let ledger: SharedLedger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let mut server = ServerProc::spawn(bin, db, "127.0.0.1:0")?;
    log(opts, format!("clerk-server {} (pid {}) on {}, database {}", bin.display(), server.pid(), server.base, db.display()));
    let t = Instant::now();
    let users = create_users(&server.base, &server.secret_key, &tag, opts.clients, opts.users_per_client, &ledger).await?;
    log(
        opts,
        format!(
            "created {} users through BAPI in {:.1} s (argon2id hashing)",
            opts.clients * opts.users_per_client,
            t.elapsed().as_secs_f64()
        ),
    );
    let mut report = RunReport {
        stats: Stats::default(),
        ledger: Ledger::default(),
        verifications: Vec::new(),
        integrity: Vec::new(),
        interrupted: 0,
        fresh_sign_in: Ok(()),
    };
    if opts.crash_rounds == 0 {
        log(opts, format!("load: {} clients for {} s...", opts.clients, opts.seconds));
        let (stats, _) = run_load(&server.base, &users, &tag, opts, &ledger, None).await;
        report.stats = stats;
        let snapshot = lock(&ledger).clone();
        report.verifications.push(verify(&server.base, &server.secret_key, &snapshot).await);
    } else {
        let mut total = Stats::default();
        for round in 1..=opts.crash_rounds {
            // Kill somewhere in the middle of the round.
            let after = Duration::from_secs_f64(opts.seconds * rng.gen_range(0.3..0.8));
            log(
                opts,
                format!(
                    "round {round}/{}: load with {} clients, kill -9 after {:.2} s",
                    opts.crash_rounds,
                    opts.clients,
                    after.as_secs_f64()
                ),
            );
            let pid = server.pid();
            let base = server.base.clone();
            let (stats, interrupted) = run_load(&base, &users, &tag, opts, &ledger, Some((after, server))).await;
            report.interrupted += interrupted;
            let acked = lock(&ledger).acked_total();
            log(
                opts,
                format!(
                    "  killed pid {pid}: {} requests answered this round, {interrupted} rounds in flight, {acked} writes acknowledged so far",
                    stats.total_ok()
                ),
            );
            total.merge(stats.clone());
            total.elapsed += stats.elapsed;
            let ic = integrity_check(db)?;
            log(opts, format!("  integrity_check: {ic} (journal_mode {})", journal_mode(db)?));
            report.integrity.push(ic);
            let addr = base.trim_start_matches("http://").to_owned();
            server = match ServerProc::spawn(bin, db, &addr) {
                Ok(s) => s,
                // Someone else took the port meanwhile: any port will do.
                Err(e) => {
                    log(opts, format!("  restart on {addr} failed ({e}); using another port"));
                    ServerProc::spawn(bin, db, "127.0.0.1:0")?
                }
            };
            let snapshot = lock(&ledger).clone();
            let t = Instant::now();
            let v = verify(&server.base, &server.secret_key, &snapshot).await;
            log(
                opts,
                format!(
                    "  restarted (pid {}); checked {} users, {} sessions, {} clients in {:.1} s: {} lost",
                    server.pid(),
                    v.users_checked,
                    v.sessions_checked,
                    v.clients_checked,
                    t.elapsed().as_secs_f64(),
                    v.lost.len()
                ),
            );
            for l in v.lost.iter().take(10) {
                log(opts, format!("    LOST {l}"));
            }
            report.verifications.push(v);
        }
        report.stats = total;
    }
    report.fresh_sign_in = fresh_sign_in(&server.base, &users[0][0]).await;
    log(opts, format!("fresh sign-in + token after the run: {:?}", report.fresh_sign_in));
    server.kill9();
    report.integrity.push(integrity_check(db)?);
    report.ledger = lock(&ledger).clone();
    Ok(report)
}
