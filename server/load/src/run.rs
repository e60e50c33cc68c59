//! A whole run: a plain load, or rounds of load, kill -9, integrity check, restart and verification.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::Options;
use crate::driver::{create_users, run_load};
use crate::ledger::{Ledger, SharedLedger, lock};
use crate::server::{self, ServerProc, integrity_check, journal_mode};
use crate::stats::Stats;
use crate::verify::{Verification, fresh_sign_in, verify};

pub struct RunReport {
    pub stats: Stats,
    pub ledger: Ledger,
    /// One per server after each restart (once per server at the end of a plain run).
    pub verifications: Vec<Verification>,
    /// `PRAGMA integrity_check` after each kill and at the end.
    pub integrity: Vec<String>,
    /// Virtual-browser rounds cut short by the kills (requests in flight at the kill).
    pub interrupted: usize,
    /// Answered requests per server (`Options::replicas`), over the whole run.
    pub answered: Vec<usize>,
    /// Writes acknowledged after a kill by the servers still up (several replicas only).
    pub acked_after_kills: u64,
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

/// The whole run against `clerk-server` children on `db`: a plain load (`crash_rounds == 0`), or
/// rounds of load, kill -9 (of each replica in turn), integrity check, restart and verification
/// through every replica.
pub async fn run(bin: &Path, db: &Path, opts: &Options) -> Result<RunReport, String> {
    if opts.replicas > 1 && !server::is_postgres(db) {
        return Err("several replicas need a postgres:// database".into());
    }
    let tag: String = format!("{:08x}", rand::random::<u32>());
    let ledger: SharedLedger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    // One after the other: the first one migrates the schema.
    let mut servers = Vec::new();
    for _ in 0..opts.replicas.max(1) {
        let s = ServerProc::spawn(bin, db, "127.0.0.1:0")?;
        log(opts, format!("clerk-server {} (pid {}) on {}, database {}", bin.display(), s.pid(), s.base, db.display()));
        servers.push(s);
    }
    let t = Instant::now();
    let users = create_users(&servers[0].base, &servers[0].secret_key, &tag, opts.clients, opts.users_per_client, &ledger).await?;
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
        answered: vec![0; servers.len()],
        acked_after_kills: 0,
        fresh_sign_in: Ok(()),
    };
    if opts.crash_rounds == 0 {
        log(opts, format!("load: {} clients on {} server(s) for {} s...", opts.clients, servers.len(), opts.seconds));
        let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
        let round = run_load(&bases, &users, &tag, opts, &ledger, None).await;
        report.answered = round.answered;
        report.stats = round.stats;
        let snapshot = lock(&ledger).clone();
        for s in &servers {
            report.verifications.push(verify(&s.base, &s.secret_key, &snapshot).await);
        }
    } else {
        let mut total = Stats::default();
        for round_no in 1..=opts.crash_rounds {
            // Kill somewhere in the middle of the round, each replica in turn.
            let after = Duration::from_secs_f64(opts.seconds * rng.gen_range(0.3..0.8));
            let v = (round_no - 1) % servers.len();
            log(
                opts,
                format!(
                    "round {round_no}/{}: load with {} clients on {} server(s), kill -9 of server {v} after {:.2} s",
                    opts.crash_rounds,
                    opts.clients,
                    servers.len(),
                    after.as_secs_f64()
                ),
            );
            let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
            let victim = servers.remove(v);
            let (pid, addr) = (victim.pid(), victim.addr.clone());
            let round = run_load(&bases, &users, &tag, opts, &ledger, Some((after, victim))).await;
            report.interrupted += round.interrupted;
            report.acked_after_kills += round.acked_after_kill;
            for (i, n) in round.answered.iter().enumerate() {
                report.answered[i] += n;
            }
            let acked = lock(&ledger).acked_total();
            log(
                opts,
                format!(
                    "  killed pid {pid}: {} requests answered this round, {} rounds in flight, {} writes acknowledged after the kill, {acked} so far",
                    round.stats.total_ok(),
                    round.interrupted,
                    round.acked_after_kill
                ),
            );
            total.merge(round.stats.clone());
            total.elapsed += round.stats.elapsed;
            let ic = integrity_check(db)?;
            log(opts, format!("  integrity_check: {ic} (journal_mode {})", journal_mode(db)?));
            report.integrity.push(ic);
            let restarted = match ServerProc::spawn(bin, db, &addr) {
                Ok(s) => s,
                // Someone else took the port meanwhile: any port will do.
                Err(e) => {
                    log(opts, format!("  restart on {addr} failed ({e}); using another port"));
                    ServerProc::spawn(bin, db, "127.0.0.1:0")?
                }
            };
            servers.insert(v, restarted);
            let snapshot = lock(&ledger).clone();
            // Every replica must have every acknowledged write, whichever replica acknowledged it.
            for s in &servers {
                let t = Instant::now();
                let check = verify(&s.base, &s.secret_key, &snapshot).await;
                log(
                    opts,
                    format!(
                        "  checked on pid {}: {} users, {} sessions, {} clients in {:.1} s: {} lost",
                        s.pid(),
                        check.users_checked,
                        check.sessions_checked,
                        check.clients_checked,
                        t.elapsed().as_secs_f64(),
                        check.lost.len()
                    ),
                );
                for l in check.lost.iter().take(10) {
                    log(opts, format!("    LOST {l}"));
                }
                report.verifications.push(check);
            }
        }
        report.stats = total;
    }
    report.fresh_sign_in = fresh_sign_in(&servers[0].base, &users[0][0]).await;
    log(opts, format!("fresh sign-in + token after the run: {:?}", report.fresh_sign_in));
    for s in servers {
        s.kill9();
    }
    report.integrity.push(integrity_check(db)?);
    report.ledger = lock(&ledger).clone();
    Ok(report)
}
