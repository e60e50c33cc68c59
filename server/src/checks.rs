//! CPU-heavy work (argon2 hashing and verification, TOTP checks) done outside the database
//! transaction, so that it never holds SQLite's single writer (or a Postgres row lock).
//!
//! A handler that needs such work runs its transaction body through
//! [`AppState::db_checked`](crate::AppState::db_checked) and asks [`Checks`] for the answer. The
//! first time, the answer is not known: `Checks` notes the work and returns an error, which rolls
//! the transaction back. `db_checked` then does the work on the blocking pool, with no
//! transaction open, and runs the body again; this time `Checks` has the answer and the body
//! records its result. The second run re-reads everything, so a password changed in between is
//! simply checked again (answers are keyed by the exact hash, secret and input).
//!
//! Measured before the change (issue 14): argon2 inside the transaction serialised every sign-in
//! behind one ~20-60 ms hash.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::StatusCode;

use crate::errors::{ApiError, ApiResult};
use crate::util;

/// One piece of CPU-heavy work and what identifies its answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Work {
    VerifyPassword { password: String, phc: String },
    HashPassword { password: String },
    Totp { secret: String, code: String },
}

#[derive(Clone, Debug)]
enum Answer {
    Passed(bool),
    Hash(String),
    /// The TOTP time step the code matched, if any (the replay guard records it).
    TotpStep(Option<u64>),
}

impl Work {
    fn run(&self) -> Answer {
        match self {
            Work::VerifyPassword { password, phc } => Answer::Passed(util::verify_password(password, phc)),
            Work::HashPassword { password } => Answer::Hash(util::hash_password(password)),
            Work::Totp { secret, code } => Answer::TotpStep(util::totp_step(secret, code)),
        }
    }
}

/// Answers of CPU-heavy work for one request, filled in between runs of its transaction body.
#[derive(Default)]
pub struct Checks {
    answers: Mutex<HashMap<Work, Answer>>,
    pending: Mutex<Option<Work>>,
    /// When each piece of work ran (tests check that no transaction was open then).
    work_spans: Mutex<Vec<(Instant, Instant)>>,
}

impl Checks {
    /// argon2 verification of `password` against the PHC string `phc`.
    pub fn verify_password(&self, password: &str, phc: &str) -> ApiResult<bool> {
        match self.answer(Work::VerifyPassword { password: password.to_owned(), phc: phc.to_owned() })? {
            Answer::Passed(ok) => Ok(ok),
            other => Err(mismatch(&other)),
        }
    }

    /// A fresh argon2 PHC string for `password` (the same one on every run of the body).
    pub fn hash_password(&self, password: &str) -> ApiResult<String> {
        match self.answer(Work::HashPassword { password: password.to_owned() })? {
            Answer::Hash(phc) => Ok(phc),
            other => Err(mismatch(&other)),
        }
    }

    /// The TOTP time step `code` matches for `secret` (now, or one step either side), if any.
    pub fn totp_step(&self, secret: &str, code: &str) -> ApiResult<Option<u64>> {
        match self.answer(Work::Totp { secret: secret.to_owned(), code: code.to_owned() })? {
            Answer::TotpStep(step) => Ok(step),
            other => Err(mismatch(&other)),
        }
    }

    fn answer(&self, work: Work) -> ApiResult<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(answer) = answers.get(&work) {
            return Ok(answer.clone());
        }
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(work);
        // Rolls the transaction back; `db_checked` sees the pending work and runs the body again.
        Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_clerk_error", "CPU work pending outside the transaction"))
    }

    /// The work the last run of the body asked for, if any.
    pub(crate) fn take_pending(&self) -> Option<WorkItem> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).take().map(WorkItem)
    }

    pub(crate) fn record(&self, item: WorkItem, answer: Answered) {
        self.work_spans.lock().unwrap_or_else(|p| p.into_inner()).push(answer.span);
        self.answers.lock().unwrap_or_else(|p| p.into_inner()).insert(item.0, answer.answer);
    }

    /// When each piece of work ran, in order.
    pub fn work_spans(&self) -> Vec<(Instant, Instant)> {
        self.work_spans.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Work to do between two runs of a transaction body (opaque outside this module).
pub struct WorkItem(Work);
/// Its answer, and when the work ran.
pub struct Answered {
    answer: Answer,
    span: (Instant, Instant),
}

impl WorkItem {
    /// Does the work (call it on the blocking pool, never inside a transaction).
    pub fn run(&self) -> Answered {
        let start = Instant::now();
        let answer = self.0.run();
        Answered { answer, span: (start, Instant::now()) }
    }
}

/// Unreachable: each kind of work has its own kind of answer. (No `{:?}`: it would log a hash.)
fn mismatch(_: &Answer) -> ApiError {
    ApiError::internal("checks: an answer of the wrong kind")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use clerk_token::SigningKey;

    use crate::store::sqlite::SqliteStore;
    use crate::store::{Done, Store, StoreResult, Tx};
    use crate::{AppState, Config, Inner, faults, util};

    /// Times every transaction of the store it wraps.
    struct TimedStore {
        inner: SqliteStore,
        spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
    }

    impl Store for TimedStore {
        fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> StoreResult<()>) -> StoreResult<()> {
            let begin = Instant::now();
            let result = self.inner.transaction(f);
            self.spans.lock().unwrap().push((begin, Instant::now()));
            result
        }
    }

    fn state(store: Arc<dyn Store>) -> AppState {
        let key = SigningKey::generate();
        AppState(Arc::new(Inner {
            store,
            public_key_pem: key.public_key().to_spki_pem(),
            key,
            secret_key: "sk_test_x".into(),
            publishable_key: "pk_test_x".into(),
            issuer: "http://127.0.0.1".into(),
            config: Config::new("unused.db", "127.0.0.1:0".parse().unwrap()),
            outbox: Mutex::new(HashMap::new()),
            counters: Mutex::new(BTreeMap::new()),
            injected_failures: Mutex::new(HashMap::new()),
            faults: faults::Faults::new(None),
            clock: crate::clock::Clock::default(),
            handshakes: crate::handshake::Nonces::default(),
            libraries: Default::default(),
            signers: crate::workers::Workers::start("signer", 2),
            transactions: crate::workers::Workers::start("db", 1),
        }))
    }

    /// argon2 runs between two transactions, never inside one: the body runs twice (the first
    /// run rolls back when it asks for the check), and the hash is computed after the first
    /// transaction ended and before the second began.
    #[tokio::test(flavor = "multi_thread")]
    async fn argon2_runs_between_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let store = TimedStore { inner: SqliteStore::open(&dir.path().join("t.db")).unwrap(), spans: spans.clone() };
        let st = state(Arc::new(store));
        let phc = util::hash_password("correct horse battery");
        let runs = Arc::new(Mutex::new(0));
        let counted = runs.clone();
        let work_spans = Arc::new(Mutex::new(Vec::new()));
        let seen = work_spans.clone();
        let ok = st
            .db_checked(move |_, _tx, checks| {
                *counted.lock().unwrap() += 1;
                *seen.lock().unwrap() = checks.work_spans();
                Ok(Done(checks.verify_password("correct horse battery", &phc)?))
            })
            .await
            .unwrap();
        assert!(ok);
        assert_eq!(*runs.lock().unwrap(), 2);
        let spans = spans.lock().unwrap();
        let work = work_spans.lock().unwrap();
        assert_eq!((spans.len(), work.len()), (2, 1));
        let ((_, first_end), (second_begin, _)) = (spans[0], spans[1]);
        let (work_begin, work_end) = work[0];
        assert!(first_end <= work_begin && work_end <= second_begin);
    }

    /// A wrong password is answered `false` the same way, and a body that needs no work runs once.
    #[tokio::test(flavor = "multi_thread")]
    async fn wrong_passwords_fail_and_plain_bodies_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let st = state(Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap()));
        let phc = util::hash_password("correct horse battery");
        let ok = st.db_checked(move |_, _tx, checks| Ok(Done(checks.verify_password("wrong", &phc)?))).await.unwrap();
        assert!(!ok);
        let runs = Arc::new(Mutex::new(0));
        let counted = runs.clone();
        st.db_checked(move |_, _tx, _checks| {
            *counted.lock().unwrap() += 1;
            Ok(Done(()))
        })
        .await
        .unwrap();
        assert_eq!(*runs.lock().unwrap(), 1);
    }
}
