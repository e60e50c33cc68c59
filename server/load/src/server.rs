//! The server as a child process, and what is checked of its database after a kill.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Whether `db` is a `postgres://` URL (several servers can share it).
pub fn is_postgres(db: &Path) -> bool {
    postgres_url(db).is_some()
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
