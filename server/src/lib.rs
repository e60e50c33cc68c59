//! clerk-server: a local, persistent, Clerk-compatible Frontend API (what clerk-js and our wasm
//! library call) and Backend API (what @clerk/backend and `clerk-backend-api` call) on one port.

pub mod account;
pub mod bapi;
pub mod checks;
pub mod client_uat;
pub mod clock;
pub mod config;
pub mod dev;
pub mod errors;
pub mod extract;
pub mod factors;
pub mod fapi;
pub mod faults;
pub mod handshake;
pub mod idp;
pub mod images;
pub mod library;
pub mod limits;
pub mod orgs;
pub mod passkeys;
pub mod phone;
pub mod render;
pub mod seed;
pub mod store;
pub mod strategies;
pub mod tokens;
pub mod util;
pub mod views;
pub mod workers;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use clerk_token::{InstanceType, SigningKey, encode_publishable_key};
use serde_json::Value;
use tower::Layer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

pub use config::Config;
use errors::{ApiError, ApiResult};
use store::{Done, Instance, Store, Tx, TxOutcome};

/// Shared state of a running server; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub key: SigningKey,
    pub public_key_pem: String,
    pub secret_key: String,
    pub publishable_key: String,
    /// The Frontend API origin, used as `iss`.
    pub issuer: String,
    pub config: Config,
    /// Development outbox: emails "sent" per address (plaintext codes never reach the database).
    pub outbox: Mutex<HashMap<String, Vec<Value>>>,
    /// Development request counters keyed by `METHOD /route/{template}`.
    pub counters: Mutex<BTreeMap<String, u64>>,
    /// Development only: failures to answer instead of the next requests to a route
    /// (route template → HTTP statuses, oldest first). See `POST /__dev/fail_next`.
    pub injected_failures: Mutex<HashMap<String, Vec<u16>>>,
    /// Development only: random fault injection on the Frontend API (`/__dev/faults`).
    pub faults: faults::Faults,
    /// "Now" for everything time-based; development tests move it on (`/__dev/clock`).
    pub clock: clock::Clock,
    /// Handshake directives waiting for the app's server to fetch them by nonce.
    pub handshakes: handshake::Nonces,
    /// The script builds served under `/npm/@clerk/` (see [`library`]).
    pub libraries: library::Libraries,
    /// One RSA signing thread per core (see [`AppState::sign`]).
    pub signers: workers::Workers,
    /// One thread per transaction the store can run at once (see [`AppState::db`]).
    pub transactions: workers::Workers,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The server clock in ms since the epoch (see [`clock`]).
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Persists time-based session states (`expired`, `abandoned`) so that status filters and
    /// other readers of the database see them without anyone asking for the session.
    pub async fn sweep_sessions(&self) -> ApiResult<()> {
        let now = self.now();
        self.db(move |_, tx| {
            tx.expire_sessions(now)?;
            Ok(Done(()))
        })
        .await
    }

    /// Runs `f` in one database transaction on the store's threads, in arrival order (see
    /// [`workers`]). `f` gets the state, so that handlers need no clone of it to move into the
    /// closure.
    pub async fn db<T, F>(&self, mut f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnMut(&AppState, &mut dyn Tx) -> TxOutcome<T, ApiError> + Send + 'static,
    {
        let st = self.clone();
        self.transactions.run(move || st.store.run(|tx| f(&st, tx))).await?
    }

    /// Like [`db`](Self::db), for bodies that need CPU-heavy work (argon2, TOTP): the work is done
    /// between runs of `f`, with no transaction open (see [`checks`]). `f` may run several times;
    /// only its last run commits.
    pub async fn db_checked<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: Fn(&AppState, &mut dyn Tx, &checks::Checks) -> TxOutcome<T, ApiError> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let work = Arc::new(checks::Checks::default());
        // Each run asks for at most one new piece of work; no body needs more than a few.
        for _ in 0..4 {
            let (st, body, checks) = (self.clone(), f.clone(), work.clone());
            // Each run of the body is one job of the store's threads, as in `db`; the CPU work in
            // between runs on the blocking pool.
            let outcome = self.transactions.run(move || st.store.run(|tx| body(&st, tx, &checks))).await?;
            // The pending error must reach here through `?` (an outer `Err`, a rollback).
            let Some(item) = work.take_pending().filter(|_| outcome.is_err()) else {
                return outcome;
            };
            let answered = tokio::task::spawn_blocking(move || {
                let answer = item.run();
                (item, answer)
            })
            .await
            .map_err(|e| ApiError::internal(format!("check task: {e}")))?;
            work.record(answered.0, answered.1);
        }
        Err(ApiError::internal("a transaction body kept asking for more CPU work"))
    }

    /// Signs claims off the async workers (RSA signing is CPU work), on one thread per core, first
    /// come first served (see [`workers`]): 64 signatures time-sliced on 2 cores all finish late,
    /// queued they finish in order.
    pub async fn sign(&self, claims: Value) -> ApiResult<String> {
        let st = self.clone();
        self.signers.run(move || st.key.sign(&claims)).await
    }

    /// Records an email in the development outbox and prints it.
    pub fn send_email(&self, to: &str, subject: &str, code: &str) {
        if self.config.verbose || self.config.dev {
            tracing::info!(to, subject, code, "[email] sent (development outbox)");
        }
        let msg = serde_json::json!({
            "to": to, "subject": subject, "code": code, "sent_at": self.now(),
        });
        let mut outbox = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        outbox.entry(to.to_lowercase()).or_default().push(msg);
    }

    /// Like [`AppState::send_email`], for an email that carries a message (an organization
    /// invitation) rather than a code.
    pub fn send_email_message(&self, to: &str, subject: &str, body: &str) {
        if self.config.verbose || self.config.dev {
            tracing::info!(to, subject, body, "[email] sent (development outbox)");
        }
        let msg = serde_json::json!({ "to": to, "subject": subject, "body": body, "sent_at": self.now() });
        let mut outbox = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        outbox.entry(to.to_lowercase()).or_default().push(msg);
    }

    /// Like [`AppState::send_email`], for an email whose content is a one-time link.
    pub fn send_email_link(&self, to: &str, subject: &str, link: &str) {
        if self.config.verbose || self.config.dev {
            tracing::info!(to, subject, link, "[email] sent (development outbox)");
        }
        let msg = serde_json::json!({ "to": to, "subject": subject, "link": link, "sent_at": self.now() });
        let mut outbox = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        outbox.entry(to.to_lowercase()).or_default().push(msg);
    }
}

/// Loads the instance from the database, creating keys on first run.
fn load_or_create_instance(store: &dyn Store) -> ApiResult<Instance> {
    store.run(|tx| {
        if let Some(i) = tx.instance()? {
            return Ok(Done(i));
        }
        let key = SigningKey::generate();
        let instance = Instance {
            secret_key: format!("sk_test_{}", util::random_string(40)),
            signing_key_pem: key.to_pkcs8_pem(),
            created_at: util::now_ms(),
        };
        tx.put_instance(&instance)?;
        Ok(Done(instance))
    })
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The Frontend/Backend API base URL, e.g. `http://127.0.0.1:4000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown; returns once the listener is closed and connections are drained.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Runs until the task ends (Ctrl-C handling is the caller's).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Opens the database, binds `config.addr` and starts serving in the background.
pub async fn start(config: Config) -> Result<Server, Box<dyn std::error::Error + Send + Sync>> {
    let db_path = config.db_path.clone();
    let store: Arc<dyn Store> = tokio::task::spawn_blocking(move || store::open(&db_path)).await??;
    let opened = store.clone();
    let instance = tokio::task::spawn_blocking(move || load_or_create_instance(&*opened)).await?.map_err(|e| e.long_message)?;
    let key = SigningKey::from_pkcs8_pem(&instance.signing_key_pem).map_err(|e| format!("stored signing key: {e:?}"))?;

    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let host = config.frontend_host.clone().unwrap_or_else(|| addr.to_string());
    let signers = workers::Workers::start("signer", std::thread::available_parallelism().map_or(2, |n| n.get()));
    let transactions = workers::Workers::start("db", store.concurrency());
    let state = AppState(Arc::new(Inner {
        store,
        public_key_pem: key.public_key().to_spki_pem(),
        key,
        secret_key: instance.secret_key,
        publishable_key: encode_publishable_key(
            if config.production { InstanceType::Production } else { InstanceType::Development },
            &host,
        ),
        issuer: format!("http://{host}"),
        outbox: Mutex::new(HashMap::new()),
        counters: Mutex::new(BTreeMap::new()),
        injected_failures: Mutex::new(HashMap::new()),
        faults: faults::Faults::new(config.faults.clone().filter(|_| config.dev)),
        clock: clock::Clock::default(),
        handshakes: handshake::Nonces::default(),
        libraries: library::Libraries::open(config.library.as_deref(), config.ui_library.as_deref()),
        signers,
        transactions,
        config,
    }));
    spawn_session_sweeper(state.clone());

    let app = app(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // ConnectInfo gives handlers the peer address (per-IP attempt limits).
        let make = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
        let serve = axum::serve(listener, make).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("server error: {e}");
        }
    });
    Ok(Server { addr, state, shutdown: Some(tx), task })
}

/// Runs [`AppState::sweep_sessions`] every `Config::sweep_interval` (a minute) until the server
/// is dropped. Responses never depend on it (status is also computed on read); it is for readers
/// of the database itself, such as status filters.
fn spawn_session_sweeper(state: AppState) {
    let weak = Arc::downgrade(&state.0);
    let every = state.config.sweep_interval;
    drop(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { return };
            if let Err(e) = AppState(inner).sweep_sessions().await {
                eprintln!("session sweep: {}", e.long_message);
            }
        }
    });
}

/// The whole HTTP service: CORS, then method tunnelling, then the router.
pub fn app(
    state: AppState,
) -> impl tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future = impl Send + 'static> + Clone + Send + 'static
{
    let cors = cors_layer(&state);
    let router = router(state);
    // Method tunnelling must happen before routing, so it wraps the router rather than being a
    // route layer.
    let tunnelled = tower::util::MapRequestLayer::new(tunnel_method).layer(router);
    // Every route: a body declared over the limit is refused before the handler runs, a streamed
    // one fails when read past it (see `extract::Input`). CORS goes outside so that browsers can
    // read the 413.
    // Uploads (profile images, organization logos) may be larger (`images::UPLOAD_LIMIT`); every
    // other body is small.
    let small = RequestBodyLimitLayer::new(extract::BODY_LIMIT).layer(tunnelled.clone());
    let large = RequestBodyLimitLayer::new(images::UPLOAD_LIMIT).layer(tunnelled);
    let limited = tower::service_fn(move |req: Request| {
        let upload = images::is_upload(req.uri().path());
        let (small, large) = (small.clone(), large.clone());
        async move {
            use tower::ServiceExt;
            if upload { large.oneshot(req).await } else { small.oneshot(req).await }
        }
    });
    let typed = tower::util::MapResponseLayer::new(typed_errors).layer(limited);
    cors.layer(typed)
}

/// Every error is JSON in Clerk's shape. Ours already are; this catches the ones axum and
/// tower-http answer by themselves: an empty 405 for a wrong method, a plain-text 400 for a path
/// that does not decode (e.g. invalid UTF-8 in a `{id}`), tower-http's plain-text 413, and
/// anything else that is not `application/json`. A 405 keeps its `Allow` header.
fn typed_errors<B>(resp: Response<B>) -> Response
where
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    use axum::http::StatusCode;
    let is_json = resp.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v == "application/json");
    let status = resp.status();
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp.map(axum::body::Body::new);
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::body_too_large(extract::BODY_LIMIT),
        StatusCode::NOT_FOUND => ApiError::not_found("resource"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(status, "method_not_allowed", "Method not allowed")
            .long("This endpoint does not support the request's HTTP method."),
        StatusCode::BAD_REQUEST => ApiError::bad_request("malformed_request", "Malformed request")
            .long("The request could not be understood, for example because its path is not valid UTF-8."),
        _ => ApiError::new(status, "request_failed", status.canonical_reason().unwrap_or("Request failed")),
    };
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    let mut typed = axum::response::IntoResponse::into_response(error);
    if let Some(allow) = allow {
        typed.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    typed
}

fn router(state: AppState) -> Router {
    let mut fapi = fapi::routes();
    if state.config.dev {
        // Only the Frontend API gets random faults: it is what clients must survive, while the
        // Backend API and /__dev/* are what tests use to set up and check.
        fapi = fapi.route_layer(middleware::from_fn_with_state(state.clone(), faults::inject));
    }
    if state.config.production {
        fapi = fapi.route_layer(middleware::from_fn_with_state(state.clone(), client_uat::set_client_uat));
    }
    let mut app = Router::new().merge(fapi).merge(bapi::routes(state.clone())).merge(idp::routes()).merge(library::routes());
    if state.config.dev {
        app = app.merge(dev::routes());
    }
    // Counters see the route template (`MatchedPath`), so they must be a route layer.
    app = app.route_layer(middleware::from_fn_with_state(state.clone(), count_requests));
    app = match &state.config.www {
        Some(dir) => app.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => app.fallback(|| async { ApiError::not_found("resource") }),
    };
    // `/v1/organizations…` is a path of both APIs (on Clerk they live on two hosts): a request
    // with an `Authorization` header is the Backend API's, any other the Frontend API's.
    let backend_orgs = bapi::organizations::routes(state.clone())
        .route_layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .fallback(|| async { ApiError::not_found("resource") })
        .with_state(state.clone());
    let app = app.with_state(state);
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let target = if bapi::organizations::is_backend_call(&req) { backend_orgs.clone() } else { app.clone() };
        async move {
            use tower::ServiceExt;
            target.oneshot(req).await
        }
    }))
}

/// `POST ...?_method=PATCH` is routed as `PATCH` (browsers' clerk-js only sends GET and POST).
fn tunnel_method<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    if req.method() == Method::POST {
        let tunnelled = req.uri().query().and_then(|q| form_pairs(q).find(|(k, _)| k == "_method").map(|(_, v)| v.to_ascii_uppercase()));
        if let Some(m) = tunnelled {
            match m.as_str() {
                "PATCH" => *req.method_mut() = Method::PATCH,
                "DELETE" => *req.method_mut() = Method::DELETE,
                "PUT" => *req.method_mut() = Method::PUT,
                _ => {}
            }
        }
    }
    req
}

/// Lenient `key=value` pairs of a query string (unknown or odd parameters are ignored).
pub fn form_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default().into_iter()
}

async fn count_requests(State(state): State<AppState>, path: Option<MatchedPath>, req: Request, next: Next) -> Response {
    if let Some(p) = path {
        let key = format!("{} {}", req.method(), p.as_str());
        let injected = {
            let mut failures = state.injected_failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.get_mut(&key).filter(|q| !q.is_empty()).map(|q| q.remove(0))
        };
        *state.counters.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default() += 1;
        if let Some(status) = injected {
            let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            return axum::response::IntoResponse::into_response(
                ApiError::new(status, "injected_failure", "Injected failure")
                    .long("This failure was requested through /__dev/fail_next (development mode only)."),
            );
        }
    }
    next.run(req).await
}

/// Echoes allowed Origins with credentials; exposes `Clerk-Db-Jwt` for dev-browser refreshes
/// and `Retry-After` so cross-origin clients can honour rate limits (it is not CORS-safelisted).
fn cors_layer(state: &AppState) -> CorsLayer {
    let mut allowed = state.config.allowed_origins.clone();
    allowed.push(state.issuer.clone());
    let dev = state.config.dev;
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            let Ok(o) = origin.to_str() else { return false };
            allowed.iter().any(|a| a == o) || (dev && is_loopback_origin(o))
        }))
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([HeaderName::from_static("clerk-db-jwt"), HeaderName::from_static("retry-after")])
        .max_age(Duration::from_secs(600))
}

/// Whether `origin` (scheme://host[:port]) may receive the browser: CORS and redirects
/// (`GET /v1/client/touch`) share this list.
pub fn is_allowed_origin(state: &AppState, origin: &str) -> bool {
    state.config.allowed_origins.iter().any(|a| a == origin) || origin == state.issuer || (state.config.dev && is_loopback_origin(origin))
}

pub(crate) fn is_loopback_origin(o: &str) -> bool {
    ["http://127.0.0.1", "http://localhost"].iter().any(|base| {
        o.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok()))
    })
}

/// `clerk-server seed`: opens (or creates) the database and seeds the demo instance.
pub fn seed_database(db_path: &std::path::Path) -> Result<(Instance, seed::Seeded), Box<dyn std::error::Error + Send + Sync>> {
    let store = store::open(db_path)?;
    let instance = load_or_create_instance(&*store).map_err(|e| e.long_message)?;
    let seeded = seed::seed(&*store).map_err(|e| e.long_message)?;
    Ok((instance, seeded))
}
