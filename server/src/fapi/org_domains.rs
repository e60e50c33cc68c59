//! Domains on the Frontend API (`organization.getDomains` / `getDomain` / `createDomain`, and
//! the domain's `updateEnrollmentMode`, `prepareAffiliationVerification`,
//! `attemptAffiliationVerification`, `delete`): reading needs `org:sys_domains:read`, changing
//! `org:sys_domains:manage`. And the user's suggestions (`user.getOrganizationSuggestions()`,
//! `suggestion.accept()`), which verified domains make.

use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::Fapi;
use super::organizations::{Form, no_form, run, run_outcome};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::orgs::domains;
use crate::orgs::json::{deleted_json, domain_json, suggestion_json};
use crate::store::orgs::{self, Domain, RecordsOf, Suggestion};
use crate::store::{Done, Refused, Tx};

fn shown(tx: &mut dyn Tx, d: &Domain) -> ApiResult<Value> {
    let pending = domains::pending_counts(tx, d)?;
    Ok(domain_json(d, pending))
}

/// `GET /v1/organizations/{id}/domains` (`enrollment_mode` filter).
pub async fn list(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:read"))?;
        let mut all = Vec::new();
        for d in orgs::list::<Domain>(tx, RecordsOf::Org(&o.id))? {
            if c.q.enrollment_mode.as_deref().is_none_or(|m| m == d.enrollment_mode) {
                all.push(shown(tx, &d)?);
            }
        }
        Ok(c.q.page(all, true, |v| v))
    })
    .await
}

/// `POST /v1/organizations/{id}/domains` (`createDomain(name)`): unverified until its
/// affiliation is verified.
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:manage"))?;
        let d = domains::create(tx, &o, c.form.get("name"), c.form.get("enrollment_mode"), c.now())?;
        shown(tx, &d)
    })
    .await
}

/// `GET /v1/organizations/{id}/domains/{dom}`.
pub async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, dom)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:read"))?;
        let d = domains::of_org(tx, &o.id, &dom)?;
        shown(tx, &d)
    })
    .await
}

/// `DELETE /v1/organizations/{id}/domains/{dom}`.
pub async fn delete(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, dom)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:manage"))?;
        let d = domains::of_org(tx, &o.id, &dom)?;
        domains::delete(tx, &d)?;
        Ok(deleted_json("organization_domain", &d.id))
    })
    .await
}

/// `POST …/domains/{dom}/update_enrollment_mode` (`enrollment_mode`, `delete_pending`).
pub async fn update_mode(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, dom)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:manage"))?;
        let d = domains::of_org(tx, &o.id, &dom)?;
        let delete_pending = c.form.get("delete_pending") == Some("true");
        let d = domains::set_mode(tx, d, c.form.get("enrollment_mode"), delete_pending, c.now())?;
        shown(tx, &d)
    })
    .await
}

/// `POST …/domains/{dom}/prepare_affiliation_verification` (`affiliation_email_address`): a code
/// to that address (the development outbox).
pub async fn prepare(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, dom)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:manage"))?;
        let d = domains::of_org(tx, &o.id, &dom)?;
        let d = domains::prepare_affiliation(c.st, tx, d, c.form.get("affiliation_email_address"), c.now())?;
        shown(tx, &d)
    })
    .await
}

/// `POST …/domains/{dom}/attempt_affiliation_verification` (`code`): a right code verifies the
/// domain; a wrong one is 422 `form_code_incorrect`, counted in `verification.attempts`.
pub async fn attempt(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, dom)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run_outcome(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_domains:manage"))?;
        let d = domains::of_org(tx, &o.id, &dom)?;
        match domains::attempt_affiliation(tx, d, c.form.get("code"), c.now())? {
            Ok(d) => Ok(Done(shown(tx, &d)?)),
            Err((_, e)) => Ok(Refused(e)),
        }
    })
    .await
}

/// `GET /v1/me/organization_suggestions` (`status` filter).
pub async fn my_suggestions(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), |tx, c| {
        domains::sync_user(tx, c.user, c.now())?;
        let mut out = Vec::new();
        for s in orgs::list::<Suggestion>(tx, RecordsOf::Subjects(std::slice::from_ref(&c.user.id)))? {
            if c.q.wants(&s.status)
                && let Some(o) = tx.org(&s.org_id)?
            {
                out.push(suggestion_json(&s, &o));
            }
        }
        Ok(c.q.page(out, true, |v| v))
    })
    .await
}

/// `POST /v1/me/organization_suggestions/{sug}/accept`: a membership request the
/// organization's admins accept or reject.
pub async fn accept_suggestion(
    State(st): State<AppState>,
    caller: Caller,
    Path(sug): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let s = domains::accept_suggestion(tx, c.user, &sug, c.now())?;
        let o = tx.org(&s.org_id)?.ok_or_else(|| ApiError::not_found("organization"))?;
        Ok(suggestion_json(&s, &o))
    })
    .await
}
