//! Development fault injection over real HTTP: each kind strikes where the README says (before
//! or after the handler), only Frontend API routes are hit, the seeded lottery is reproducible
//! and its counters match what clients saw, and it is off unless asked for in development mode.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// What a client observed for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Answered,
    Status500,
    Status429,
    Dropped,
    Malformed,
}

struct Observed {
    seen: Seen,
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn observe(rb: reqwest::RequestBuilder) -> Observed {
    let r = rb.send().await.expect("the head always arrives (drops cut the body only)");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let Ok(text) = r.text().await else {
        return Observed { seen: Seen::Dropped, status, headers, body: Value::Null };
    };
    let (seen, body) = match serde_json::from_str::<Value>(&text) {
        Err(_) => (Seen::Malformed, Value::String(text)),
        Ok(v) if status == 500 => (Seen::Status500, v),
        Ok(v) if status == 429 => (Seen::Status429, v),
        Ok(v) => (Seen::Answered, v),
    };
    Observed { seen, status, headers, body }
}

async fn faults(t: &TestServer, query: &str) -> Value {
    let http = reqwest::Client::new();
    let r = if query.is_empty() {
        http.get(t.url("/__dev/faults")).send().await.unwrap()
    } else {
        http.post(t.url(&format!("/__dev/faults?{query}"))).send().await.unwrap()
    };
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Bob's signed-in sessions, seen through the Backend API (never faulted).
async fn bob_sessions(t: &TestServer) -> usize {
    let r = t.bapi().get(&format!("/v1/sessions?user_id={}&status=active&limit=500", t.seeded.bob_id)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body.as_array().unwrap().len()
}

fn sign_in_bob(http: &reqwest::Client, t: &TestServer) -> reqwest::RequestBuilder {
    http.post(t.url("/v1/client/sign_ins")).header("origin", ORIGIN).form(&[
        ("identifier", "bob@example.com"),
        ("password", PASSWORD),
        ("strategy", "password"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_strikes_before_or_after_the_handler_as_documented() {
    let t = TestServer::start().await;
    let off = faults(&t, "").await;
    assert_eq!((off["enabled"].as_bool(), off["total"].as_u64()), (Some(false), Some(0)), "off by default: {off}");

    // 500, before the handler: a typed envelope, and no session was created.
    faults(&t, "rate=1&kinds=500&reset=true").await;
    let o = observe(sign_in_bob(&reqwest::Client::new(), &t)).await;
    assert_eq!(o.seen, Seen::Status500);
    assert_eq!(o.headers["content-type"], "application/json");
    assert_eq!(o.body["errors"][0]["code"], "internal_clerk_error");
    assert_eq!(o.body["errors"][0]["meta"]["injected_fault"], "500");
    assert!(o.body["errors"][0]["long_message"].as_str().unwrap().contains("/__dev/faults"));
    assert!(o.headers.get("set-cookie").is_none());
    faults(&t, "rate=0").await;
    assert_eq!(bob_sessions(&t).await, 0, "a 500 fault strikes before the handler");

    // 429, before the handler: Retry-After 1, typed, no side effect.
    faults(&t, "rate=1&kinds=429").await;
    let o = observe(sign_in_bob(&reqwest::Client::new(), &t)).await;
    assert_eq!(o.seen, Seen::Status429);
    assert_eq!(o.headers["retry-after"], "1");
    assert_eq!(o.body["errors"][0]["code"], "too_many_requests");
    faults(&t, "rate=0").await;
    assert_eq!(bob_sessions(&t).await, 0, "a 429 fault strikes before the handler");

    // delay: a few hundred ms to 1.5 s, then the normal answer.
    faults(&t, "rate=1&kinds=delay").await;
    let started = Instant::now();
    let o = observe(sign_in_bob(&reqwest::Client::new(), &t)).await;
    let waited = started.elapsed();
    assert_eq!((o.seen, o.status), (Seen::Answered, 200));
    assert_eq!(o.body["response"]["status"], "complete");
    assert!(waited >= Duration::from_millis(200) && waited < Duration::from_secs(5), "{waited:?}");
    faults(&t, "rate=0").await;
    assert_eq!(bob_sessions(&t).await, 1);

    // drop, after the handler: the head arrives, the body never does; the sign-in happened,
    // and its cookie got through, so the client can find out.
    faults(&t, "rate=1&kinds=drop").await;
    let jar = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let o = observe(sign_in_bob(&jar, &t)).await;
    assert_eq!((o.seen, o.status), (Seen::Dropped, 200));
    faults(&t, "rate=0").await;
    assert_eq!(bob_sessions(&t).await, 2, "a dropped answer's request took effect");
    let c: Value = jar.get(t.url("/v1/client")).send().await.unwrap().json().await.unwrap();
    assert_eq!(c["response"]["sessions"][0]["user"]["id"], t.seeded.bob_id.as_str(), "{c}");

    // malformed, after the handler: 200, JSON content type, a body that does not parse.
    faults(&t, "rate=1&kinds=malformed").await;
    let o = observe(sign_in_bob(&reqwest::Client::new(), &t)).await;
    assert_eq!((o.seen, o.status), (Seen::Malformed, 200), "{:?}", o.body);
    assert_eq!(o.headers["content-type"], "application/json");
    assert!(o.body.as_str().unwrap().starts_with('{'));
    faults(&t, "rate=0").await;
    assert_eq!(bob_sessions(&t).await, 3, "a malformed answer's request took effect");

    let snap = faults(&t, "").await;
    for kind in ["500", "429", "delay", "drop", "malformed"] {
        assert_eq!(snap["injected"][kind], 1, "{kind}: {snap}");
    }
    assert_eq!((snap["total"].as_u64(), snap["requests"].as_u64()), (Some(5), Some(5)), "{snap}");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_frontend_api_routes_are_faulted_and_fail_next_still_works() {
    let t = TestServer::start().await;
    faults(&t, "rate=1&kinds=500&reset=true").await;
    let http = reqwest::Client::new();
    // Backend API, development endpoints and CORS preflights answer normally.
    assert_eq!(t.bapi().get(&format!("/v1/sessions?user_id={}", t.seeded.bob_id)).await.status, 200);
    assert_eq!(t.bapi().get("/v1/users").await.status, 200);
    assert_eq!(http.get(t.url("/v1/jwks")).send().await.unwrap().status(), 200);
    for path in ["/__dev/requests", "/__dev/instance", "/__dev/emails?to=bob@example.com"] {
        assert_eq!(http.get(t.url(path)).send().await.unwrap().status(), 200, "{path}");
    }
    let pre = http
        .request(reqwest::Method::OPTIONS, t.url("/v1/client/sign_ins"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success());
    // An unknown path is a plain 404, not a fault.
    let r = http.get(t.url("/v1/no_such_route")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let snap = faults(&t, "").await;
    assert_eq!((snap["requests"].as_u64(), snap["total"].as_u64()), (Some(0), Some(0)), "{snap}");
    // Every Frontend API route is.
    let o = observe(http.get(t.url("/v1/environment"))).await;
    assert_eq!(o.seen, Seen::Status500);
    assert_eq!(faults(&t, "").await["requests"], 1);

    // /__dev/fail_next keeps working, with random faults off.
    faults(&t, "rate=0").await;
    let r = http.post(t.url("/__dev/fail_next?route=GET%20/v1/environment&status=503&times=2")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for _ in 0..2 {
        let o = observe(http.get(t.url("/v1/environment"))).await;
        assert_eq!(o.status, 503);
        assert_eq!(o.body["errors"][0]["code"], "injected_failure");
    }
    assert_eq!(observe(http.get(t.url("/v1/environment"))).await.seen, Seen::Answered);
    t.server.stop().await;
}

async fn run_pattern(t: &TestServer, n: usize) -> Vec<Seen> {
    let http = reqwest::Client::new();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(observe(http.get(t.url("/v1/environment"))).await.seen);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_lottery_is_reproducible_and_its_counters_match_what_clients_saw() {
    let t = TestServer::start().await;
    const N: usize = 150;
    // delay is left out only to keep the test fast; it is covered above.
    let set = "rate=0.3&seed=42&kinds=500,429,drop,malformed&reset=true";
    let snap = faults(&t, set).await;
    assert_eq!(snap["kinds"], serde_json::json!(["500", "429", "drop", "malformed"]));
    let first = run_pattern(&t, N).await;
    let snap = faults(&t, "").await;
    let count = |p: &[Seen], s: Seen| p.iter().filter(|x| **x == s).count() as u64;
    assert_eq!(snap["requests"], N as u64);
    assert_eq!(snap["injected"]["500"], count(&first, Seen::Status500));
    assert_eq!(snap["injected"]["429"], count(&first, Seen::Status429));
    assert_eq!(snap["injected"]["drop"], count(&first, Seen::Dropped));
    assert_eq!(snap["injected"]["malformed"], count(&first, Seen::Malformed));
    assert_eq!(snap["injected"]["delay"], 0);
    let faulted = N as u64 - count(&first, Seen::Answered);
    assert_eq!(snap["total"], faulted);
    // Binomial(150, 0.3): mean 45, sd 5.6.
    assert!((25..=65).contains(&faulted), "{faulted} faults in {N}");
    for s in [Seen::Status500, Seen::Status429, Seen::Dropped, Seen::Malformed] {
        assert!(count(&first, s) > 0, "{s:?} never drawn: {first:?}");
    }

    // Same seed, same faults in the same order; another seed, another order.
    faults(&t, set).await;
    assert_eq!(run_pattern(&t, N).await, first);
    faults(&t, "seed=7&reset=true").await;
    assert_ne!(run_pattern(&t, N).await, first);
    // Counters run on across re-configurations until reset.
    faults(&t, "rate=0").await;
    assert_eq!(faults(&t, "").await["requests"], N as u64);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_need_development_mode_and_valid_settings() {
    use clerk_server::faults::{FaultKind, FaultSettings};
    let all_500 = FaultSettings { rate: 1.0, seed: 1, kinds: vec![FaultKind::ServerError] };

    // Not in development mode: no /__dev/faults, and start-up settings are ignored.
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(common::db_in(&dir, "clerk.db"), 60);
    c.dev = false;
    c.faults = Some(all_500.clone());
    let s = clerk_server::start(c).await.unwrap();
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/__dev/faults", s.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    for _ in 0..20 {
        assert_eq!(http.get(format!("{}/v1/environment", s.url())).send().await.unwrap().status(), 200);
    }
    s.stop().await;

    // In development mode, start-up settings apply from the first request.
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(common::db_in(&dir, "clerk.db"), 60);
    c.faults = Some(FaultSettings { kinds: vec![FaultKind::RateLimited], ..all_500 });
    let s = clerk_server::start(c).await.unwrap();
    let r = http.get(format!("{}/v1/environment", s.url())).send().await.unwrap();
    assert_eq!(r.status(), 429);
    // Bad settings are typed 422s and change nothing.
    for (q, param) in [("rate=1.5", "rate"), ("rate=abc", "rate"), ("seed=-1", "seed"), ("kinds=500,teapot", "kinds"), ("kinds=", "kinds")]
    {
        let r = http.post(format!("{}/__dev/faults?{q}", s.url())).send().await.unwrap();
        assert_eq!(r.status(), 422, "{q}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "form_param_value_invalid", "{q}");
        assert_eq!(body["errors"][0]["meta"]["param_name"], param, "{q}");
    }
    let snap: Value = http.get(format!("{}/__dev/faults", s.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!((snap["rate"].as_f64(), snap["kinds"][0].as_str()), (Some(1.0), Some("429")), "{snap}");
    s.stop().await;
}

/// The CLI: `--faults` without `--dev` is refused; with it, the settings are live at start.
#[test]
fn cli_flags() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_clerk-server");
    let dir = tempfile::tempdir().unwrap();
    let db = common::db_in(&dir, "clerk.db");
    let out = Command::new(bin).args(["--db", db.to_str().unwrap(), "--faults", "0.2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --dev"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(bin).args(["--dev", "--faults", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    let mut child = Command::new(bin)
        .args(["--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0", "--dev"])
        .args(["--faults", "1", "--fault-seed", "3", "--fault-kinds", "429,malformed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("clerk-server listening on ").map(str::to_owned))
        .expect("the server prints its address");
    // `lines` stays open until the child is killed: a closed pipe would make its prints fail.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let snap: Value = rt.block_on(async {
        let r = reqwest::get(format!("{base}/v1/environment")).await.unwrap();
        assert!(r.status() == 429 || r.text().await.map(|b| serde_json::from_str::<Value>(&b).is_err()).unwrap_or(false));
        reqwest::get(format!("{base}/__dev/faults")).await.unwrap().json().await.unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    drop(lines);
    assert_eq!((snap["rate"].as_f64(), snap["seed"].as_u64()), (Some(1.0), Some(3)), "{snap}");
    assert_eq!(snap["kinds"], serde_json::json!(["429", "malformed"]));
    assert_eq!(snap["total"], 1);
}
