//! The virtual browsers. Each one repeats rounds of: a new client (`POST /v1/dev_browser`,
//! `GET /v1/client`), a password sign-in (every `sign_up_every`th round an email-code sign-up
//! instead), a few session tokens, a touch, then end or remove the session. Every acknowledged
//! write goes into the ledger.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ledger::{DevBrowserRec, Ledger, SessionRec, SharedLedger, lock};
use crate::server::ServerProc;
use crate::stats::Stats;
use crate::{ORIGIN, Options, PASSWORD};

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
    /// Set just before a server is killed: a client whose server is gone stops at its next
    /// transport failure.
    killed: AtomicBool,
    /// Set when the round is over: every client stops after its current request.
    stop: AtomicBool,
    /// Iterations that were cut short by the kill (requests in flight).
    interrupted: AtomicUsize,
}

impl Flags {
    fn over(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || Instant::now() >= self.deadline
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

/// What a round of load did.
pub(crate) struct Round {
    pub stats: Stats,
    /// Answered requests per server (`bases[i]`): clients are spread over them in turn.
    pub answered: Vec<usize>,
    /// Virtual-browser rounds cut short by the kill (requests in flight).
    pub interrupted: usize,
    /// Writes acknowledged after the kill, by the servers still up.
    pub acked_after_kill: u64,
}

/// Runs the virtual browsers, client `c` against `bases[c % bases.len()]`, until `seconds` pass
/// or, in a crash round, until `victim` is killed with SIGKILL after the given delay. With more
/// than one server the others carry on for the rest of the round: their clients must not notice.
pub(crate) async fn run_load(
    bases: &[String],
    users: &[Vec<String>],
    tag: &str,
    opts: &Options,
    ledger: &SharedLedger,
    victim: Option<(Duration, ServerProc)>,
) -> Round {
    let start = Instant::now();
    let flags = Arc::new(Flags {
        // A crash round ends with the kill, which may wait for progress (below).
        deadline: start + Duration::from_secs_f64(opts.seconds) + if victim.is_some() { Duration::from_secs(120) } else { Duration::ZERO },
        killed: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        interrupted: AtomicUsize::new(0),
    });
    let mut tasks = Vec::new();
    for (c, emails) in users.iter().enumerate() {
        tasks.push(tokio::spawn(virtual_browser(
            bases[c % bases.len()].clone(),
            c,
            emails.clone(),
            tag.to_owned(),
            opts.clone(),
            flags.clone(),
            ledger.clone(),
        )));
    }
    let mut acked_at_kill = None;
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
        acked_at_kill = Some(lock(ledger).acked_total());
        if bases.len() > 1 {
            // The rest of the round (at least a second) on the servers still up.
            let rest = Duration::from_secs_f64(opts.seconds).saturating_sub(after).max(Duration::from_secs(1));
            tokio::time::sleep(rest).await;
        }
        flags.stop.store(true, Ordering::SeqCst);
    }
    let mut round = Round { stats: Stats::default(), answered: vec![0; bases.len()], interrupted: 0, acked_after_kill: 0 };
    for (c, t) in tasks.into_iter().enumerate() {
        let stats = t.await.expect("virtual browser task");
        round.answered[c % bases.len()] += stats.total_ok();
        round.stats.merge(stats);
    }
    round.stats.elapsed = start.elapsed();
    round.interrupted = flags.interrupted.load(Ordering::SeqCst);
    round.acked_after_kill = acked_at_kill.map_or(0, |at| lock(ledger).acked_total() - at);
    round
}
