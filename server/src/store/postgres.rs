//! PostgreSQL backend (`--db postgres://...`), for several replicas on one database.
//!
//! The same documents and queried columns as [`super::sqlite`], and the same migration versions
//! (the SQL differs only by dialect: `ON CONFLICT` instead of `INSERT OR REPLACE`, `lower()`
//! instead of `COLLATE NOCASE`, an identity column for `seq`). Every transaction is REPEATABLE
//! READ (snapshot isolation), so that two replicas doing read-modify-write on one document cannot
//! lose an update: the later writer fails with a serialization error, nothing of it is written,
//! and the body runs again (up to `MAX_ATTEMPTS` times) on what the winner wrote. Two requests
//! taking one unique key (an email address) are caught by the unique index and retried the same
//! way. Not SERIALIZABLE: its page-level predicate locks on these small tables failed ~30% of
//! concurrent sign-ins under `load` (218 retries in 10 s, 2 requests out of retries), while the
//! only skew left (concurrent failures counted against one limit) lets a burst exceed a limit by
//! at most the number of requests in flight.
//!
//! The `Store` trait is synchronous (bodies run on the blocking pool), so this uses the blocking
//! `postgres` client (tokio-postgres underneath) with an r2d2 pool.

use std::any::Any;
use std::cell::Cell;

use ::postgres::error::SqlState;
use ::postgres::types::ToSql;
use ::postgres::{IsolationLevel, NoTls};
use r2d2_postgres::PostgresConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

/// Ordered schema migrations; each runs once, in its own transaction. Version N here is the
/// same schema as version N in `sqlite::MIGRATIONS`.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE instance (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
    CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT UNIQUE, created_at BIGINT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE email_addresses (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, email TEXT NOT NULL, data TEXT NOT NULL);
    CREATE UNIQUE INDEX email_addresses_email ON email_addresses (lower(email));
    CREATE INDEX email_addresses_user ON email_addresses(user_id);
    CREATE TABLE organizations (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
    CREATE TABLE memberships (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, user_id TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (org_id, user_id));
    CREATE INDEX memberships_user ON memberships(user_id);
    CREATE TABLE clients (id TEXT PRIMARY KEY, cookie_hash TEXT NOT NULL UNIQUE, dev_browser_hash TEXT UNIQUE, data TEXT NOT NULL);
    CREATE TABLE dev_browsers (token_hash TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
    CREATE TABLE sessions (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
                           expire_at BIGINT NOT NULL, created_at BIGINT NOT NULL,
                           seq BIGINT GENERATED ALWAYS AS IDENTITY, data TEXT NOT NULL);
    CREATE INDEX sessions_client ON sessions(client_id);
    CREATE INDEX sessions_user ON sessions(user_id, created_at);
    CREATE INDEX sessions_created ON sessions(created_at, seq);
    CREATE TABLE sign_ins (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE sign_ups (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE email_codes (owner_id TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE jwt_templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, data TEXT NOT NULL);
    "#,
    // 2: state replicas share (failure counters, TOTP replay guard); `seq` is already indexed
    // through sessions_created here, and an identity column needs no MAX(seq)
    r#"
    CREATE TABLE attempt_failures (key TEXT NOT NULL, at BIGINT NOT NULL);
    CREATE INDEX attempt_failures_key ON attempt_failures(key, at);
    CREATE TABLE totp_steps (user_id TEXT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (user_id, step));
    "#,
    // 3: users' phone numbers (E.164), for phone_code sign-ins and second factors
    r#"
    CREATE TABLE phone_numbers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, phone TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
    CREATE INDEX phone_numbers_user ON phone_numbers(user_id);
    "#,
    // 4: one-time secrets (OAuth state and codes, email links) and OAuth accounts
    r#"
    CREATE TABLE grants (key TEXT PRIMARY KEY, expires_at BIGINT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE external_accounts (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider TEXT NOT NULL,
                                    provider_user_id TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (provider, provider_user_id));
    CREATE INDEX external_accounts_user ON external_accounts(user_id);
    "#,
    // 5: organization administration: invitations, membership requests, domains and
    // suggestions (`store::orgs`); uploaded images (profile images and logos: the bytes, the
    // owner keeps the id and URL)
    r#"
    CREATE TABLE org_records (id TEXT PRIMARY KEY, kind TEXT NOT NULL, org_id TEXT NOT NULL, subject TEXT NOT NULL,
                              status TEXT NOT NULL, created_at BIGINT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY, data TEXT NOT NULL);
    CREATE INDEX org_records_org ON org_records(kind, org_id);
    CREATE INDEX org_records_subject ON org_records(kind, subject);
    CREATE UNIQUE INDEX org_records_domain_name ON org_records(subject) WHERE kind = 'domain';
    CREATE TABLE images (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, content_type TEXT NOT NULL,
                         bytes BYTEA NOT NULL, created_at BIGINT NOT NULL);
    CREATE INDEX images_owner ON images(owner_id);
    CREATE INDEX memberships_org ON memberships(org_id);
    "#,
];

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

pub struct PostgresStore {
    /// Always `Some` until dropped (see `Drop`).
    pool: Option<Pool>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // The blocking client closes a connection by running its own runtime, which panics on an
        // async worker (where a stopped server drops its state): close them on a plain thread.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

thread_local! {
    /// Set when a statement of the current transaction hit a conflict with a concurrent one
    /// (serialization failure, deadlock, or a unique key another transaction just took): the
    /// body's error then says nothing of it, so `transaction` looks here to decide on a retry.
    static CONFLICT: Cell<bool> = const { Cell::new(false) };
}

fn err<E: std::fmt::Display + 'static>(e: E) -> StoreError {
    let pg = (&e as &dyn Any).downcast_ref::<::postgres::Error>();
    // postgres::Error displays as "db error"; the server's message and SQLSTATE say what happened.
    let message = match pg.and_then(|e| e.as_db_error()) {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    if let Some(code) = pg.and_then(|e| e.code())
        && [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED, SqlState::UNIQUE_VIOLATION].contains(code)
    {
        CONFLICT.with(|c| c.set(true));
    }
    StoreError(message)
}

/// Attempts of one transaction before its conflict error is answered (as a 500).
const MAX_ATTEMPTS: u32 = 8;

/// Whether `url` names a PostgreSQL database rather than a SQLite file.
pub fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl PostgresStore {
    /// Connects (a pool of up to `max_connections`) and runs the pending migrations.
    pub fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        let config: ::postgres::Config = url.parse().map_err(err)?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(max_connections)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)
            .map_err(err)?;
        let mut conn = pool.get().map_err(err)?;
        migrate(&mut conn)?;
        drop(conn);
        Ok(PostgresStore { pool: Some(pool) })
    }
}

fn migrate(conn: &mut ::postgres::Client) -> StoreResult<()> {
    // Replicas starting together: one migrates, the others wait on the advisory lock.
    conn.batch_execute(
        "SELECT pg_advisory_lock(7215392);
         CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .map_err(err)?;
    let result = (|| {
        let current: i64 = conn.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).map_err(err)?.get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= current {
                continue;
            }
            let mut tx = conn.transaction().map_err(err)?;
            tx.batch_execute(sql).map_err(err)?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[&version, &crate::util::now_ms()])
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    })();
    conn.batch_execute("SELECT pg_advisory_unlock(7215392)").map_err(err)?;
    result
}

impl Store for PostgresStore {
    fn concurrency(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.max_size() as usize)
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> StoreResult<()>) -> StoreResult<()> {
        let pool = self.pool.as_ref().expect("the pool lives until drop");
        let mut conn = pool.get().map_err(err)?;
        let mut attempt = 1;
        loop {
            CONFLICT.with(|c| c.set(false));
            let tx = conn.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start().map_err(err)?;
            let mut ptx = PgTx { tx };
            let result = f(&mut ptx).and_then(|()| ptx.tx.commit().map_err(err));
            if result.is_ok() || !CONFLICT.with(Cell::get) || attempt == MAX_ATTEMPTS {
                return result;
            }
            // Another transaction won: run the body again on what it wrote, after a short,
            // growing, jittered pause so that the same two do not collide again at once.
            let pause = rand::random::<u64>() % (2 << attempt);
            std::thread::sleep(std::time::Duration::from_millis(pause));
            attempt += 1;
        }
    }
}

struct PgTx<'c> {
    tx: ::postgres::Transaction<'c>,
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(err)
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgTx<'_> {
    fn one<T: DeserializeOwned>(&mut self, sql: &str, p: Params) -> StoreResult<Option<T>> {
        let row = self.tx.query_opt(sql, p).map_err(err)?;
        row.map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(err)).transpose()
    }

    fn many<T: DeserializeOwned>(&mut self, sql: &str, p: Params) -> StoreResult<Vec<T>> {
        let rows = self.tx.query(sql, p).map_err(err)?;
        rows.iter().map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(err)).collect()
    }

    fn exec(&mut self, sql: &str, p: Params) -> StoreResult<()> {
        self.tx.execute(sql, p).map_err(err)?;
        Ok(())
    }

    fn count(&mut self, sql: &str, p: Params) -> StoreResult<u64> {
        let n: i64 = self.tx.query_one(sql, p).map_err(err)?.get(0);
        Ok(n as u64)
    }
}

impl Tx for PgTx<'_> {
    fn instance(&mut self) -> StoreResult<Option<Instance>> {
        self.one("SELECT data FROM instance WHERE id = 1", &[])
    }
    fn put_instance(&mut self, i: &Instance) -> StoreResult<()> {
        self.exec(
            "INSERT INTO instance (id, data) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            &[&to_json(i)?],
        )
    }

    fn user(&mut self, id: &str) -> StoreResult<Option<User>> {
        self.one("SELECT data FROM users WHERE id = $1", &[&id])
    }
    fn put_user(&mut self, u: &User) -> StoreResult<()> {
        self.exec(
            "INSERT INTO users (id, username, created_at, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET username = excluded.username, data = excluded.data",
            &[&u.id, &u.username, &u.created_at, &to_json(u)?],
        )
    }
    fn users(&mut self, limit: u32, offset: u32) -> StoreResult<(Vec<User>, u64)> {
        let page = self.many(
            "SELECT data FROM users ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
            &[&i64::from(limit), &i64::from(offset)],
        )?;
        Ok((page, self.count("SELECT COUNT(*) FROM users", &[])?))
    }
    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<User>> {
        self.one("SELECT data FROM users WHERE username = $1", &[&username])
    }

    fn email(&mut self, address: &str) -> StoreResult<Option<EmailAddress>> {
        self.one("SELECT data FROM email_addresses WHERE lower(email) = lower($1)", &[&address])
    }
    fn emails_of(&mut self, user_id: &str) -> StoreResult<Vec<EmailAddress>> {
        self.many(
            // Oldest first, as Clerk lists a user's identifiers.
            "SELECT data FROM email_addresses WHERE user_id = $1 ORDER BY (data::json->>'created_at')::bigint, id",
            &[&user_id],
        )
    }
    fn put_email(&mut self, e: &EmailAddress) -> StoreResult<()> {
        self.exec(
            "INSERT INTO email_addresses (id, user_id, email, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email, data = excluded.data",
            &[&e.id, &e.user_id, &e.email, &to_json(e)?],
        )
    }

    fn phone(&mut self, number: &str) -> StoreResult<Option<PhoneNumber>> {
        self.one("SELECT data FROM phone_numbers WHERE phone = $1", &[&number])
    }
    fn phones_of(&mut self, user_id: &str) -> StoreResult<Vec<PhoneNumber>> {
        self.many(
            // Oldest first, as Clerk lists a user's identifiers.
            "SELECT data FROM phone_numbers WHERE user_id = $1 ORDER BY (data::json->>'created_at')::bigint, id",
            &[&user_id],
        )
    }
    fn put_phone(&mut self, p: &PhoneNumber) -> StoreResult<()> {
        self.exec(
            "INSERT INTO phone_numbers (id, user_id, phone, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, phone = excluded.phone, data = excluded.data",
            &[&p.id, &p.user_id, &p.phone, &to_json(p)?],
        )
    }

    fn org(&mut self, id: &str) -> StoreResult<Option<Organization>> {
        self.one("SELECT data FROM organizations WHERE id = $1", &[&id])
    }
    fn org_by_slug(&mut self, slug: &str) -> StoreResult<Option<Organization>> {
        self.one("SELECT data FROM organizations WHERE slug = $1", &[&slug])
    }
    fn put_org(&mut self, o: &Organization) -> StoreResult<()> {
        self.exec(
            "INSERT INTO organizations (id, slug, data) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, data = excluded.data",
            &[&o.id, &o.slug, &to_json(o)?],
        )
    }
    fn members_count(&mut self, org_id: &str) -> StoreResult<u64> {
        self.count("SELECT COUNT(*) FROM memberships WHERE org_id = $1", &[&org_id])
    }
    fn memberships_of(&mut self, user_id: &str) -> StoreResult<Vec<(Membership, Organization)>> {
        let rows = self
            .tx
            .query(
                "SELECT m.data, o.data FROM memberships m JOIN organizations o ON o.id = m.org_id
                 WHERE m.user_id = $1 ORDER BY m.id",
                &[&user_id],
            )
            .map_err(err)?;
        rows.iter()
            .map(|r| Ok((serde_json::from_str(r.get::<_, &str>(0)).map_err(err)?, serde_json::from_str(r.get::<_, &str>(1)).map_err(err)?)))
            .collect()
    }
    fn memberships_in_org(
        &mut self,
        org_id: &str,
        roles: &[String],
        limit: u32,
        offset: u32,
    ) -> StoreResult<(Vec<(Membership, User)>, u64)> {
        // As the SQLite store: the role lives in the JSON document, an empty role list means
        // every role, ties in `created_at` go by insertion order (the row's physical order in
        // this insert-only table).
        let roles = roles.to_vec();
        let filter = "m.org_id = $1 AND (cardinality($2::text[]) = 0 OR (m.data::jsonb ->> 'role') = ANY($2::text[]))";
        let rows = self
            .tx
            .query(
                &format!(
                    "SELECT m.data, u.data FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE {filter} ORDER BY (m.data::jsonb ->> 'created_at')::bigint, m.ctid LIMIT $3 OFFSET $4"
                ),
                &[&org_id, &roles, &i64::from(limit), &i64::from(offset)],
            )
            .map_err(err)?;
        let page = rows
            .iter()
            .map(|r| Ok((serde_json::from_str(r.get::<_, &str>(0)).map_err(err)?, serde_json::from_str(r.get::<_, &str>(1)).map_err(err)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let total =
            self.count(&format!("SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE {filter}"), &[&org_id, &roles])?;
        Ok((page, total))
    }
    fn put_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.exec(
            "INSERT INTO memberships (id, org_id, user_id, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, user_id = excluded.user_id, data = excluded.data",
            &[&m.id, &m.org_id, &m.user_id, &to_json(m)?],
        )
    }

    fn client(&mut self, id: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE id = $1", &[&id])
    }
    fn client_by_cookie(&mut self, cookie_hash: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE cookie_hash = $1", &[&cookie_hash])
    }
    fn client_by_dev_browser(&mut self, db_hash: &str) -> StoreResult<Option<Client>> {
        self.one("SELECT data FROM clients WHERE dev_browser_hash = $1", &[&db_hash])
    }
    fn put_client(&mut self, c: &Client) -> StoreResult<()> {
        self.exec(
            "INSERT INTO clients (id, cookie_hash, dev_browser_hash, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET cookie_hash = excluded.cookie_hash,
               dev_browser_hash = excluded.dev_browser_hash, data = excluded.data",
            &[&c.id, &c.cookie_hash, &c.dev_browser_hash, &to_json(c)?],
        )
    }
    fn delete_client(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM clients WHERE id = $1", &[&id])
    }

    fn dev_browser_exists(&mut self, db_hash: &str) -> StoreResult<bool> {
        Ok(self.count("SELECT COUNT(*) FROM dev_browsers WHERE token_hash = $1", &[&db_hash])? > 0)
    }
    fn put_dev_browser(&mut self, db_hash: &str, created_at: i64) -> StoreResult<()> {
        self.exec("INSERT INTO dev_browsers (token_hash, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&db_hash, &created_at])
    }

    fn session(&mut self, id: &str) -> StoreResult<Option<Session>> {
        self.one("SELECT data FROM sessions WHERE id = $1", &[&id])
    }
    fn put_session(&mut self, s: &Session) -> StoreResult<()> {
        // `seq` (an identity column) breaks ties between sessions created in the same millisecond.
        self.exec(
            "INSERT INTO sessions (id, client_id, user_id, status, expire_at, created_at, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, status = excluded.status,
               expire_at = excluded.expire_at, data = excluded.data",
            &[&s.id, &s.client_id, &s.user_id, &s.status.as_str(), &s.expire_at, &s.created_at, &to_json(s)?],
        )
    }
    fn sessions_of_client(&mut self, client_id: &str) -> StoreResult<Vec<Session>> {
        self.many("SELECT data FROM sessions WHERE client_id = $1 ORDER BY created_at, seq", &[&client_id])
    }
    fn list_sessions(&mut self, f: &SessionFilter, limit: u32, offset: u32) -> StoreResult<(Vec<Session>, u64)> {
        // Unset filters are NULL and match everything; values are always bound.
        let status = f.status.map(|s| s.as_str());
        let filter = "($1::TEXT IS NULL OR client_id = $1) AND ($2::TEXT IS NULL OR user_id = $2)
                      AND ($3::TEXT IS NULL OR status = $3)";
        let total = self.count(&format!("SELECT COUNT(*) FROM sessions WHERE {filter}"), &[&f.client_id, &f.user_id, &status])?;
        let page = self.many(
            &format!(
                "SELECT data FROM sessions WHERE {filter}
                 ORDER BY created_at DESC, seq DESC LIMIT $4 OFFSET $5"
            ),
            &[&f.client_id, &f.user_id, &status, &i64::from(limit), &i64::from(offset)],
        )?;
        Ok((page, total))
    }
    fn expire_sessions(&mut self, now: i64) -> StoreResult<()> {
        // As the SQLite store: abandoned first (past abandon_at, whatever else), then expired.
        self.exec(
            "UPDATE sessions SET status = 'abandoned',
               data = jsonb_set(jsonb_set(data::jsonb, '{status}', '\"abandoned\"'), '{updated_at}', to_jsonb($1::BIGINT))::TEXT
             WHERE status IN ('active', 'pending', 'expired') AND (data::jsonb ->> 'abandon_at')::BIGINT <= $1",
            &[&now],
        )?;
        self.exec(
            "UPDATE sessions SET status = 'expired',
               data = jsonb_set(jsonb_set(data::jsonb, '{status}', '\"expired\"'), '{updated_at}', to_jsonb($1::BIGINT))::TEXT
             WHERE status IN ('active', 'pending') AND expire_at <= $1",
            &[&now],
        )
    }

    fn sign_in(&mut self, id: &str) -> StoreResult<Option<SignIn>> {
        self.one("SELECT data FROM sign_ins WHERE id = $1", &[&id])
    }
    fn put_sign_in(&mut self, s: &SignIn) -> StoreResult<()> {
        self.exec(
            "INSERT INTO sign_ins (id, client_id, data) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, data = excluded.data",
            &[&s.id, &s.client_id, &to_json(s)?],
        )
    }
    fn sign_up(&mut self, id: &str) -> StoreResult<Option<SignUp>> {
        self.one("SELECT data FROM sign_ups WHERE id = $1", &[&id])
    }
    fn put_sign_up(&mut self, s: &SignUp) -> StoreResult<()> {
        self.exec(
            "INSERT INTO sign_ups (id, client_id, data) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, data = excluded.data",
            &[&s.id, &s.client_id, &to_json(s)?],
        )
    }

    fn email_code(&mut self, owner_id: &str) -> StoreResult<Option<EmailCode>> {
        self.one("SELECT data FROM email_codes WHERE owner_id = $1", &[&owner_id])
    }
    fn put_email_code(&mut self, c: &EmailCode) -> StoreResult<()> {
        self.exec(
            "INSERT INTO email_codes (owner_id, data) VALUES ($1, $2)
             ON CONFLICT (owner_id) DO UPDATE SET data = excluded.data",
            &[&c.owner_id, &to_json(c)?],
        )
    }
    fn delete_email_code(&mut self, owner_id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM email_codes WHERE owner_id = $1", &[&owner_id])
    }

    fn grant(&mut self, key: &str) -> StoreResult<Option<Grant>> {
        self.one("SELECT data FROM grants WHERE key = $1", &[&key])
    }
    fn put_grant(&mut self, g: &Grant) -> StoreResult<()> {
        // Expired grants go when a new one is made, so the table stays small.
        self.exec("DELETE FROM grants WHERE expires_at < $1", &[&(g.expires_at - 24 * 3600 * 1000)])?;
        self.exec(
            "INSERT INTO grants (key, expires_at, data) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data",
            &[&g.key, &g.expires_at, &to_json(g)?],
        )
    }
    fn delete_grant(&mut self, key: &str) -> StoreResult<()> {
        self.exec("DELETE FROM grants WHERE key = $1", &[&key])
    }

    fn external_account(&mut self, provider: &str, provider_user_id: &str) -> StoreResult<Option<ExternalAccount>> {
        self.one("SELECT data FROM external_accounts WHERE provider = $1 AND provider_user_id = $2", &[&provider, &provider_user_id])
    }
    fn external_accounts_of(&mut self, user_id: &str) -> StoreResult<Vec<ExternalAccount>> {
        self.many("SELECT data FROM external_accounts WHERE user_id = $1 ORDER BY id", &[&user_id])
    }
    fn put_external_account(&mut self, a: &ExternalAccount) -> StoreResult<()> {
        self.exec(
            "INSERT INTO external_accounts (id, user_id, provider, provider_user_id, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            &[&a.id, &a.user_id, &a.provider, &a.provider_user_id, &to_json(a)?],
        )
    }

    fn jwt_template(&mut self, name: &str) -> StoreResult<Option<JwtTemplate>> {
        self.one("SELECT data FROM jwt_templates WHERE name = $1", &[&name])
    }
    fn put_jwt_template(&mut self, t: &JwtTemplate) -> StoreResult<()> {
        self.exec(
            "INSERT INTO jwt_templates (id, name, created_at, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
            &[&t.id, &t.name, &t.created_at, &to_json(t)?],
        )
    }
    fn failures_since(&mut self, key: &str, since: i64) -> StoreResult<Vec<i64>> {
        let rows =
            self.tx.query("SELECT at FROM attempt_failures WHERE key = $1 AND at >= $2 ORDER BY at", &[&key, &since]).map_err(err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
    fn record_failure(&mut self, key: &str, at: i64, forget_before: i64) -> StoreResult<()> {
        self.exec("DELETE FROM attempt_failures WHERE key = $1 AND at < $2", &[&key, &forget_before])?;
        self.exec("INSERT INTO attempt_failures (key, at) VALUES ($1, $2)", &[&key, &at])
    }
    fn use_totp_step(&mut self, user_id: &str, step: i64, forget_before: i64) -> StoreResult<bool> {
        self.exec("DELETE FROM totp_steps WHERE user_id = $1 AND step < $2", &[&user_id, &forget_before])?;
        let inserted = self
            .tx
            .execute("INSERT INTO totp_steps (user_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&user_id, &step])
            .map_err(err)?;
        Ok(inserted == 1)
    }

    fn jwt_templates(&mut self) -> StoreResult<Vec<JwtTemplate>> {
        self.many("SELECT data FROM jwt_templates ORDER BY created_at DESC, id", &[])
    }

    fn orgs(&mut self, query: &str, limit: u32, offset: u32) -> StoreResult<(Vec<Organization>, u64)> {
        // strpos on lower(), as the SQLite store's instr: `%` and `_` in the query are literal.
        let filter = "($1 = '' OR strpos(lower(data::jsonb ->> 'name'), lower($1)) > 0 OR strpos(slug, lower($1)) > 0)";
        let page = self.many(
            &format!(
                "SELECT data FROM organizations WHERE {filter}
                 ORDER BY (data::jsonb ->> 'created_at')::bigint DESC, id DESC LIMIT $2 OFFSET $3"
            ),
            &[&query, &i64::from(limit), &i64::from(offset)],
        )?;
        Ok((page, self.count(&format!("SELECT COUNT(*) FROM organizations WHERE {filter}"), &[&query])?))
    }
    fn delete_org(&mut self, id: &str) -> StoreResult<()> {
        if let Some(image) = self.org(id)?.and_then(|o| o.image_id) {
            self.exec("DELETE FROM images WHERE id = $1", &[&image])?;
        }
        self.exec("DELETE FROM memberships WHERE org_id = $1", &[&id])?;
        self.exec("DELETE FROM org_records WHERE org_id = $1", &[&id])?;
        self.exec("DELETE FROM organizations WHERE id = $1", &[&id])
    }
    fn delete_membership(&mut self, org_id: &str, user_id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", &[&org_id, &user_id])
    }
    fn org_record(&mut self, kind: &str, id: &str) -> StoreResult<Option<orgs::OrgRecord>> {
        Ok(self.org_record_rows("WHERE kind = $1 AND id = $2", &[&kind, &id])?.pop())
    }
    fn org_records(&mut self, kind: &str, of: orgs::RecordsOf<'_>) -> StoreResult<Vec<orgs::OrgRecord>> {
        match of {
            orgs::RecordsOf::Org(org_id) => self.org_record_rows("WHERE kind = $1 AND org_id = $2 ORDER BY seq", &[&kind, &org_id]),
            orgs::RecordsOf::Subjects(subjects) => {
                let subjects = subjects.to_vec();
                self.org_record_rows("WHERE kind = $1 AND subject = ANY($2::text[]) ORDER BY seq", &[&kind, &subjects])
            }
        }
    }
    fn put_org_record(&mut self, r: &orgs::OrgRecord) -> StoreResult<()> {
        self.exec(
            "INSERT INTO org_records (id, kind, org_id, subject, status, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, status = excluded.status, data = excluded.data",
            &[&r.id, &r.kind, &r.org_id, &r.subject, &r.status, &r.created_at, &r.data.to_string()],
        )
    }
    fn delete_org_record(&mut self, kind: &str, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM org_records WHERE kind = $1 AND id = $2", &[&kind, &id])
    }
    fn email_by_id(&mut self, id: &str) -> StoreResult<Option<EmailAddress>> {
        self.one("SELECT data FROM email_addresses WHERE id = $1", &[&id])
    }
    fn delete_email(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM email_addresses WHERE id = $1", &[&id])
    }
    fn phone_by_id(&mut self, id: &str) -> StoreResult<Option<PhoneNumber>> {
        self.one("SELECT data FROM phone_numbers WHERE id = $1", &[&id])
    }
    fn delete_phone(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM phone_numbers WHERE id = $1", &[&id])
    }
    fn delete_external_account(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM external_accounts WHERE id = $1", &[&id])
    }
    fn delete_user(&mut self, id: &str) -> StoreResult<()> {
        for table in ["email_addresses", "phone_numbers", "external_accounts", "memberships", "totp_steps"] {
            self.exec(&format!("DELETE FROM {table} WHERE user_id = $1"), &[&id])?;
        }
        self.exec("DELETE FROM images WHERE owner_id = $1", &[&id])?;
        self.exec("DELETE FROM users WHERE id = $1", &[&id])
    }
    fn image(&mut self, id: &str) -> StoreResult<Option<StoredImage>> {
        let row = self.tx.query_opt("SELECT owner_id, content_type, bytes, created_at FROM images WHERE id = $1", &[&id]).map_err(err)?;
        Ok(row.map(|r| StoredImage {
            id: id.to_owned(),
            owner_id: r.get(0),
            content_type: r.get(1),
            bytes: r.get(2),
            created_at: r.get(3),
        }))
    }
    fn put_image(&mut self, i: &StoredImage) -> StoreResult<()> {
        self.exec(
            "INSERT INTO images (id, owner_id, content_type, bytes, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes",
            &[&i.id, &i.owner_id, &i.content_type, &i.bytes, &i.created_at],
        )
    }
    fn delete_image(&mut self, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM images WHERE id = $1", &[&id])
    }
}

impl PgTx<'_> {
    fn org_record_rows(&mut self, clause: &str, p: Params) -> StoreResult<Vec<orgs::OrgRecord>> {
        let rows = self
            .tx
            .query(&format!("SELECT kind, id, org_id, subject, status, created_at, data FROM org_records {clause}"), p)
            .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(orgs::OrgRecord {
                    kind: r.get(0),
                    id: r.get(1),
                    org_id: r.get(2),
                    subject: r.get(3),
                    status: r.get(4),
                    created_at: r.get(5),
                    data: serde_json::from_str(r.get::<_, &str>(6)).map_err(err)?,
                })
            })
            .collect()
    }
}
