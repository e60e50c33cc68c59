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
//!   --server PATH        clerk-server binary (default: next to this example's directory)
//!
//! `tests/crash.rs` runs a bounded version of the crash run as a plain `cargo test`.

#![allow(dead_code)] // `tests/crash.rs` includes this file as a module and uses part of it

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

pub const PASSWORD: &str = "load-password-1";
const ORIGIN: &str = "http://127.0.0.1:3000";

#[derive(Debug, Clone)]
pub struct Options {
    pub clients: usize,
    /// Load duration (plain run) or length of each round (crash run).
    pub seconds: f64,
    /// 0: a plain run; N: N kill -9 / restart rounds.
    pub crash_rounds: usize,
    pub tokens_per_session: usize,
    pub sign_up_every: usize,
    pub users_per_client: usize,
    pub seed: u64,
    /// Print progress lines.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clients: 64,
            seconds: 20.0,
            crash_rounds: 0,
            tokens_per_session: 5,
            sign_up_every: 8,
            users_per_client: 1,
            seed: rand::random(),
            verbose: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server as a child process
// ---------------------------------------------------------------------------------------------

/// A running `clerk-server` child process.
pub struct ServerProc {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub addr: String,
    pub secret_key: String,
}

impl ServerProc {
    /// Starts `bin --dev --db DB --addr ADDR` and waits until it prints its address and keys.
    /// `addr` is `127.0.0.1:0` the first time, then the same port again on restart.
    pub fn spawn(bin: &Path, db: &Path, addr: &str) -> Result<ServerProc, String> {
        if !addr.starts_with("127.0.0.1:") {
            return Err(format!("loopback only, not {addr}"));
        }
        let mut child = Command::new(bin)
            .args(["--dev", "--db"])
            .arg(db)
            .args(["--addr", addr])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        // The server prints every email code in --dev mode: keep draining its stdout, or a full
        // pipe would block it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Once nobody listens any more, keep draining.
                let _ = tx.send(line);
            }
        });
        let (mut base, mut sk) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while base.is_none() || sk.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(u) = line.strip_prefix("clerk-server listening on ") {
                        base = Some(u.trim().to_owned());
                    } else if let Some(k) = line.strip_prefix("secret key:") {
                        sk = Some(k.trim().to_owned());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    return Err(format!("clerk-server did not start ({status})"));
                }
            }
        }
        let base = base.unwrap();
        let addr = base.trim_start_matches("http://").to_owned();
        Ok(ServerProc { child, base, addr, secret_key: sk.unwrap() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (std's `Child::kill` on Unix): no shutdown code runs.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// A `postgres://` database rather than a SQLite file.
fn postgres_url(db: &Path) -> Option<String> {
    db.to_str().filter(|d| d.starts_with("postgres://") || d.starts_with("postgresql://")).map(str::to_owned)
}

/// PostgreSQL keeps its own consistency (WAL, checksums are the cluster's): the check is that the
/// database answers and its schema is there, on a plain thread (the blocking client's runtime).
fn postgres_check(url: String) -> Result<String, String> {
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        let row = client.query_one("SELECT COUNT(*) FROM schema_migrations", &[]).map_err(|e| e.to_string())?;
        let versions: i64 = row.get(0);
        if versions > 0 { Ok("ok".to_owned()) } else { Err("no schema".to_owned()) }
    })
    .join()
    .map_err(|_| "postgres check panicked".to_owned())?
}

/// `PRAGMA integrity_check` on the database file, with no server running ("ok" when sound).
/// On PostgreSQL: the database answers with its schema.
pub fn integrity_check(db: &Path) -> Result<String, String> {
    if let Some(url) = postgres_url(db) {
        return postgres_check(url);
    }
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let rows: Vec<String> =
        conn.prepare("PRAGMA integrity_check").and_then(|mut s| s.query_map([], |r| r.get(0))?.collect()).map_err(|e| e.to_string())?;
    Ok(rows.join("; "))
}

/// The journal mode stored in the database file (`wal` once the server has opened it).
pub fn journal_mode(db: &Path) -> Result<String, String> {
    if postgres_url(db).is_some() {
        return Ok("postgres".to_owned());
    }
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

#[derive(Default, Clone)]
pub struct OpStats {
    /// Latencies of the successful calls.
    pub ok: Vec<Duration>,
    /// Error answers by status (0 = transport error: connection refused or reset).
    pub errors: BTreeMap<u16, u64>,
    pub sample_error: Option<String>,
}

#[derive(Default, Clone)]
pub struct Stats {
    pub ops: BTreeMap<&'static str, OpStats>,
    pub elapsed: Duration,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        for (k, v) in other.ops {
            let e = self.ops.entry(k).or_default();
            e.ok.extend(v.ok);
            for (s, n) in v.errors {
                *e.errors.entry(s).or_default() += n;
            }
            if e.sample_error.is_none() {
                e.sample_error = v.sample_error;
            }
        }
    }

    pub fn total_ok(&self) -> usize {
        self.ops.values().map(|o| o.ok.len()).sum()
    }

    pub fn errors_with(&self, status: u16) -> u64 {
        self.ops.values().map(|o| o.errors.get(&status).copied().unwrap_or(0)).sum()
    }

    /// Error answers other than transport errors (which are expected once the server is killed).
    pub fn http_errors(&self) -> u64 {
        self.ops.values().flat_map(|o| o.errors.iter()).filter(|(s, _)| **s != 0).map(|(_, n)| n).sum()
    }

    pub fn print(&self, title: &str) {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        println!("\n{title}: {:.1} s", secs);
        println!("{:<16} {:>8} {:>9} {:>9} {:>9} {:>9}  errors", "operation", "ok", "ops/s", "p50 ms", "p99 ms", "max ms");
        let mut all = Vec::new();
        for (name, o) in &self.ops {
            let mut lat = o.ok.clone();
            lat.sort();
            all.extend_from_slice(&lat);
            let errs = if o.errors.is_empty() {
                String::new()
            } else {
                o.errors
                    .iter()
                    .map(|(s, n)| if *s == 0 { format!("{n} transport") } else { format!("{n}×{s}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "{name:<16} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}  {errs}",
                lat.len(),
                lat.len() as f64 / secs,
                pct(&lat, 0.50),
                pct(&lat, 0.99),
                pct(&lat, 1.0),
            );
            if let Some(s) = &o.sample_error {
                println!("{:<16} first error: {s}", "");
            }
        }
        all.sort();
        println!(
            "{:<16} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}",
            "total",
            all.len(),
            all.len() as f64 / secs,
            pct(&all, 0.50),
            pct(&all, 0.99),
            pct(&all, 1.0)
        );
        let rl = self.errors_with(429);
        println!("429 answers: {rl}");
    }
}

/// Percentile in milliseconds of sorted latencies (0 when empty).
fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------------
// The ledger of acknowledged writes
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct SessionRec {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// Status after the last acknowledged write: `active`, `ended` or `removed`.
    pub status: &'static str,
    /// A status change sent but never answered (the server died meanwhile): either is valid.
    pub pending: Option<&'static str>,
    /// `last_active_at` of the last acknowledged touch.
    pub touched_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct DevBrowserRec {
    pub token: String,
    /// The session signed in on this client, if the sign-in was acknowledged.
    pub session: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Created through BAPI `POST /v1/users` or by a completed sign-up: id → email.
    pub users: HashMap<String, String>,
    pub sessions: HashMap<String, SessionRec>,
    pub dev_browsers: Vec<DevBrowserRec>,
    /// Acknowledged write requests, by kind.
    pub acked: BTreeMap<&'static str, u64>,
}

impl Ledger {
    pub fn acked_total(&self) -> u64 {
        self.acked.values().sum()
    }
    fn ack(&mut self, kind: &'static str) {
        *self.acked.entry(kind).or_default() += 1;
    }
}

type SharedLedger = Arc<Mutex<Ledger>>;

fn lock(l: &SharedLedger) -> std::sync::MutexGuard<'_, Ledger> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

enum Failure {
    Transport(String),
    Status { status: u16, body: String, retry_after: Option<u64> },
}

struct Driver {
    http: reqwest::Client,
    base: String,
    stats: Stats,
}

impl Driver {
    fn new(base: &str) -> Self {
        // One client (connection pool) per virtual browser; no cookie store: the dev-browser
        // token identifies the client, as in clerk-js on development instances.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        Driver { http, base: base.to_owned(), stats: Stats::default() }
    }

    /// Sends a request, records its latency or error under `op`, returns the JSON body of a 2xx.
    async fn call(&mut self, op: &'static str, rb: reqwest::RequestBuilder) -> Result<Value, Failure> {
        let t0 = Instant::now();
        let res = async {
            let r = rb.send().await.map_err(|e| Failure::Transport(e.to_string()))?;
            let status = r.status().as_u16();
            let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
            let text = r.text().await.map_err(|e| Failure::Transport(e.to_string()))?;
            if (200..300).contains(&status) {
                serde_json::from_str(&text).map_err(|e| Failure::Status { status, body: format!("bad JSON: {e}"), retry_after })
            } else {
                Err(Failure::Status { status, body: text, retry_after })
            }
        }
        .await;
        let entry = self.stats.ops.entry(op).or_default();
        match &res {
            Ok(_) => entry.ok.push(t0.elapsed()),
            Err(f) => {
                let (status, msg) = match f {
                    Failure::Transport(m) => (0, m.clone()),
                    Failure::Status { status, body, .. } => (*status, body.chars().take(300).collect()),
                };
                *entry.errors.entry(status).or_default() += 1;
                if status != 0 && entry.sample_error.is_none() {
                    entry.sample_error = Some(format!("{status} {msg}"));
                }
            }
        }
        res
    }

    fn fapi(&self, method: reqwest::Method, path: &str, dvb: &str) -> reqwest::RequestBuilder {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.http.request(method, format!("{}{path}{sep}__clerk_db_jwt={dvb}", self.base)).header("origin", ORIGIN)
    }
}

/// Creates the users of the run through BAPI (`POST /v1/users`), `per_client` per client.
pub async fn create_users(
    base: &str,
    sk: &str,
    tag: &str,
    clients: usize,
    per_client: usize,
    ledger: &SharedLedger,
) -> Result<Vec<Vec<String>>, String> {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, sk, tag, ledger) = (http.clone(), base.to_owned(), sk.to_owned(), tag.to_owned(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            let mut emails = Vec::new();
            for k in 0..per_client {
                let email = format!("load-{tag}-c{c}-u{k}@example.com");
                let r = http
                    .post(format!("{base}/v1/users"))
                    .bearer_auth(&sk)
                    .json(&json!({ "email_address": [email], "password": PASSWORD }))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = r.status();
                let v: Value = r.json().await.map_err(|e| e.to_string())?;
                let id = v["id"].as_str().filter(|_| status.is_success()).ok_or(format!("POST /v1/users: {status} {v}"))?;
                let mut l = lock(&ledger);
                l.users.insert(id.to_owned(), email.clone());
                l.ack("bapi_create_user");
                emails.push(email);
            }
            Ok::<_, String>(emails)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

struct Flags {
    deadline: Instant,
    /// Set just before the server is killed: clients stop at their next failure.
    killed: AtomicBool,
    /// Iterations that were cut short by the kill (requests in flight).
    interrupted: AtomicUsize,
}

impl Flags {
    fn over(&self) -> bool {
        self.killed.load(Ordering::SeqCst) || Instant::now() >= self.deadline
    }
}

/// Waits `secs` (a Retry-After), but no longer than the run lasts.
async fn backoff(flags: &Flags, secs: u64) {
    let until = Instant::now() + Duration::from_secs(secs.max(1));
    while Instant::now() < until && !flags.over() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One virtual browser: rounds of new client → sign-in/sign-up → tokens → touch → end/remove.
async fn virtual_browser(
    base: String,
    c: usize,
    emails: Vec<String>,
    tag: String,
    opts: Options,
    flags: Arc<Flags>,
    ledger: SharedLedger,
) -> Stats {
    let mut d = Driver::new(&base);
    let mut round = 0usize;
    while !flags.over() {
        let r = one_round(&mut d, c, round, &emails, &tag, &opts, &ledger).await;
        round += 1;
        match r {
            Ok(()) => {}
            Err(Failure::Transport(_)) if flags.killed.load(Ordering::SeqCst) => {
                flags.interrupted.fetch_add(1, Ordering::SeqCst);
                break;
            }
            Err(Failure::Status { status: 429, retry_after, .. }) => backoff(&flags, retry_after.unwrap_or(1)).await,
            // A 2xx whose content is wrong (counted as ok by `call`): count it as an error here.
            Err(Failure::Status { status: 200, body, .. }) => {
                let e = d.stats.ops.entry("wrong_answer").or_default();
                *e.errors.entry(200).or_default() += 1;
                e.sample_error.get_or_insert(body);
            }
            // Errors are counted in the statistics; go on with a new round.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    d.stats
}

#[allow(clippy::too_many_arguments)]
async fn one_round(
    d: &mut Driver,
    c: usize,
    round: usize,
    emails: &[String],
    tag: &str,
    opts: &Options,
    ledger: &SharedLedger,
) -> Result<(), Failure> {
    use reqwest::Method;
    // A new client: a dev-browser token, then `GET /v1/client` as clerk-js does on load.
    let rb = d.http.post(format!("{}/v1/dev_browser", d.base)).header("origin", ORIGIN);
    let v = d.call("dev_browser", rb).await?;
    let dvb = v["id"].as_str().unwrap_or_default().to_owned();
    let db_index = {
        let mut l = lock(ledger);
        l.ack("dev_browser");
        l.dev_browsers.push(DevBrowserRec { token: dvb.clone(), session: None });
        l.dev_browsers.len() - 1
    };
    let rb = d.fapi(Method::GET, "/v1/client", &dvb);
    d.call("get_client", rb).await?;

    // Staggered by client, so that sign-ups are spread over the run from its first round.
    let sign_up = opts.sign_up_every > 0 && (round + c).is_multiple_of(opts.sign_up_every);
    let (sid, uid, client_id) = if sign_up {
        // Random: the same client index signs up again in later crash rounds.
        let email = format!("load-{tag}-c{c}-s{:016x}@example.com", rand::random::<u64>());
        let rb = d.fapi(Method::POST, "/v1/client/sign_ups", &dvb).form(&[("email_address", &*email), ("password", PASSWORD)]);
        let v = d.call("sign_up_create", rb).await?;
        lock(ledger).ack("sign_up_create");
        let su = v["response"]["id"].as_str().unwrap_or_default().to_owned();
        let rb = d.fapi(Method::POST, &format!("/v1/client/sign_ups/{su}/prepare_verification"), &dvb).form(&[("strategy", "email_code")]);
        d.call("sign_up_prepare", rb).await?;
        lock(ledger).ack("sign_up_prepare");
        // The development outbox: where a real user would read their email.
        let rb = d.http.get(format!("{}/__dev/emails?to={email}", d.base));
        let v = d.call("read_email", rb).await?;
        let code = v["latest_code"].as_str().unwrap_or_default().to_owned();
        let rb = d
            .fapi(Method::POST, &format!("/v1/client/sign_ups/{su}/attempt_verification"), &dvb)
            .form(&[("strategy", "email_code"), ("code", &*code)]);
        let v = d.call("sign_up_attempt", rb).await?;
        let r = &v["response"];
        let (Some(sid), Some(uid)) = (r["created_session_id"].as_str(), r["created_user_id"].as_str()) else {
            return Err(Failure::Status { status: 200, body: format!("sign-up not complete: {r}"), retry_after: None });
        };
        let mut l = lock(ledger);
        l.ack("sign_up_attempt");
        l.users.insert(uid.to_owned(), email);
        (sid.to_owned(), uid.to_owned(), v["client"]["id"].as_str().unwrap_or_default().to_owned())
    } else {
        let email = &emails[round % emails.len()];
        let rb = d.fapi(Method::POST, "/v1/client/sign_ins", &dvb).form(&[
            ("identifier", email.as_str()),
            ("password", PASSWORD),
            ("strategy", "password"),
        ]);
        let v = d.call("sign_in", rb).await?;
        let Some(sid) = v["response"]["created_session_id"].as_str() else {
            return Err(Failure::Status { status: 200, body: format!("sign-in not complete: {}", v["response"]), retry_after: None });
        };
        let uid = v["client"]["sessions"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == sid))
            .and_then(|s| s["user"]["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        lock(ledger).ack("sign_in");
        (sid.to_owned(), uid, v["client"]["id"].as_str().unwrap_or_default().to_owned())
    };
    {
        let mut l = lock(ledger);
        l.dev_browsers[db_index].session = Some(sid.clone());
        l.sessions.insert(
            sid.clone(),
            SessionRec { id: sid.clone(), user_id: uid, client_id, status: "active", pending: None, touched_at: None },
        );
    }

    for _ in 0..opts.tokens_per_session {
        let rb = d.fapi(Method::POST, &format!("/v1/client/sessions/{sid}/tokens"), &dvb).form(&[("organization_id", "")]);
        let v = d.call("token", rb).await?;
        if v["jwt"].as_str().is_none_or(|j| j.split('.').count() != 3) {
            return Err(Failure::Status { status: 200, body: format!("not a token: {v}"), retry_after: None });
        }
    }

    let rb = d.fapi(Method::POST, &format!("/v1/client/sessions/{sid}/touch"), &dvb).form(&[("intent", "focus")]);
    let v = d.call("touch", rb).await?;
    {
        let mut l = lock(ledger);
        l.ack("touch");
        if let Some(s) = l.sessions.get_mut(&sid) {
            s.touched_at = v["response"]["last_active_at"].as_i64();
        }
    }
    if v["response"]["last_active_at"].as_i64().is_none() {
        return Err(Failure::Status { status: 200, body: format!("touch answer without last_active_at: {v}"), retry_after: None });
    }

    let (op, target) = if (round + c).is_multiple_of(2) { ("end", "ended") } else { ("remove", "removed") };
    if let Some(s) = lock(ledger).sessions.get_mut(&sid) {
        s.pending = Some(target);
    }
    let rb = d.fapi(Method::POST, &format!("/v1/client/sessions/{sid}/{op}"), &dvb);
    let res = d.call(op, rb).await;
    let mut l = lock(ledger);
    match &res {
        Ok(v) if v["response"]["status"] == target => {
            l.ack(op);
            if let Some(s) = l.sessions.get_mut(&sid) {
                s.status = target;
                s.pending = None;
            }
        }
        // The server answered and refused: nothing changed. (A transport error leaves it pending.)
        Ok(_) | Err(Failure::Status { .. }) => {
            if let Some(s) = l.sessions.get_mut(&sid) {
                s.pending = None;
            }
        }
        Err(Failure::Transport(_)) => {}
    }
    res.map(|_| ())
}

/// Runs the virtual browsers until `seconds` pass or, in a crash round, until `victim` is
/// killed with SIGKILL after the given delay.
async fn run_load(
    base: &str,
    users: &[Vec<String>],
    tag: &str,
    opts: &Options,
    ledger: &SharedLedger,
    victim: Option<(Duration, ServerProc)>,
) -> (Stats, usize) {
    let start = Instant::now();
    let flags = Arc::new(Flags {
        // A crash round ends with the kill, which may wait for progress (below).
        deadline: start + Duration::from_secs_f64(opts.seconds) + if victim.is_some() { Duration::from_secs(120) } else { Duration::ZERO },
        killed: AtomicBool::new(false),
        interrupted: AtomicUsize::new(0),
    });
    let mut tasks = Vec::new();
    for (c, emails) in users.iter().enumerate() {
        tasks.push(tokio::spawn(virtual_browser(
            base.to_owned(),
            c,
            emails.clone(),
            tag.to_owned(),
            opts.clone(),
            flags.clone(),
            ledger.clone(),
        )));
    }
    if let Some((after, server)) = victim {
        let progress = |l: &Ledger| {
            let n = |k| l.acked.get(k).copied().unwrap_or(0);
            (n("sign_in") + n("sign_up_attempt"), n("end").min(n("remove")))
        };
        let at_start = progress(&lock(ledger));
        tokio::time::sleep(after).await;
        // On a slow machine (a debug build under `cargo test`), wait until this round has
        // acknowledged sign-ins and session endings, so that the kill has something to lose.
        let give_up = Instant::now() + Duration::from_secs(60);
        while Instant::now() < give_up {
            let now = progress(&lock(ledger));
            if now.0 > at_start.0 && now.1 > at_start.1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        flags.killed.store(true, Ordering::SeqCst);
        server.kill9();
    }
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.expect("virtual browser task"));
    }
    stats.elapsed = start.elapsed();
    (stats, flags.interrupted.load(Ordering::SeqCst))
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

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
                "{e}\nusage: load [--clients 64] [--seconds 20] [--crash N] [--tokens 5] [--sign-up-every 8] [--users-per-client 1] [--seed S] [--server PATH] [--db postgres://...]"
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
