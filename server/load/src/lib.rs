//! The load and crash-safety driver behind `make load`, `tests/crash.rs` and `tests/replicas.rs`:
//! it runs the real `clerk-server` binary as child processes, drives virtual browsers against them
//! over real HTTP on loopback, keeps a ledger of every acknowledged write, kills servers with
//! SIGKILL mid-load, and checks the ledger against the restarted servers.
//!
//! - [`server`]: the server as a child process, and the database's integrity check
//! - [`driver`]: the virtual browsers and their rounds
//! - [`ledger`]: the acknowledged writes
//! - [`verify`]: checks of the ledger against a running server
//! - [`stats`]: latencies and errors per operation
//! - [`run()`]: a whole run (plain, or rounds of load, kill -9, restart and verification)
//!
//! The command line is `server/examples/load.rs`.

pub mod driver;
pub mod ledger;
pub mod run;
pub mod server;
pub mod stats;
pub mod verify;

pub use ledger::Ledger;
pub use run::{RunReport, run};
pub use server::{ServerProc, integrity_check};
pub use stats::Stats;
pub use verify::{Verification, fresh_sign_in, verify};

pub const PASSWORD: &str = "load-password-1";
/// The Origin the virtual browsers send (an app page on another port).
pub(crate) const ORIGIN: &str = "http://127.0.0.1:3000";

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
    /// Servers on the one database (PostgreSQL only), clients spread over them in turn; a crash
    /// run kills one at a time.
    pub replicas: usize,
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
            replicas: 1,
            seed: rand::random(),
            verbose: true,
        }
    }
}
