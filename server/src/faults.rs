//! Development fault injection (`--dev` only, off by default): a seeded share of Frontend API
//! requests fail the way servers and networks do, so that clients can be tested against them.
//!
//! Where each fault strikes decides whether the request took effect:
//! - `500` and `429` answer **before** the handler: nothing happened (a crash before the
//!   commit, a rate limiter in front), so a retry is always safe.
//! - `delay` waits **before** the handler, then answers normally.
//! - `drop` and `malformed` strike **after** the handler: the request took effect (its
//!   transaction committed) and only the answer is lost, as when a connection dies on the way
//!   back. Clients must cope with "did it happen?". `drop` sends the head (status, cookies)
//!   and closes the connection before the body, so reading the body fails with a network error.
//!
//! The decisions come from one seeded RNG in request order, so a sequential client sees the same
//! faults for the same seed; concurrent requests interleave in arrival order.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::AppState;
use crate::errors::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 with a Clerk error envelope.
    ServerError,
    /// 429 with `Retry-After: 1` and an envelope.
    RateLimited,
    /// 200–1500 ms, then the normal answer.
    Delay,
    /// The connection closes after the head, before the body (a network error for the client).
    Drop,
    /// 200 with a truncated, unparseable JSON body.
    Malformed,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] =
        [FaultKind::ServerError, FaultKind::RateLimited, FaultKind::Delay, FaultKind::Drop, FaultKind::Malformed];

    /// The name used by `--fault-kinds`, `/__dev/faults?kinds=` and the counters.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ServerError => "500",
            FaultKind::RateLimited => "429",
            FaultKind::Delay => "delay",
            FaultKind::Drop => "drop",
            FaultKind::Malformed => "malformed",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Parses `500,429,delay,drop,malformed` (any subset, at least one).
    pub fn parse_list(list: &str) -> Result<Vec<FaultKind>, String> {
        let mut kinds = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let k = Self::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| format!("unknown fault kind `{name}` (known: 500, 429, delay, drop, malformed)"))?;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        if kinds.is_empty() {
            return Err("no fault kinds given".into());
        }
        Ok(kinds)
    }
}

/// What to inject: a share `rate` (0..=1) of FAPI requests, drawn from `seed`, among `kinds`.
#[derive(Clone, Debug)]
pub struct FaultSettings {
    pub rate: f64,
    pub seed: u64,
    pub kinds: Vec<FaultKind>,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings { rate: 0.0, seed: 0, kinds: FaultKind::ALL.to_vec() }
    }
}

/// One decision: which fault, and for `delay` how long.
#[derive(Clone, Copy, Debug)]
struct Fault {
    kind: FaultKind,
    delay: Duration,
}

struct FaultState {
    settings: FaultSettings,
    rng: StdRng,
    /// FAPI requests that went through the lottery while the rate was above 0.
    requests: u64,
    injected: [u64; 5],
}

/// The live fault configuration and counters.
pub struct Faults(Mutex<FaultState>);

impl Faults {
    pub fn new(settings: Option<FaultSettings>) -> Self {
        let settings = settings.unwrap_or_default();
        let rng = StdRng::seed_from_u64(settings.seed);
        Faults(Mutex::new(FaultState { settings, rng, requests: 0, injected: [0; 5] }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the settings and re-seeds; counters are kept unless `reset_counts`.
    pub fn configure(&self, settings: FaultSettings, reset_counts: bool) {
        let mut s = self.lock();
        s.rng = StdRng::seed_from_u64(settings.seed);
        s.settings = settings;
        if reset_counts {
            s.requests = 0;
            s.injected = [0; 5];
        }
    }

    pub fn settings(&self) -> FaultSettings {
        self.lock().settings.clone()
    }

    /// Draws for one request; counts what it injects.
    fn decide(&self) -> Option<Fault> {
        let mut guard = self.lock();
        let s = &mut *guard;
        if s.settings.rate <= 0.0 || s.settings.kinds.is_empty() {
            return None;
        }
        s.requests += 1;
        let rate = s.settings.rate.min(1.0);
        if !s.rng.gen_bool(rate) {
            return None;
        }
        let kind = s.settings.kinds[s.rng.gen_range(0..s.settings.kinds.len())];
        let delay = Duration::from_millis(s.rng.gen_range(200..=1500));
        s.injected[kind.index()] += 1;
        Some(Fault { kind, delay })
    }

    /// `GET /__dev/faults`: the settings, FAPI requests seen while on, and faults per kind.
    pub fn snapshot(&self) -> Value {
        let s = self.lock();
        let injected: serde_json::Map<String, Value> =
            FaultKind::ALL.iter().map(|k| (k.name().to_owned(), json!(s.injected[k.index()]))).collect();
        json!({
            "enabled": s.settings.rate > 0.0,
            "rate": s.settings.rate,
            "seed": s.settings.seed,
            "kinds": s.settings.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "requests": s.requests,
            "injected": injected,
            "total": s.injected.iter().sum::<u64>(),
        })
    }
}

/// Route layer on the Frontend API routes (never `/__dev/*`, never the Backend API).
pub async fn inject(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let Some(fault) = st.faults.decide() else { return next.run(req).await };
    let injected = |e: ApiError| {
        let mut e = e.long(format!("Fault `{}` injected by clerk-server's development mode (/__dev/faults).", fault.kind.name()));
        e.meta = json!({ "injected_fault": fault.kind.name() });
        e.into_response()
    };
    match fault.kind {
        FaultKind::ServerError => {
            injected(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_clerk_error", "Something went wrong"))
        }
        FaultKind::RateLimited => {
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests");
            e.retry_after = Some(1);
            injected(e)
        }
        FaultKind::Delay => {
            tokio::time::sleep(fault.delay).await;
            next.run(req).await
        }
        FaultKind::Drop => {
            // The handler runs to completion and its head goes out; the connection then dies
            // before the body. Closing before any byte would not reach pages: Chrome silently
            // resends a request whose reused keep-alive connection closes without an answer.
            let (mut parts, _) = next.run(req).await.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            let cut = futures_util::stream::once(async {
                // Long enough for hyper to flush the head before the body fails.
                tokio::time::sleep(Duration::from_millis(30)).await;
                Err::<Bytes, _>(std::io::Error::other("injected fault: connection dropped"))
            });
            Response::from_parts(parts, Body::from_stream(cut))
        }
        FaultKind::Malformed => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let full = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            // A strict prefix of a JSON object never parses; tiny bodies get a fixed prefix.
            let mut cut = full.slice(..full.len() / 2).to_vec();
            if full.len() < 4 || serde_json::from_slice::<Value>(&cut).is_ok() {
                cut = b"{\"response\":".to_vec();
            }
            parts.status = StatusCode::OK;
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Response::from_parts(parts, Body::from(cut))
        }
    }
}
