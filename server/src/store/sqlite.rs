//! SQLite backend: one connection behind a mutex (SQLite serialises writers anyway, and our
//! transactions are short), WAL journal with `synchronous=FULL` so that every acknowledged
//! write survives a power loss, and a `schema_migrations` table.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

/// Ordered schema migrations; each runs once, in its own transaction.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE instance (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
    CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT UNIQUE, created_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE email_addresses (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, email TEXT NOT NULL UNIQUE COLLATE NOCASE, data TEXT NOT NULL);
    CREATE INDEX email_addresses_user ON email_addresses(user_id);
    CREATE TABLE organizations (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
    CREATE TABLE memberships (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, user_id TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (org_id, user_id));
    CREATE INDEX memberships_user ON memberships(user_id);
    CREATE TABLE clients (id TEXT PRIMARY KEY, cookie_hash TEXT NOT NULL UNIQUE, dev_browser_hash TEXT UNIQUE, data TEXT NOT NULL);
    CREATE TABLE dev_browsers (token_hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
    CREATE TABLE sessions (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
                           expire_at INTEGER NOT NULL, created_at INTEGER NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX sessions_client ON sessions(client_id);
    CREATE INDEX sessions_user ON sessions(user_id, created_at);
    CREATE INDEX sessions_created ON sessions(created_at, seq);
    CREATE TABLE sign_ins (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE sign_ups (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE email_codes (owner_id TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE jwt_templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, data TEXT NOT NULL);
    "#,
    // 2: state replicas share (failure counters, TOTP replay guard); an index for session `seq`
    r#"
    CREATE TABLE attempt_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX attempt_failures_key ON attempt_failures(key, at);
    CREATE TABLE totp_steps (user_id TEXT NOT NULL, step INTEGER NOT NULL, PRIMARY KEY (user_id, step));
    CREATE INDEX sessions_seq ON sessions(seq);
    "#,
    // 3: users' phone numbers (E.164), for phone_code sign-ins and second factors
    r#"
    CREATE TABLE phone_numbers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, phone TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
    CREATE INDEX phone_numbers_user ON phone_numbers(user_id);
    "#,
    // 4: one-time secrets (OAuth state and codes, email links) and OAuth accounts
    r#"
    CREATE TABLE grants (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE external_accounts (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider TEXT NOT NULL,
                                    provider_user_id TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (provider, provider_user_id));
    CREATE INDEX external_accounts_user ON external_accounts(user_id);
    "#,
    // 5: organization administration: invitations, membership requests, domains and
    // suggestions (`store::orgs`); uploaded images (profile images and logos: the bytes, the
    // owner keeps the id and URL)
    r#"
    CREATE TABLE org_records (id TEXT PRIMARY KEY, kind TEXT NOT NULL, org_id TEXT NOT NULL, subject TEXT NOT NULL,
                              status TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX org_records_org ON org_records(kind, org_id);
    CREATE INDEX org_records_subject ON org_records(kind, subject);
    CREATE UNIQUE INDEX org_records_domain_name ON org_records(subject) WHERE kind = 'domain';
    CREATE TABLE images (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, content_type TEXT NOT NULL,
                         bytes BLOB NOT NULL, created_at INTEGER NOT NULL);
    CREATE INDEX images_owner ON images(owner_id);
    CREATE INDEX memberships_org ON memberships(org_id);
    "#,
];

/// The next session `seq`: one past the largest. `MAX(seq)` reads the last entry of the
/// `sessions_seq` index (migration 2); without the index every insert scanned the table.
macro_rules! next_seq {
    () => {
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sessions)"
    };
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(err)?;
        // WAL lets readers proceed during a write; FULL syncs the WAL on every commit, so an
        // acknowledged write is durable (NORMAL could lose the last commits on power loss).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        migrate(&mut conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        .map_err(err)?;
    let current: i64 = conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0)).map_err(err)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", params![version, crate::util::now_ms()])
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> StoreResult<()>) -> StoreResult<()> {
        // A panic inside a request must not wedge the server: recover the connection.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction().map_err(err)?;
        let mut stx = SqliteTx { tx };
        f(&mut stx)?;
        stx.tx.commit().map_err(err)
    }
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(err)
}

impl SqliteTx<'_> {
    fn one<T: DeserializeOwned>(&self, sql: &str, p: impl rusqlite::Params) -> StoreResult<Option<T>> {
        // Cached: the same few lookups run on every request (client by cookie, session, ...).
        let mut stmt = self.tx.prepare_cached(sql).map_err(err)?;
        let data: Option<String> = stmt.query_row(p, |r| r.get(0)).optional().map_err(err)?;
        data.map(|d| serde_json::from_str(&d).map_err(err)).transpose()
    }

    fn many<T: DeserializeOwned>(&self, sql: &str, p: impl rusqlite::Params) -> StoreResult<Vec<T>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(err)?;
        let rows = stmt.query_map(p, |r| r.get::<_, String>(0)).map_err(err)?;
        rows.map(|d| serde_json::from_str(&d.map_err(err)?).map_err(err)).collect()
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> StoreResult<()> {
        self.tx.prepare_cached(sql).map_err(err)?.execute(p).map_err(err)?;
        Ok(())
    }

    fn count(&self, sql: &str, p: impl rusqlite::Params) -> StoreResult<u64> {
        let n: i64 = self.tx.query_row(sql, p, |r| r.get(0)).map_err(err)?;
        Ok(n as u64)
    }
}

/// Builds the WHERE clause for session filters; values are bound, never interpolated.
fn session_where(f: &SessionFilter) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(c) = &f.client_id {
        values.push(c.clone());
        clauses.push(format!("client_id = ?{}", values.len()));
    }
    if let Some(u) = &f.user_id {
        values.push(u.clone());
        clauses.push(format!("user_id = ?{}", values.len()));
    }
    if let Some(s) = f.status {
        values.push(s.as_str().to_owned());
        clauses.push(format!("status = ?{}", values.len()));
    }
    let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (sql, values)
}

impl Tx for SqliteTx<'_> {
    fn instance(&mut self) -> StoreResult<Option<Instance>> {
        self.one("SELECT data FROM instance WHERE id = 1", [])
    }
    fn put_instance(&mut self, i: &Instance) -> StoreResult<()> {
        self.exec("INSERT OR REPLACE INTO instance (id, data) VALUES (1, ?1)", params![to_json(i)?])
    }

    fn user(&mut self, id: &str) -> StoreResult<Option<User>> {
        self.one("SELECT data FROM users WHERE id = ?1", params![id])
    }
    fn put_user(&mut self, u: &User) -> StoreResult<()> {
        self.exec(
            "INSERT INTO users (id, username, created_at, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET username = excluded.username, data = excluded.data",
            params![u.id, u.username, u.created_at, to_json(u)?],
        )
    }
    fn users(&mut self, limit: u32, offset: u32) -> StoreResult<(Vec<User>, u64)> {
        let page = self.many("SELECT data FROM users ORDER BY created_at DESC, id DESC LIMIT ?1 OFFSET ?2", params![limit, offset])?;
        Ok((page, self.count("SELECT COUNT(*) FROM users", [])?))
    }
    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<User>> {
        self.one("SELECT data FROM users WHERE username = ?1", params![username])
    }

    fn email(&mut self, address: &str) -> StoreResult<Option<EmailAddress>> {
        self.one("SELECT data FROM email_addresses WHERE email = ?1", params![address])
    }
    fn emails_of(&mut self, user_id: &str) -> StoreResult<Vec<EmailAddress>> {
        self.many(
            // Oldest first, as Clerk lists a user's identifiers (insertion order breaks ties).
            "SELECT data FROM email_addresses WHERE user_id = ?1 ORDER BY json_extract(data, '$.created_at'), rowid",
            params![user_id],
        )
    }
    fn put_email(&mut self, e: &EmailAddress) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO email_addresses (id, user_id, email, data) VALUES (?1, ?2, ?3, ?4)",
            params![e.id, e.user_id, e.email, to_json(e)?],
        )
    }

    fn phone(&mut self, number: &str) -> StoreResult<Option<PhoneNumber>> {
        self.one("SELECT data FROM phone_numbers WHERE phone = ?1", params![number])
    }
    fn phones_of(&mut self, user_id: &str) -> StoreResult<Vec<PhoneNumber>> {
        self.many(
            // Oldest first, as Clerk lists a user's identifiers (insertion order breaks ties).
            "SELECT data FROM phone_numbers WHERE user_id = ?1 ORDER BY json_extract(data, '$.created_at'), rowid",
            params![user_id],
        )
    }
    fn put_phone(&mut self, p: &PhoneNumber) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO phone_numbers (id, user_id, phone, data) VALUES (?1, ?2, ?3, ?4)",
            params![p.id, p.user_id, p.phone, to_json(p)?],
        )
    }

    fn org(&mut self, id: &str) -> StoreResult<Option<Organization>> {
        self.one("SELECT data FROM organizations WHERE id = ?1", params![id])
    }
    fn org_by_slug(&mut self, slug: &str) -> StoreResult<Option<Organization>> {
        self.one("SELECT data FROM organizations WHERE slug = ?1", params![slug])
    }
    fn put_org(&mut self, o: &Organization) -> StoreResult<()> {
        self.exec("INSERT OR REPLACE INTO organizations (id, slug, data) VALUES (?1, ?2, ?3)", params![o.id, o.slug, to_json(o)?])
    }
    fn members_count(&mut self, org_id: &str) -> StoreResult<u64> {
        self.count("SELECT COUNT(*) FROM memberships WHERE org_id = ?1", params![org_id])
    }
    fn memberships_of(&mut self, user_id: &str) -> StoreResult<Vec<(Membership, Organization)>> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT m.data, o.data FROM memberships m JOIN organizations o ON o.id = m.org_id
                 WHERE m.user_id = ?1 ORDER BY m.id",
            )
            .map_err(err)?;
        let rows = stmt.query_map(params![user_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(err)?;
        rows.map(|row| {
            let (m, o) = row.map_err(err)?;
            Ok((serde_json::from_str(&m).map_err(err)?, serde_json::from_str(&o).map_err(err)?))
        })
        .collect()
    }
    fn memberships_in_org(
        &mut self,
        org_id: &str,
        roles: &[String],
        limit: u32,
        offset: u32,
    ) -> StoreResult<(Vec<(Membership, User)>, u64)> {
        // The role lives in the JSON document; json_each turns the wanted roles (a JSON array)
        // into a set, so the filter stays one prepared statement whatever its length. Ties in
        // `created_at` (the seed adds both members in one millisecond) go by insertion order.
        let roles_json = serde_json::to_string(roles).map_err(err)?;
        let filter = "m.org_id = ?1 AND (json_array_length(?2) = 0
             OR json_extract(m.data, '$.role') IN (SELECT value FROM json_each(?2)))";
        let mut stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT m.data, u.data FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE {filter} ORDER BY json_extract(m.data, '$.created_at'), m.rowid LIMIT ?3 OFFSET ?4"
            ))
            .map_err(err)?;
        let rows = stmt
            .query_map(params![org_id, roles_json, limit, offset], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(err)?;
        let page = rows
            .map(|row| {
                let (m, u) = row.map_err(err)?;
                Ok((serde_json::from_str(&m).map_err(err)?, serde_json::from_str(&u).map_err(err)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let total = self.count(
            &format!("SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE {filter}"),
            params![org_id, roles_json],
        )?;
        Ok((page, total))
    }
    fn put_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO memberships (id, org_id, user_id, data) VALUES (?1, ?2, ?3, ?4)",
            params![m.id, m.org_id, m.user_id, to_json(m)?],
        )
    }

    fn client(&mut self, id: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE id = ?1", params![id])
    }
    fn client_by_cookie(&mut self, cookie_hash: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE cookie_hash = ?1", params![cookie_hash])
    }
    fn client_by_dev_browser(&mut self, db_hash: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE dev_browser_hash = ?1", params![db_hash])
    }
    fn put_client(&mut self, c: &Client) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO clients (id, cookie_hash, dev_browser_hash, data) VALUES (?1, ?2, ?3, ?4)",
            params![c.id, c.cookie_hash, c.dev_browser_hash, to_json(c)?],
        )
    }
    fn delete_client(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM clients WHERE id = ?1", params![id])
    }

    fn dev_browser_exists(&mut self, db_hash: &str) -> StoreResult<bool> {
        Ok(self.count("SELECT COUNT(*) FROM dev_browsers WHERE token_hash = ?1", params![db_hash])? > 0)
    }
    fn put_dev_browser(&mut self, db_hash: &str, created_at: i64) -> StoreResult<()> {
        self.exec("INSERT OR IGNORE INTO dev_browsers (token_hash, created_at) VALUES (?1, ?2)", params![db_hash, created_at])
    }

    fn session(&mut self, id: &str) -> StoreResult<Option<Session>> {
        self.one("SELECT data FROM sessions WHERE id = ?1", params![id])
    }
    fn put_session(&mut self, s: &Session) -> StoreResult<()> {
        // `seq` breaks ties between sessions created in the same millisecond (newest first).
        self.exec(
            concat!(
                "INSERT INTO sessions (id, client_id, user_id, status, expire_at, created_at, seq, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ",
                next_seq!(),
                ", ?7)
                 ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, status = excluded.status,
                   expire_at = excluded.expire_at, data = excluded.data"
            ),
            params![s.id, s.client_id, s.user_id, s.status.as_str(), s.expire_at, s.created_at, to_json(s)?],
        )
    }
    fn sessions_of_client(&mut self, client_id: &str) -> StoreResult<Vec<Session>> {
        self.many("SELECT data FROM sessions WHERE client_id = ?1 ORDER BY created_at, seq", params![client_id])
    }
    fn list_sessions(&mut self, f: &SessionFilter, limit: u32, offset: u32) -> StoreResult<(Vec<Session>, u64)> {
        let (clause, mut values) = session_where(f);
        let total = self.count(&format!("SELECT COUNT(*) FROM sessions {clause}"), rusqlite::params_from_iter(values.iter()))?;
        values.push(limit.to_string());
        values.push(offset.to_string());
        let n = values.len();
        let sql = format!(
            "SELECT data FROM sessions {clause} ORDER BY created_at DESC, seq DESC
             LIMIT CAST(?{} AS INTEGER) OFFSET CAST(?{} AS INTEGER)",
            n - 1,
            n
        );
        let page = self.many(&sql, rusqlite::params_from_iter(values.iter()))?;
        Ok((page, total))
    }
    fn expire_sessions(&mut self, now: i64) -> StoreResult<()> {
        self.exec(
            "UPDATE sessions SET status = 'abandoned', data = json_set(data, '$.status', 'abandoned', '$.updated_at', ?1)
             WHERE status IN ('active', 'pending', 'expired') AND json_extract(data, '$.abandon_at') <= ?1",
            params![now],
        )?;
        self.exec(
            "UPDATE sessions SET status = 'expired', data = json_set(data, '$.status', 'expired', '$.updated_at', ?1)
             WHERE status IN ('active', 'pending') AND expire_at <= ?1",
            params![now],
        )
    }

    fn sign_in(&mut self, id: &str) -> StoreResult<Option<SignIn>> {
        self.one("SELECT data FROM sign_ins WHERE id = ?1", params![id])
    }
    fn put_sign_in(&mut self, s: &SignIn) -> StoreResult<()> {
        self.exec("INSERT OR REPLACE INTO sign_ins (id, client_id, data) VALUES (?1, ?2, ?3)", params![s.id, s.client_id, to_json(s)?])
    }
    fn sign_up(&mut self, id: &str) -> StoreResult<Option<SignUp>> {
        self.one("SELECT data FROM sign_ups WHERE id = ?1", params![id])
    }
    fn put_sign_up(&mut self, s: &SignUp) -> StoreResult<()> {
        self.exec("INSERT OR REPLACE INTO sign_ups (id, client_id, data) VALUES (?1, ?2, ?3)", params![s.id, s.client_id, to_json(s)?])
    }

    fn email_code(&mut self, owner_id: &str) -> StoreResult<Option<EmailCode>> {
        self.one("SELECT data FROM email_codes WHERE owner_id = ?1", params![owner_id])
    }
    fn put_email_code(&mut self, c: &EmailCode) -> StoreResult<()> {
        self.exec("INSERT OR REPLACE INTO email_codes (owner_id, data) VALUES (?1, ?2)", params![c.owner_id, to_json(c)?])
    }
    fn delete_email_code(&mut self, owner_id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM email_codes WHERE owner_id = ?1", params![owner_id])
    }

    fn grant(&mut self, key: &str) -> StoreResult<Option<Grant>> {
        self.one("SELECT data FROM grants WHERE key = ?1", params![key])
    }
    fn put_grant(&mut self, g: &Grant) -> StoreResult<()> {
        // Expired grants go when a new one is made, so the table stays small.
        self.exec("DELETE FROM grants WHERE expires_at < ?1", params![g.expires_at - 24 * 3600 * 1000])?;
        self.exec("INSERT OR REPLACE INTO grants (key, expires_at, data) VALUES (?1, ?2, ?3)", params![g.key, g.expires_at, to_json(g)?])
    }
    fn delete_grant(&mut self, key: &str) -> StoreResult<()> {
        self.exec("DELETE FROM grants WHERE key = ?1", params![key])
    }

    fn external_account(&mut self, provider: &str, provider_user_id: &str) -> StoreResult<Option<ExternalAccount>> {
        self.one("SELECT data FROM external_accounts WHERE provider = ?1 AND provider_user_id = ?2", params![provider, provider_user_id])
    }
    fn external_accounts_of(&mut self, user_id: &str) -> StoreResult<Vec<ExternalAccount>> {
        self.many("SELECT data FROM external_accounts WHERE user_id = ?1 ORDER BY id", params![user_id])
    }
    fn put_external_account(&mut self, a: &ExternalAccount) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO external_accounts (id, user_id, provider, provider_user_id, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.id, a.user_id, a.provider, a.provider_user_id, to_json(a)?],
        )
    }

    fn jwt_template(&mut self, name: &str) -> StoreResult<Option<JwtTemplate>> {
        self.one("SELECT data FROM jwt_templates WHERE name = ?1", params![name])
    }
    fn put_jwt_template(&mut self, t: &JwtTemplate) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO jwt_templates (id, name, created_at, data) VALUES (?1, ?2, ?3, ?4)",
            params![t.id, t.name, t.created_at, to_json(t)?],
        )
    }
    fn failures_since(&mut self, key: &str, since: i64) -> StoreResult<Vec<i64>> {
        let mut stmt = self.tx.prepare_cached("SELECT at FROM attempt_failures WHERE key = ?1 AND at >= ?2 ORDER BY at").map_err(err)?;
        let rows = stmt.query_map(params![key, since], |r| r.get(0)).map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }
    fn record_failure(&mut self, key: &str, at: i64, forget_before: i64) -> StoreResult<()> {
        self.exec("DELETE FROM attempt_failures WHERE key = ?1 AND at < ?2", params![key, forget_before])?;
        self.exec("INSERT INTO attempt_failures (key, at) VALUES (?1, ?2)", params![key, at])
    }
    fn use_totp_step(&mut self, user_id: &str, step: i64, forget_before: i64) -> StoreResult<bool> {
        self.exec("DELETE FROM totp_steps WHERE user_id = ?1 AND step < ?2", params![user_id, forget_before])?;
        let inserted = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO totp_steps (user_id, step) VALUES (?1, ?2)")
            .map_err(err)?
            .execute(params![user_id, step])
            .map_err(err)?;
        Ok(inserted == 1)
    }

    fn jwt_templates(&mut self) -> StoreResult<Vec<JwtTemplate>> {
        self.many("SELECT data FROM jwt_templates ORDER BY created_at DESC, id", [])
    }

    fn orgs(&mut self, query: &str, limit: u32, offset: u32) -> StoreResult<(Vec<Organization>, u64)> {
        // instr on lower() rather than LIKE, so that `%` and `_` in the query are literal.
        let filter = "(?1 = '' OR instr(lower(json_extract(data, '$.name')), lower(?1)) > 0 OR instr(slug, lower(?1)) > 0)";
        let page = self.many(
            &format!(
                "SELECT data FROM organizations WHERE {filter}
                 ORDER BY json_extract(data, '$.created_at') DESC, id DESC LIMIT ?2 OFFSET ?3"
            ),
            params![query, limit, offset],
        )?;
        Ok((page, self.count(&format!("SELECT COUNT(*) FROM organizations WHERE {filter}"), params![query])?))
    }
    fn delete_org(&mut self, id: &str) -> StoreResult<()> {
        if let Some(image) = self.org(id)?.and_then(|o| o.image_id) {
            self.exec("DELETE FROM images WHERE id = ?1", params![image])?;
        }
        self.exec("DELETE FROM memberships WHERE org_id = ?1", params![id])?;
        self.exec("DELETE FROM org_records WHERE org_id = ?1", params![id])?;
        self.exec("DELETE FROM organizations WHERE id = ?1", params![id])
    }
    fn delete_membership(&mut self, org_id: &str, user_id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2", params![org_id, user_id])
    }
    fn org_record(&mut self, kind: &str, id: &str) -> StoreResult<Option<orgs::OrgRecord>> {
        Ok(self.org_record_rows("WHERE kind = ?1 AND id = ?2", params![kind, id])?.pop())
    }
    fn org_records(&mut self, kind: &str, of: orgs::RecordsOf<'_>) -> StoreResult<Vec<orgs::OrgRecord>> {
        match of {
            orgs::RecordsOf::Org(org_id) => self.org_record_rows("WHERE kind = ?1 AND org_id = ?2 ORDER BY rowid", params![kind, org_id]),
            orgs::RecordsOf::Subjects(subjects) => {
                let subjects = serde_json::to_string(subjects).map_err(err)?;
                self.org_record_rows(
                    "WHERE kind = ?1 AND subject IN (SELECT value FROM json_each(?2)) ORDER BY rowid",
                    params![kind, subjects],
                )
            }
        }
    }
    fn put_org_record(&mut self, r: &orgs::OrgRecord) -> StoreResult<()> {
        // An upsert keeps the row (and its rowid, the list order).
        self.exec(
            "INSERT INTO org_records (id, kind, org_id, subject, status, created_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET subject = excluded.subject, status = excluded.status, data = excluded.data",
            params![r.id, r.kind, r.org_id, r.subject, r.status, r.created_at, r.data.to_string()],
        )
    }
    fn delete_org_record(&mut self, kind: &str, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM org_records WHERE kind = ?1 AND id = ?2", params![kind, id])
    }
    fn email_by_id(&mut self, id: &str) -> StoreResult<Option<EmailAddress>> {
        self.one("SELECT data FROM email_addresses WHERE id = ?1", params![id])
    }
    fn delete_email(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM email_addresses WHERE id = ?1", params![id])
    }
    fn phone_by_id(&mut self, id: &str) -> StoreResult<Option<PhoneNumber>> {
        self.one("SELECT data FROM phone_numbers WHERE id = ?1", params![id])
    }
    fn delete_phone(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM phone_numbers WHERE id = ?1", params![id])
    }
    fn delete_external_account(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM external_accounts WHERE id = ?1", params![id])
    }
    fn delete_user(&mut self, id: &str) -> StoreResult<()> {
        for table in ["email_addresses", "phone_numbers", "external_accounts", "memberships", "totp_steps"] {
            self.exec(&format!("DELETE FROM {table} WHERE user_id = ?1"), params![id])?;
        }
        self.exec("DELETE FROM images WHERE owner_id = ?1", params![id])?;
        self.exec("DELETE FROM users WHERE id = ?1", params![id])
    }
    fn image(&mut self, id: &str) -> StoreResult<Option<StoredImage>> {
        let mut stmt = self.tx.prepare_cached("SELECT owner_id, content_type, bytes, created_at FROM images WHERE id = ?1").map_err(err)?;
        stmt.query_row(params![id], |r| {
            Ok(StoredImage { id: id.to_owned(), owner_id: r.get(0)?, content_type: r.get(1)?, bytes: r.get(2)?, created_at: r.get(3)? })
        })
        .optional()
        .map_err(err)
    }
    fn put_image(&mut self, i: &StoredImage) -> StoreResult<()> {
        self.exec(
            "INSERT OR REPLACE INTO images (id, owner_id, content_type, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![i.id, i.owner_id, i.content_type, i.bytes, i.created_at],
        )
    }
    fn delete_image(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM images WHERE id = ?1", params![id])
    }
}

impl SqliteTx<'_> {
    fn org_record_rows(&self, clause: &str, p: impl rusqlite::Params) -> StoreResult<Vec<orgs::OrgRecord>> {
        let mut stmt = self
            .tx
            .prepare_cached(&format!("SELECT kind, id, org_id, subject, status, created_at, data FROM org_records {clause}"))
            .map_err(err)?;
        let rows = stmt
            .query_map(p, |r| {
                Ok((
                    orgs::OrgRecord {
                        kind: r.get(0)?,
                        id: r.get(1)?,
                        org_id: r.get(2)?,
                        subject: r.get(3)?,
                        status: r.get(4)?,
                        created_at: r.get(5)?,
                        data: Value::Null,
                    },
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(err)?;
        rows.map(|row| {
            let (mut rec, data) = row.map_err(err)?;
            rec.data = serde_json::from_str(&data).map_err(err)?;
            Ok(rec)
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Session inserts find the next `seq` through the index, never by scanning `sessions`.
    #[test]
    fn the_next_session_seq_is_read_from_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let conn = store.conn.lock().unwrap();
        let plan: Vec<String> = conn
            .prepare(concat!("EXPLAIN QUERY PLAN SELECT ", next_seq!()))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|step| step.contains("USING COVERING INDEX sessions_seq")), "{plan:?}");
    }
}
