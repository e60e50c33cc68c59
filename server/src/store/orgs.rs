//! What organizations keep besides their memberships: invitations, membership requests, verified
//! domains, the suggestions those domains make, and logos.
//!
//! The four kinds of record share one table (`org_records`, migration 5): each row has the
//! columns that are queried (kind, organization, subject, status) next to its JSON document, so
//! a backend implements five small methods instead of five per kind. [`Record`] gives each kind
//! its typed reads and writes on top of them ([`get`], [`list`], [`put`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{StoreError, StoreResult, Tx};

/// One row of `org_records`.
#[derive(Debug, Clone)]
pub struct OrgRecord {
    pub kind: String,
    pub id: String,
    pub org_id: String,
    /// What the record is looked up by from the user's side: an invitation's email address
    /// (lower-cased), a request's or suggestion's user id, a domain's name.
    pub subject: String,
    pub status: String,
    pub created_at: i64,
    pub data: Value,
}

/// Which records [`Tx::org_records`] lists.
#[derive(Debug, Clone, Copy)]
pub enum RecordsOf<'a> {
    Org(&'a str),
    /// Records whose subject is one of these.
    Subjects(&'a [String]),
}

/// A typed kind of [`OrgRecord`].
pub trait Record: Serialize + DeserializeOwned {
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn org_id(&self) -> &str;
    fn subject(&self) -> String;
    fn status(&self) -> &str;
    fn created_at(&self) -> i64;
}

fn decode<R: Record>(r: OrgRecord) -> StoreResult<R> {
    serde_json::from_value(r.data).map_err(|e| StoreError(format!("{} {}: {e}", R::KIND, r.id)))
}

pub fn get<R: Record>(tx: &mut dyn Tx, id: &str) -> StoreResult<Option<R>> {
    tx.org_record(R::KIND, id)?.map(decode).transpose()
}

pub fn list<R: Record>(tx: &mut dyn Tx, of: RecordsOf<'_>) -> StoreResult<Vec<R>> {
    tx.org_records(R::KIND, of)?.into_iter().map(decode).collect()
}

pub fn put<R: Record>(tx: &mut dyn Tx, r: &R) -> StoreResult<()> {
    let data = serde_json::to_value(r).map_err(|e| StoreError(e.to_string()))?;
    tx.put_org_record(&OrgRecord {
        kind: R::KIND.to_owned(),
        id: r.id().to_owned(),
        org_id: r.org_id().to_owned(),
        subject: r.subject(),
        status: r.status().to_owned(),
        created_at: r.created_at(),
        data,
    })
}

macro_rules! record {
    ($t:ty, $kind:literal, $subject:ident, $lower:literal) => {
        impl Record for $t {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn org_id(&self) -> &str {
                &self.org_id
            }
            fn subject(&self) -> String {
                if $lower { self.$subject.to_lowercase() } else { self.$subject.clone() }
            }
            fn status(&self) -> &str {
                &self.status
            }
            fn created_at(&self) -> i64 {
                self.created_at
            }
        }
    };
}

/// An invitation to join an organization, by email address. `pending`, `accepted` or `revoked`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: String,
    pub status: String,
    pub public_metadata: Value,
    pub private_metadata: Value,
    /// The user who accepted it.
    #[serde(default)]
    pub user_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}
// Email addresses match whatever their case.
record!(Invitation, "invitation", email, true);

/// A user's request to join (what accepting a suggestion makes). `pending`, `accepted` or
/// `rejected`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembershipRequest {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}
record!(MembershipRequest, "membership_request", user_id, false);

/// The affiliation verification of a domain (an email code to an address at the domain).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainVerification {
    /// `unverified` or `verified`.
    pub status: String,
    pub attempts: u32,
    pub expire_at: Option<i64>,
}

/// A domain of an organization. `status` is `verified` once its affiliation is verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Domain {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// `manual_invitation`, `automatic_invitation` or `automatic_suggestion`.
    pub enrollment_mode: String,
    pub affiliation_email_address: Option<String>,
    pub verification: Option<DomainVerification>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}
record!(Domain, "domain", name, true);

/// A suggestion to join, made for a user with a verified email address at a verified domain in
/// `automatic_suggestion` mode. `pending` or `accepted`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub domain_id: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}
record!(Suggestion, "suggestion", user_id, false);
