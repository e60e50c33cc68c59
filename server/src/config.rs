//! Server configuration (filled by the CLI or by tests).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite database file; created on first run.
    pub db_path: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Static folder served at `/` (demo app, wasm package).
    pub www: Option<PathBuf>,
    /// The clerk-rs package folder (`clerk.browser.js`, `clerk_bg.wasm`) served at
    /// `/npm/@clerk/clerk-js@6/dist/` for Clerk's framework SDKs (see `library`).
    pub library: Option<PathBuf>,
    /// An installed `@clerk/ui`'s `dist/` folder, served at `/npm/@clerk/ui@1/dist/`.
    pub ui_library: Option<PathBuf>,
    /// The handshake also hands a signed-in app a `__refresh` cookie, which `@clerk/backend`
    /// then trades at `POST /v1/sessions/{id}/refresh` for a fresh token instead of another
    /// handshake (`--refresh-cookie`; off by default: clerk-js's own flow never has one).
    pub refresh_cookie: bool,
    /// Session-token lifetime in seconds (Clerk: 60).
    pub token_ttl: i64,
    /// Development mode: `/__dev/*` endpoints and CORS for any loopback origin.
    pub dev: bool,
    /// Origins allowed by CORS (exact match, e.g. `http://127.0.0.1:5173`).
    pub allowed_origins: Vec<String>,
    /// `host:port` the Frontend API is reached at (publishable key and `iss`); default: the
    /// bound address.
    pub frontend_host: Option<String>,
    /// Single-session mode (Clerk's instance setting): a completed sign-in on a client replaces
    /// the client's signed-in session, which becomes `replaced`.
    pub single_session: bool,
    /// How often expired and abandoned sessions are written back to the database (responses
    /// compute them on read either way).
    pub sweep_interval: std::time::Duration,
    /// A production instance: a `pk_live_` publishable key, and the Frontend API's handshake
    /// answers the way Clerk's does for production (no dev browser; the nonce travels as a
    /// cookie). Default: development.
    pub production: bool,
    /// Print keys and credentials on start.
    pub verbose: bool,
    /// Development only: fault injection active from the start (see `faults`). Ignored
    /// without `dev`; also switchable at run time through `/__dev/faults`.
    pub faults: Option<crate::faults::FaultSettings>,
    /// Failed sign-in attempts allowed per user and per IP address (see `limits`).
    pub limits: crate::limits::Limits,
    /// The sign-in strategies enabled (`--strategies`); `None` is every one this server knows
    /// (see `strategies::is_enabled`).
    pub strategies: Option<Vec<String>>,
    /// Organizations are on (Clerk's instance setting); off, `POST /v1/organizations` is refused.
    pub organizations: bool,
    /// How many organizations one user may create (`None`: no limit).
    pub org_creation_limit: Option<u32>,
}

impl Config {
    /// Defaults for a server on `addr` with database `db_path`.
    pub fn new(db_path: impl Into<PathBuf>, addr: SocketAddr) -> Self {
        Config {
            db_path: db_path.into(),
            addr,
            www: None,
            library: None,
            ui_library: None,
            refresh_cookie: false,
            token_ttl: 60,
            dev: false,
            allowed_origins: Vec::new(),
            frontend_host: None,
            single_session: false,
            sweep_interval: std::time::Duration::from_secs(60),
            production: false,
            verbose: false,
            faults: None,
            limits: crate::limits::Limits::default(),
            strategies: None,
            organizations: true,
            org_creation_limit: None,
        }
    }
}
