//! Load and crash-safety driver for clerk-server, over real HTTP on loopback only.
//!
//! It starts the real `clerk-server` binary as a child process (`--dev`, a temporary database),
//! creates one user per virtual client through the Backend API, then runs N concurrent virtual
//! browsers. Each one repeats: a new client (`POST /v1/dev_browser`, `GET /v1/client`), a
//! password sign-in (every `--sign-up-every`th round a full email-code sign-up instead), a few
//! session tokens, a touch, then end or remove the session. It prints throughput and latency
//! percentiles per operation.
//!
//! Every acknowledged write (a 2xx answer) goes into a ledger, and the ledger is checked against
//! the server afterwards. With `--crash N` the server is killed with SIGKILL in the middle of the
//! load, N times. After each kill the driver runs `PRAGMA integrity_check` on the database and
//! restarts the server on the same file and port. It then checks every write acknowledged so far
//! through the Backend and Frontend APIs, and finishes with a fresh sign-in and token.
//!
//!   make load                       # release build, then: load --seconds 20, then --crash 3
//!   target/bench/release/examples/load [--clients 64] [--seconds 20] [--crash N] [--seed S]
//!
//! Options:
//!   --clients N          concurrent virtual browsers (default 64)
//!   --seconds S          load duration; with --crash, the duration of each round (default 20)
//!   --crash N            N kill -9 / restart rounds instead of a plain run
//!   --tokens N           tokens minted per session (default 5)
//!   --sign-up-every N    every Nth round of a client is a sign-up (default 8, 0 = never)
//!   --users-per-client N users per client, used in turn (default 1)
//!   --seed S             seed for the kill times (default: random, printed)
//!   --db postgres://...  run on PostgreSQL instead of a fresh SQLite file (`make load-postgres`)
//!   --replicas N         N servers on the one PostgreSQL database, clients spread over them;
//!                        with --crash, each round kills one of them (default 1)
//!   --server PATH        clerk-server binary (default: next to this example's directory)
//!

use std::path::{Path, PathBuf};

use clerk_load::{Options, run};

/// The server binary: `--server PATH`, else `clerk-server` in the profile directory this
/// example was built into (`target/<profile>/examples/load` → `target/<profile>/clerk-server`).
fn default_server_bin() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().and_then(Path::parent).ok_or("no target directory")?;
    let bin = dir.join("clerk-server");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} not found: build it with the same profile (`make load` does), or pass --server PATH", bin.display()))
    }
}

fn parse_args() -> Result<(Options, Option<PathBuf>, Option<PathBuf>), String> {
    let mut o = Options::default();
    let mut server = None;
    let mut db = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let num = |name: &str, v: String| v.parse::<u64>().map_err(|_| format!("{name}: bad number `{v}`"));
        match a.as_str() {
            "--clients" => o.clients = num("--clients", val("--clients")?)?.clamp(1, 1024) as usize,
            "--seconds" | "--secs" => o.seconds = num("--seconds", val("--seconds")?)?.clamp(1, 600) as f64,
            "--crash" => o.crash_rounds = num("--crash", val("--crash")?)?.clamp(1, 100) as usize,
            "--tokens" => o.tokens_per_session = num("--tokens", val("--tokens")?)? as usize,
            "--sign-up-every" => o.sign_up_every = num("--sign-up-every", val("--sign-up-every")?)? as usize,
            "--users-per-client" => o.users_per_client = num("--users-per-client", val("--users-per-client")?)?.max(1) as usize,
            "--seed" => o.seed = num("--seed", val("--seed")?)?,
            "--replicas" => o.replicas = num("--replicas", val("--replicas")?)?.clamp(1, 8) as usize,
            "--server" => server = Some(PathBuf::from(val("--server")?)),
            // A postgres:// URL (an empty database, or one this tool used before); default: a
            // fresh SQLite file in a temporary directory.
            "--db" => db = Some(PathBuf::from(val("--db")?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((o, server, db))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let (opts, server, db) = match parse_args() {
        Ok(x) => x,
        Err(e) => {
            eprintln!(
                "{e}\nusage: load [--clients 64] [--seconds 20] [--crash N] [--tokens 5] [--sign-up-every 8] [--users-per-client 1] [--seed S] [--server PATH] [--db postgres://...] [--replicas N]"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let bin = match server.map(Ok).unwrap_or_else(default_server_bin) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let dir = std::env::temp_dir().join(format!("clerk-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("seed {} (--seed {} repeats the kill times)", opts.seed, opts.seed);
    let result = run(&bin, &db.unwrap_or_else(|| dir.join("load.db")), &opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let title = if opts.crash_rounds > 0 {
        format!("load across {} kill -9 rounds ({} clients)", opts.crash_rounds, opts.clients)
    } else {
        format!("load ({} clients)", opts.clients)
    };
    report.stats.print(&title);
    let l = &report.ledger;
    println!(
        "\nacknowledged writes: {} ({})",
        l.acked_total(),
        l.acked.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    );
    println!("records checked: {} users, {} sessions, {} clients", l.users.len(), l.sessions.len(), l.dev_browsers.len());
    if opts.crash_rounds > 0 {
        println!("kills: {}, rounds cut short by a kill: {}", opts.crash_rounds, report.interrupted);
    }
    if opts.replicas > 1 {
        println!("answered per replica: {:?}; acknowledged after the kills: {}", report.answered, report.acked_after_kills);
    }
    println!("acknowledged writes lost: {}", report.lost());
    for v in &report.verifications {
        for l in v.lost.iter().take(20) {
            println!("  LOST {l}");
        }
    }
    println!("integrity_check: {}", report.integrity.join(" | "));
    println!(
        "fresh sign-in + token: {}",
        match &report.fresh_sign_in {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("FAILED {e}"),
        }
    );
    let ok =
        report.lost() == 0 && report.integrity.iter().all(|i| i == "ok") && report.fresh_sign_in.is_ok() && report.stats.http_errors() == 0;
    if report.stats.http_errors() > 0 {
        println!("HTTP error answers: {} (see the table)", report.stats.http_errors());
    }
    println!("{}", if ok { "PASS" } else { "FAIL" });
    if ok { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE }
}
