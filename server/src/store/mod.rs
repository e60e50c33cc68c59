//! Persistence. Handlers run their whole read-modify-write inside one [`Tx`] (one database
//! transaction), so every request is atomic and a failed validation writes nothing.
//!
//! Two backends implement the [`Store`] trait: [`sqlite::SqliteStore`], the default, and
//! [`postgres::PostgresStore`] (`--db postgres://...`) for several replicas on one database. Records are stored as JSON documents next to the columns that are queried
//! (ids, foreign keys, status, unique keys), which keeps both backends small.

pub mod orgs;
pub mod postgres;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// The instance's secrets, created on first run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub secret_key: String,
    pub signing_key_pem: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub primary_email_address_id: Option<String>,
    /// argon2 PHC string.
    pub password_hash: Option<String>,
    /// Base32 TOTP secret when the user has an authenticator app as second factor.
    pub totp_secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sign_in_at: Option<i64>,
    /// Hashes of the unused backup codes (`fapi::backup_codes`); each is removed when used.
    #[serde(default)]
    pub backup_codes: Vec<String>,
    #[serde(default)]
    pub primary_phone_number_id: Option<String>,
    /// WebAuthn credentials (`crate::passkeys`), verified or waiting for their attestation.
    #[serde(default)]
    pub passkeys: Vec<StoredPasskey>,
    /// Metadata, profile image, TOTP enrolment and what the user may do (`crate::account`).
    #[serde(default)]
    pub profile: UserProfile,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// The parts of a user that the account pages change (clerk-js's `user.update`,
/// `setProfileImage`, `createTOTP`, and the Backend API's `updateUser`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserProfile {
    /// Readable everywhere, set by the Backend API only.
    #[serde(default = "empty_object")]
    pub public_metadata: Value,
    /// Backend API only, never shown on the Frontend API.
    #[serde(default = "empty_object")]
    pub private_metadata: Value,
    /// Readable and writable by the user (Frontend API).
    #[serde(default = "empty_object")]
    pub unsafe_metadata: Value,
    /// The uploaded profile image (bytes in the `images` table).
    #[serde(default)]
    pub image: Option<ProfileImage>,
    /// An authenticator app being enrolled (`POST /v1/me/totp`), until a code proves it.
    #[serde(default)]
    pub pending_totp: Option<PendingTotp>,
    /// `None`: the instance default (the user may delete themselves).
    #[serde(default)]
    pub delete_self_enabled: Option<bool>,
    /// `None`: the instance default (organizations are enabled, so yes).
    #[serde(default)]
    pub create_organization_enabled: Option<bool>,
    #[serde(default)]
    pub create_organizations_limit: Option<u32>,
}

impl Default for UserProfile {
    fn default() -> Self {
        UserProfile {
            public_metadata: empty_object(),
            private_metadata: empty_object(),
            unsafe_metadata: empty_object(),
            image: None,
            pending_totp: None,
            delete_self_enabled: None,
            create_organization_enabled: None,
            create_organizations_limit: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileImage {
    pub id: String,
    /// Where clerk-server serves it (`GET /v1/images/{id}`), absolute, as `image_url` shows it.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingTotp {
    pub id: String,
    /// Base32.
    pub secret: String,
    pub created_at: i64,
}

/// The bytes of an uploaded image, checked to be one (`crate::images::kind`): a user's profile
/// image or an organization's logo.
#[derive(Debug, Clone)]
pub struct StoredImage {
    pub id: String,
    /// The user or organization it belongs to.
    pub owner_id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub created_at: i64,
}

/// A passkey of a user. `credential` (webauthn-rs's `Passkey`, public key and counter) is set
/// once the attestation was verified; until then `registration` keeps the challenge state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPasskey {
    pub id: String,
    pub name: String,
    pub credential: Option<Value>,
    pub registration: Option<Value>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailAddress {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub verified: bool,
    pub created_at: i64,
    /// The verification in progress of an address added to an account (as on the wire:
    /// status, strategy, attempts, expire_at); `None` before it is prepared and once verified.
    #[serde(default)]
    pub verification: Option<Value>,
}

/// A user's phone number, always E.164 (`crate::phone::normalize`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub id: String,
    pub user_id: String,
    pub phone: String,
    pub verified: bool,
    /// The user's `phone_code` second factor (Clerk's `reserved_for_second_factor`).
    pub reserved_for_second_factor: bool,
    pub created_at: i64,
    /// As for [`EmailAddress::verification`].
    #[serde(default)]
    pub verification: Option<Value>,
    /// Chosen with clerk-js's `makeDefaultSecondFactor()`; otherwise the first reserved number
    /// is the default.
    #[serde(default)]
    pub default_second_factor: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The logo (a [`StoredImage`]) and the absolute URL clerk-server serves it at.
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default = "empty_object")]
    pub public_metadata: Value,
    #[serde(default = "empty_object")]
    pub private_metadata: Value,
    /// 0: no limit (members plus pending invitations).
    #[serde(default)]
    pub max_allowed_memberships: u64,
    /// Whether admins may delete the organization from the Frontend API (Clerk's default: yes).
    #[serde(default = "yes")]
    pub admin_delete_enabled: bool,
    #[serde(default)]
    pub created_by: Option<String>,
}

fn yes() -> bool {
    true
}

impl Organization {
    /// A new organization with Clerk's defaults (no logo, empty metadata, no member limit).
    pub fn new(id: String, name: String, slug: String, created_by: Option<String>, now: i64) -> Self {
        Organization {
            id,
            name,
            slug,
            created_at: now,
            updated_at: now,
            image_id: None,
            image_url: None,
            public_metadata: empty_object(),
            private_metadata: empty_object(),
            max_allowed_memberships: 0,
            admin_delete_enabled: true,
            created_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// `org:admin` or `org:member`.
    pub role: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    /// SHA-256 of the `__client` cookie value (the cookie is a bearer secret; the id is public).
    pub cookie_hash: String,
    /// SHA-256 of the dev-browser token this client is bound to, if any.
    pub dev_browser_hash: Option<String>,
    pub sign_in_id: Option<String>,
    pub sign_up_id: Option<String>,
    pub last_active_session_id: Option<String>,
    pub last_authentication_strategy: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the client (and its cookie) lapses; `GET /v1/client/touch` pushes it on. Rows
    /// written before this field existed count from `created_at`.
    #[serde(default)]
    pub expire_at: Option<i64>,
    /// The browser last seen using this client (User-Agent and IP address), which its sessions
    /// show as their `latest_activity` (`GET /v1/me/sessions/active`).
    #[serde(default)]
    pub activity: Option<ClientActivity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientActivity {
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
}

impl Client {
    /// How long a client lives after it is created or touched: 400 days. clerk-js's
    /// `#decorateUrlWithTouch` notes that browsers other than Safari keep Clerk's client cookie
    /// "the full 400 days" (Chromium's cap on cookie lifetimes), and its `isEligibleForTouch()`
    /// turns true 8 days before `cookie_expires_at`.
    pub const LIFETIME_MS: i64 = 400 * 24 * 3600 * 1000;

    /// A new client with nothing in progress, identified by the hash of its cookie.
    pub fn new(id: String, cookie_hash: String, dev_browser_hash: Option<String>, now: i64) -> Self {
        Client {
            expire_at: Some(now + Self::LIFETIME_MS),
            id,
            cookie_hash,
            dev_browser_hash,
            sign_in_id: None,
            sign_up_id: None,
            last_active_session_id: None,
            last_authentication_strategy: None,
            created_at: now,
            updated_at: now,
            activity: None,
        }
    }

    /// `cookie_expires_at` on the wire.
    pub fn expires_at(&self) -> i64 {
        self.expire_at.unwrap_or(self.created_at + Self::LIFETIME_MS)
    }

    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Active,
    Pending,
    Ended,
    Removed,
    Replaced,
    Revoked,
    Expired,
    Abandoned,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Ended => "ended",
            Self::Removed => "removed",
            Self::Replaced => "replaced",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    /// Only signed-in sessions may mint tokens (clerk-js's `signedInSessions`).
    pub fn is_signed_in(self) -> bool {
        matches!(self, Self::Active | Self::Pending)
    }

    /// Whether the Frontend API's client object still lists a session in this state. Clerk's
    /// SessionStatus reference says `ended` and `replaced` sessions "remain in the Client
    /// object", and the Backend API's revoke reference says "a revoked session will still be
    /// returned along with its client object"; `removed` ones were "removed from the Client
    /// object". Expired and abandoned sessions are over without anyone signing out, and are not
    /// listed (they still answer `GET /v1/client/sessions/{id}` with their status).
    pub fn stays_on_client(self) -> bool {
        matches!(self, Self::Active | Self::Pending | Self::Ended | Self::Replaced | Self::Revoked)
    }
}

/// Reverification in progress on a session (`/sessions/{id}/verify`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionVerification {
    pub id: String,
    /// `first_factor`, `second_factor` or `multi_factor`.
    pub level: String,
    pub first_done: bool,
    pub second_done: bool,
    #[serde(default)]
    pub failed_attempts: u32,
    #[serde(default)]
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub status: SessionStatus,
    pub last_active_at: i64,
    pub expire_at: i64,
    pub abandon_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active_organization_id: Option<String>,
    pub actor: Option<Value>,
    /// When a first / second factor was last verified (ms), for `factor_verification_age`.
    pub first_factor_verified_at: Option<i64>,
    pub second_factor_verified_at: Option<i64>,
    pub verification: Option<SessionVerification>,
}

impl Session {
    /// Status with the time-based states applied: a signed-in session is `expired` from
    /// `expire_at` on, and a signed-in or expired one is `abandoned` from `abandon_at` on. The
    /// sweeper (`AppState::sweep_sessions`) writes the same states back; computing them here
    /// too keeps every response right between two sweeps.
    pub fn effective_status(&self, now: i64) -> SessionStatus {
        let lapsed = self.status.is_signed_in() || self.status == SessionStatus::Expired;
        if lapsed && now >= self.abandon_at {
            SessionStatus::Abandoned
        } else if self.status.is_signed_in() && now >= self.expire_at {
            SessionStatus::Expired
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    pub id: String,
    pub client_id: String,
    /// `needs_identifier`, `needs_first_factor`, `needs_second_factor`, `complete`.
    pub status: String,
    pub identifier: Option<String>,
    pub user_id: Option<String>,
    /// Verification objects as shown on the wire (`first_factor_verification`, ...).
    pub first_factor_verification: Option<Value>,
    pub second_factor_verification: Option<Value>,
    pub failed_attempts: u32,
    pub locked_until: Option<i64>,
    pub created_session_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub abandon_at: i64,
    /// The WebAuthn challenge state of a prepared `passkey` first factor.
    #[serde(default)]
    pub passkey_challenge: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignUp {
    pub id: String,
    pub client_id: String,
    /// `missing_requirements`, `complete`, `abandoned`.
    pub status: String,
    pub email_address: Option<String>,
    pub email_verified: bool,
    pub email_verification: Option<Value>,
    /// `verifications.external_account` of an OAuth sign-up, as on the wire.
    #[serde(default)]
    pub external_account_verification: Option<Value>,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub failed_attempts: u32,
    pub locked_until: Option<i64>,
    pub created_user_id: Option<String>,
    pub created_session_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub abandon_at: i64,
    /// E.164; optional, but verified (`phone_code`) before the sign-up completes when given.
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_verified: bool,
    #[serde(default)]
    pub phone_verification: Option<Value>,
}

/// A one-time email code; only its hash is stored (the plaintext goes to the outbox).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailCode {
    /// What it verifies: a sign-in, sign-up or session-verification id.
    pub owner_id: String,
    pub email: String,
    pub code_hash: String,
    pub expires_at: i64,
}

/// A short-lived, one-time secret kept by its hash: an OAuth flow's `state`, an authorization
/// code of the development identity provider, an email link's token, a pending transfer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// `kind:` plus the secret's hash (or the owner's id for transfers).
    pub key: String,
    pub data: Value,
    pub expires_at: i64,
}

/// A user's account at an OAuth provider (`provider` is e.g. `google`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalAccount {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub provider_user_id: String,
    pub email_address: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JwtTemplate {
    pub id: String,
    pub name: String,
    pub claims: Value,
    pub lifetime: i64,
    pub allowed_clock_skew: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    pub status: Option<SessionStatus>,
}

/// All data operations, inside one transaction.
pub trait Tx {
    fn instance(&mut self) -> StoreResult<Option<Instance>>;
    fn put_instance(&mut self, i: &Instance) -> StoreResult<()>;

    fn user(&mut self, id: &str) -> StoreResult<Option<User>>;
    fn put_user(&mut self, u: &User) -> StoreResult<()>;
    fn users(&mut self, limit: u32, offset: u32) -> StoreResult<(Vec<User>, u64)>;
    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<User>>;

    fn email(&mut self, address: &str) -> StoreResult<Option<EmailAddress>>;
    fn emails_of(&mut self, user_id: &str) -> StoreResult<Vec<EmailAddress>>;
    fn put_email(&mut self, e: &EmailAddress) -> StoreResult<()>;

    /// By E.164 number.
    fn phone(&mut self, number: &str) -> StoreResult<Option<PhoneNumber>>;
    fn phones_of(&mut self, user_id: &str) -> StoreResult<Vec<PhoneNumber>>;
    fn put_phone(&mut self, p: &PhoneNumber) -> StoreResult<()>;

    fn org(&mut self, id: &str) -> StoreResult<Option<Organization>>;
    fn org_by_slug(&mut self, slug: &str) -> StoreResult<Option<Organization>>;
    fn put_org(&mut self, o: &Organization) -> StoreResult<()>;
    fn members_count(&mut self, org_id: &str) -> StoreResult<u64>;
    fn memberships_of(&mut self, user_id: &str) -> StoreResult<Vec<(Membership, Organization)>>;
    /// One page of an organization's members, oldest membership first, with the total count.
    /// `roles` empty means every role.
    fn memberships_in_org(
        &mut self,
        org_id: &str,
        roles: &[String],
        limit: u32,
        offset: u32,
    ) -> StoreResult<(Vec<(Membership, User)>, u64)>;
    fn put_membership(&mut self, m: &Membership) -> StoreResult<()>;

    // --- Organization administration (`store::orgs`): listing and deleting organizations and
    // memberships, the organizations' records (invitations, membership requests, domains,
    // suggestions) and their logos. ---
    /// One page of every organization, newest first, whose name or slug contains `query`
    /// (case-insensitive; empty: all), with the total count.
    fn orgs(&mut self, query: &str, limit: u32, offset: u32) -> StoreResult<(Vec<Organization>, u64)>;
    /// Deletes the organization with its memberships, records and logo.
    fn delete_org(&mut self, id: &str) -> StoreResult<()>;
    fn delete_membership(&mut self, org_id: &str, user_id: &str) -> StoreResult<()>;
    fn org_record(&mut self, kind: &str, id: &str) -> StoreResult<Option<orgs::OrgRecord>>;
    /// Records of `kind`, oldest first: an organization's, or those of some subjects.
    fn org_records(&mut self, kind: &str, of: orgs::RecordsOf<'_>) -> StoreResult<Vec<orgs::OrgRecord>>;
    fn put_org_record(&mut self, r: &orgs::OrgRecord) -> StoreResult<()>;
    fn delete_org_record(&mut self, kind: &str, id: &str) -> StoreResult<()>;

    fn client(&mut self, id: &str) -> StoreResult<Option<Client>>;
    fn client_by_cookie(&mut self, cookie_hash: &str) -> StoreResult<Option<Client>>;
    fn client_by_dev_browser(&mut self, db_hash: &str) -> StoreResult<Option<Client>>;
    fn put_client(&mut self, c: &Client) -> StoreResult<()>;
    fn delete_client(&mut self, id: &str) -> StoreResult<()>;

    fn dev_browser_exists(&mut self, db_hash: &str) -> StoreResult<bool>;
    fn put_dev_browser(&mut self, db_hash: &str, created_at: i64) -> StoreResult<()>;

    fn session(&mut self, id: &str) -> StoreResult<Option<Session>>;
    fn put_session(&mut self, s: &Session) -> StoreResult<()>;
    fn sessions_of_client(&mut self, client_id: &str) -> StoreResult<Vec<Session>>;
    /// Newest first; returns the page and the total matching count.
    fn list_sessions(&mut self, f: &SessionFilter, limit: u32, offset: u32) -> StoreResult<(Vec<Session>, u64)>;
    /// Persists the time-based states (`abandoned` at `abandon_at`, else `expired` at
    /// `expire_at`; see `Session::effective_status`) so that status filters see them.
    fn expire_sessions(&mut self, now: i64) -> StoreResult<()>;

    fn sign_in(&mut self, id: &str) -> StoreResult<Option<SignIn>>;
    fn put_sign_in(&mut self, s: &SignIn) -> StoreResult<()>;
    fn sign_up(&mut self, id: &str) -> StoreResult<Option<SignUp>>;
    fn put_sign_up(&mut self, s: &SignUp) -> StoreResult<()>;

    fn email_code(&mut self, owner_id: &str) -> StoreResult<Option<EmailCode>>;
    fn put_email_code(&mut self, c: &EmailCode) -> StoreResult<()>;
    fn delete_email_code(&mut self, owner_id: &str) -> StoreResult<()>;

    fn grant(&mut self, key: &str) -> StoreResult<Option<Grant>>;
    fn put_grant(&mut self, g: &Grant) -> StoreResult<()>;
    fn delete_grant(&mut self, key: &str) -> StoreResult<()>;

    fn external_account(&mut self, provider: &str, provider_user_id: &str) -> StoreResult<Option<ExternalAccount>>;
    fn external_accounts_of(&mut self, user_id: &str) -> StoreResult<Vec<ExternalAccount>>;
    fn put_external_account(&mut self, a: &ExternalAccount) -> StoreResult<()>;

    fn jwt_template(&mut self, name: &str) -> StoreResult<Option<JwtTemplate>>;
    fn put_jwt_template(&mut self, t: &JwtTemplate) -> StoreResult<()>;
    fn jwt_templates(&mut self) -> StoreResult<Vec<JwtTemplate>>;

    /// Failed-attempt times of `key` at or after `since`, oldest first (see `limits`).
    fn failures_since(&mut self, key: &str, since: i64) -> StoreResult<Vec<i64>>;
    /// Records a failure of `key` at `at` and forgets its failures before `forget_before`.
    fn record_failure(&mut self, key: &str, at: i64, forget_before: i64) -> StoreResult<()>;
    /// TOTP replay guard: records that `user_id` used the code of time `step`. `false` if that
    /// code was used already (a code is good once). Steps older than `forget_before` are dropped.
    fn use_totp_step(&mut self, user_id: &str, step: i64, forget_before: i64) -> StoreResult<bool>;

    // The account (`crate::account`): identifiers by id, deletions, profile images.
    fn email_by_id(&mut self, id: &str) -> StoreResult<Option<EmailAddress>>;
    fn delete_email(&mut self, id: &str) -> StoreResult<()>;
    fn phone_by_id(&mut self, id: &str) -> StoreResult<Option<PhoneNumber>>;
    fn delete_phone(&mut self, id: &str) -> StoreResult<()>;
    fn delete_external_account(&mut self, id: &str) -> StoreResult<()>;
    /// Deletes the user and everything that is theirs alone: email addresses, phone numbers,
    /// external accounts, organization memberships, images, TOTP replay steps. Sessions stay
    /// (ended by the caller), as the Backend API still answers for them.
    fn delete_user(&mut self, id: &str) -> StoreResult<()>;
    fn image(&mut self, id: &str) -> StoreResult<Option<StoredImage>>;
    fn put_image(&mut self, image: &StoredImage) -> StoreResult<()>;
    fn delete_image(&mut self, id: &str) -> StoreResult<()>;
}

/// Opens the store `--db` names: a `postgres://` URL, or else a SQLite file (the default).
pub fn open(db: &Path) -> StoreResult<Arc<dyn Store>> {
    match db.to_str().filter(|d| postgres::is_url(d)) {
        // Enough connections for the blocking pool's concurrent transactions on a small machine.
        Some(url) => Ok(Arc::new(postgres::PostgresStore::open(url, 16)?)),
        None => Ok(Arc::new(sqlite::SqliteStore::open(db)?)),
    }
}

/// A storage backend: runs a closure in one transaction, committing only if it returns `Ok`.
pub trait Store: Send + Sync + 'static {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> StoreResult<()>) -> StoreResult<()>;

    /// How many transactions can make progress at once (SQLite: one connection): `AppState::db`
    /// runs that many transaction threads (more would only wait on a lock).
    fn concurrency(&self) -> usize {
        1
    }
}

/// What a transaction body that did not fail decided. Either way its writes are committed.
#[derive(Debug)]
pub enum Outcome<T, E> {
    /// Answer `T`.
    Done(T),
    /// Answer the error `E`, keeping the writes: a failed attempt must be counted even though the
    /// caller is refused (an error that must write nothing is the body's `Err`, which rolls back).
    Refused(E),
}

pub use Outcome::{Done, Refused};

impl<T, E> Outcome<T, E> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U, E> {
        match self {
            Done(t) => Done(f(t)),
            Refused(e) => Refused(e),
        }
    }

    pub fn into_result(self) -> Result<T, E> {
        match self {
            Done(t) => Ok(t),
            Refused(e) => Err(e),
        }
    }
}

impl<T, E> From<Result<T, E>> for Outcome<T, E> {
    fn from(r: Result<T, E>) -> Self {
        match r {
            Ok(t) => Done(t),
            Err(e) => Refused(e),
        }
    }
}

/// Result of a transaction body: `Err` rolls back, `Ok` commits (see [`Outcome`]).
pub type TxOutcome<T, E> = Result<Outcome<T, E>, E>;

impl dyn Store {
    /// Runs `f` in a transaction. `f`'s outer `Err` rolls back; `Ok(..)` commits. A backend may
    /// run `f` again after a conflict with a concurrent transaction (PostgreSQL's serialization
    /// failures), so `f` must be `FnMut`; only the run that commits (or fails) is answered.
    /// Call it from the blocking pool or a plain thread, never on an async worker: PostgreSQL's
    /// blocking client runs its own runtime, which panics there.
    pub fn run<T, E>(&self, mut f: impl FnMut(&mut dyn Tx) -> TxOutcome<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut out: Option<Result<T, E>> = None;
        let mut failure: Option<E> = None;
        let res = self.transaction(&mut |tx| {
            out = None;
            failure = None;
            match f(tx) {
                Ok(r) => {
                    out = Some(r.into_result());
                    Ok(())
                }
                Err(e) => {
                    failure = Some(e);
                    Err(StoreError("rolled back".into()))
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        res?;
        out.expect("transaction produced a result")
    }
}
