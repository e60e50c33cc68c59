//! `clerk-server`: a local Clerk-compatible Frontend + Backend API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clerk_server::faults::{FaultKind, FaultSettings};
use clerk_server::{Config, seed};

const USAGE: &str = "\
usage: clerk-server [seed] [options]

  seed                     create the demo instance (users, organization, JWT template) and exit
options:
  --db PATH|URL            SQLite database file (default: clerk.db; created on first run),
                           or a PostgreSQL URL (postgres://user@host/db) for several replicas
  --addr HOST:PORT         listen address (default: 127.0.0.1:4000)
  --www DIR                serve DIR at / from the same origin (demo app, wasm package)
  --library DIR            the clerk-rs package served at /npm/@clerk/clerk-js@6/dist/ for Clerk's
                           framework SDKs (default: ./pkg, else the repository's pkg/, when it
                           has clerk.browser.js; `--library none` serves none)
  --ui DIR                 an installed @clerk/ui's dist/, served at /npm/@clerk/ui@1/dist/ (default:
                           the repository's server/ui/node_modules/@clerk/ui/dist when installed)
  --refresh-cookie         the handshake also sets `__refresh`, which server SDKs trade at
                           POST /v1/sessions/{id}/refresh instead of the next handshake
  --token-ttl SECS         session-token lifetime (default: 60)
  --dev                    development endpoints (/__dev/*) and CORS for any loopback origin
  --allowed-origin ORIGIN  allow ORIGIN for CORS and as a redirect target (repeatable)
  --single-session         single-session mode: signing in again replaces the session
  --frontend-host HOST:PORT  host in the publishable key and `iss` (default: the bound address)
  --production             a production instance: pk_live_ key, production handshake (default: development)
  --strategies LIST        the sign-in strategies enabled, comma-separated (default: all; the
                           oauth_* ones only on development instances)
  --no-organizations       organizations are off: creating one is refused (403)
  --org-creation-limit N   how many organizations a user may create (default: no limit)
  --seed                   seed the demo instance before serving
  --faults RATE            with --dev: inject faults into a share RATE (0..1) of Frontend API
                           requests (500, 429, delay, dropped connection, malformed body)
  --fault-seed N           with --faults: RNG seed (default 0)
  --fault-kinds LIST       with --faults: subset of 500,429,delay,drop,malformed (default all)
  -h, --help               this help";

struct Args {
    config: Config,
    seed_only: bool,
    seed: bool,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = Config::new("clerk.db", SocketAddr::from(([127, 0, 0, 1], 4000)));
    config.verbose = true;
    let (mut seed_only, mut seed) = (false, false);
    let (mut faults, mut fault_flags) = (FaultSettings::default(), false);
    let (mut library, mut ui) = (None::<String>, None::<String>);
    while let Some(arg) = argv.next() {
        let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "seed" => seed_only = true,
            "serve" => {}
            "--seed" => seed = true,
            "--dev" => config.dev = true,
            "--single-session" => config.single_session = true,
            "--no-organizations" => config.organizations = false,
            "--org-creation-limit" => {
                let v = value("--org-creation-limit")?;
                config.org_creation_limit = Some(v.parse().map_err(|_| format!("--org-creation-limit: bad value `{v}`"))?);
            }
            "--refresh-cookie" => config.refresh_cookie = true,
            "--production" => config.production = true,
            "--db" => config.db_path = PathBuf::from(value("--db")?),
            "--addr" => {
                let v = value("--addr")?;
                config.addr = v.parse().map_err(|_| format!("--addr: `{v}` is not HOST:PORT"))?;
            }
            "--www" => config.www = Some(PathBuf::from(value("--www")?)),
            "--library" => library = Some(value("--library")?),
            "--ui" => ui = Some(value("--ui")?),
            "--token-ttl" => {
                let v = value("--token-ttl")?;
                config.token_ttl = v.parse().ok().filter(|n| *n > 0).ok_or(format!("--token-ttl: bad value `{v}`"))?;
            }
            "--allowed-origin" => config.allowed_origins.push(value("--allowed-origin")?),
            "--frontend-host" => config.frontend_host = Some(value("--frontend-host")?),
            "--strategies" => {
                let list: Vec<String> = value("--strategies")?.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
                if let Some(bad) = list.iter().find(|s| !clerk_server::strategies::KNOWN.contains(&s.as_str())) {
                    return Err(format!("--strategies: unknown strategy `{bad}` (known: {})", clerk_server::strategies::KNOWN.join(",")));
                }
                config.strategies = Some(list);
            }
            "--faults" => {
                let v = value("--faults")?;
                faults.rate =
                    v.parse().ok().filter(|r| (0.0..=1.0).contains(r)).ok_or(format!("--faults: `{v}` is not a rate from 0 to 1"))?;
                fault_flags = true;
            }
            "--fault-seed" => {
                let v = value("--fault-seed")?;
                faults.seed = v.parse().map_err(|_| format!("--fault-seed: `{v}` is not an unsigned integer"))?;
                fault_flags = true;
            }
            "--fault-kinds" => {
                faults.kinds = FaultKind::parse_list(&value("--fault-kinds")?).map_err(|e| format!("--fault-kinds: {e}"))?;
                fault_flags = true;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    // `none` turns a default off; a folder named explicitly must hold what is served from it.
    config.library = folder(library, clerk_server::library::default_library, "--library", "clerk.browser.js")?;
    config.ui_library = folder(ui, clerk_server::library::default_ui, "--ui", "ui.browser.js")?;
    if fault_flags {
        // Faults are a development feature: refuse rather than silently ignore them.
        if !config.dev {
            return Err("--faults, --fault-seed and --fault-kinds need --dev".into());
        }
        config.faults = Some(faults);
    }
    Ok(Args { config, seed_only, seed })
}

fn folder(given: Option<String>, default: fn() -> Option<PathBuf>, flag: &str, entry: &str) -> Result<Option<PathBuf>, String> {
    match given.as_deref() {
        None => Ok(default()),
        Some("none") => Ok(None),
        Some(dir) if PathBuf::from(dir).join(entry).is_file() => Ok(Some(PathBuf::from(dir))),
        Some(dir) => Err(format!("{flag}: `{dir}` has no {entry}")),
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    // Logs (internal errors, development emails) go to stderr; RUST_LOG filters them (default
    // info). stdout keeps the start-up lines scripts read (address, keys).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    if args.seed_only {
        return match clerk_server::seed_database(&args.config.db_path) {
            Ok((instance, seeded)) => {
                println!("seeded {}", args.config.db_path.display());
                println!("secret key:      {}", instance.secret_key);
                seed::print_credentials(&seeded);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let server = match clerk_server::start(args.config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let st = server.state.clone();
    if args.seed {
        let store = st.store.clone();
        match tokio::task::spawn_blocking(move || seed::seed(&*store)).await {
            Ok(Ok(s)) => seed::print_credentials(&s),
            Ok(Err(e)) => eprintln!("seed failed: {}", e.long_message),
            Err(e) => eprintln!("seed failed: {e}"),
        }
    }
    println!("clerk-server listening on {}", server.url());
    println!("frontend API:    {}", st.issuer);
    println!("publishable key: {}", st.publishable_key);
    println!("secret key:      {}", st.secret_key);
    println!("jwks:            {}/v1/jwks (kid {})", server.url(), st.key.kid());
    match &st.libraries.clerk_js {
        Some(l) => println!("script build:    {}/npm/@clerk/clerk-js@6/dist/clerk.browser.js (from {})", server.url(), l.dir.display()),
        None => println!("script build:    none (build it with .ci/build-package, or pass --library DIR)"),
    }
    if let Some(l) = &st.libraries.ui {
        println!("@clerk/ui:       {}/npm/@clerk/ui@1/dist/ui.browser.js (from {})", server.url(), l.dir.display());
    }
    println!("{}", st.public_key_pem.trim_end());
    if st.config.dev {
        println!("development endpoints: /__dev/emails?to=ADDRESS, /__dev/requests, /__dev/faults, /__dev/clock");
        let f = st.faults.settings();
        if f.rate > 0.0 {
            let kinds: Vec<&str> = f.kinds.iter().map(|k| k.name()).collect();
            println!("fault injection: {}% of Frontend API requests, seed {}, kinds {}", f.rate * 100.0, f.seed, kinds.join(","));
        }
    }
    shutdown_signal().await;
    println!("shutting down");
    server.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM (what `kill` and service managers send).
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
