//! What each wire object shows, loaded inside the transaction. `render` turns these into JSON
//! with no database reads and no signing, so that a response can be rendered after the
//! transaction, once its tokens are signed (see `fapi::reply`).

use crate::errors::ApiResult;
use serde_json::Value;

use crate::config::Config;
use crate::store::{Client, EmailAddress, ExternalAccount, Membership, Organization, PhoneNumber, Session, SignIn, SignUp, Tx, User};

#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: Organization,
    pub members_count: u64,
    pub pending_invitations_count: u64,
}

#[derive(Debug, Clone)]
pub struct UserView {
    pub user: User,
    pub emails: Vec<EmailAddress>,
    pub phones: Vec<PhoneNumber>,
    pub external_accounts: Vec<ExternalAccount>,
    /// The user's own memberships (the Frontend API's user object lists them); `None` leaves
    /// `organization_memberships` out.
    pub memberships: Option<Vec<MembershipView>>,
}

impl UserView {
    /// The primary email address, if the user has one.
    pub fn primary_email(&self) -> Option<&str> {
        let id = self.user.primary_email_address_id.as_deref()?;
        self.emails.iter().find(|e| e.id == id).map(|e| e.email.as_str())
    }

    /// The phone number that is the user's second factor, if any (see
    /// `factors::second_factor_phone`).
    pub fn second_factor_phone(&self) -> Option<&PhoneNumber> {
        self.phones.iter().find(|p| p.verified && p.reserved_for_second_factor)
    }
}

#[derive(Debug, Clone)]
pub struct MembershipView {
    pub membership: Membership,
    pub org: OrgView,
    /// The member, for `public_user_data` (lists of members carry it).
    pub member: Option<UserView>,
}

#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: Session,
    /// "Now" of the request: the status and `factor_verification_age` depend on it.
    pub now: i64,
    pub user: Option<UserView>,
}

#[derive(Debug, Clone)]
pub struct SignInView {
    pub sign_in: SignIn,
    pub user: Option<UserView>,
    /// `supported_first_factors` / `supported_second_factors` (`crate::factors`), among the
    /// instance's enabled strategies.
    pub first_factors: Vec<Value>,
    pub second_factors: Vec<Value>,
    /// The request's time: a verification past its expiry reads `expired` (`render::as_of`).
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct ClientView {
    pub client: Client,
    /// "Now" of the request: a sign-up's status depends on it.
    pub now: i64,
    /// The sessions listed on the client (`SessionStatus::stays_on_client`), oldest first.
    pub sessions: Vec<SessionView>,
    /// The signed-in one among them may be `last_active_session_id`.
    pub last_active_session_id: Option<String>,
    pub sign_in: Option<SignInView>,
    pub sign_up: Option<SignUp>,
}

pub fn org(tx: &mut dyn Tx, o: &Organization) -> ApiResult<OrgView> {
    Ok(OrgView {
        org: o.clone(),
        members_count: tx.members_count(&o.id)?,
        pending_invitations_count: crate::orgs::invitations::pending_count(tx, &o.id)?,
    })
}

/// The user with its email addresses; `with_memberships` also loads its organizations.
pub fn user(tx: &mut dyn Tx, u: &User, with_memberships: bool) -> ApiResult<UserView> {
    let emails = tx.emails_of(&u.id)?;
    let phones = tx.phones_of(&u.id)?;
    let external_accounts = tx.external_accounts_of(&u.id)?;
    let memberships = if with_memberships {
        let mut all = Vec::new();
        for (m, o) in tx.memberships_of(&u.id)? {
            all.push(membership(tx, &m, &o, None)?);
        }
        Some(all)
    } else {
        None
    };
    Ok(UserView { user: u.clone(), emails, phones, external_accounts, memberships })
}

pub fn membership(tx: &mut dyn Tx, m: &Membership, o: &Organization, member: Option<&User>) -> ApiResult<MembershipView> {
    let member = member.map(|u| user(tx, u, false)).transpose()?;
    Ok(MembershipView { membership: m.clone(), org: org(tx, o)?, member })
}

pub fn session(tx: &mut dyn Tx, s: &Session, now: i64) -> ApiResult<SessionView> {
    let user = match tx.user(&s.user_id)? {
        Some(u) => Some(user(tx, &u, true)?),
        None => None,
    };
    Ok(SessionView { session: s.clone(), now, user })
}

pub fn sign_in(config: &Config, tx: &mut dyn Tx, si: &SignIn, now: i64) -> ApiResult<SignInView> {
    let found = match &si.user_id {
        Some(id) => tx.user(id)?,
        None => None,
    };
    let user = found.map(|u| user(tx, &u, false)).transpose()?;
    let (first_factors, second_factors) = match &user {
        Some(u) => (crate::factors::sign_in_first_factors(config, u), crate::factors::sign_in_second_factors(config, u)),
        None => (Vec::new(), Vec::new()),
    };
    Ok(SignInView { sign_in: si.clone(), user, first_factors, second_factors, now })
}

pub fn client(config: &Config, tx: &mut dyn Tx, c: &Client, now: i64) -> ApiResult<ClientView> {
    let mut sessions = Vec::new();
    let mut signed_in = Vec::new();
    for s in tx.sessions_of_client(&c.id)? {
        let status = s.effective_status(now);
        if status.is_signed_in() {
            signed_in.push(s.id.clone());
        }
        if status.stays_on_client() {
            sessions.push(session(tx, &s, now)?);
        }
    }
    let sign_in = match &c.sign_in_id {
        Some(id) => tx.sign_in(id)?.map(|si| sign_in(config, tx, &si, now)).transpose()?,
        None => None,
    };
    let sign_up = match &c.sign_up_id {
        Some(id) => tx.sign_up(id)?,
        None => None,
    };
    // Only a signed-in session can be the active one.
    let last_active_session_id = c.last_active_session_id.clone().filter(|id| signed_in.contains(id));
    Ok(ClientView { client: c.clone(), now, sessions, last_active_session_id, sign_in, sign_up })
}
