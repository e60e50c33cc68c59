//! `session.checkAuthorization`: organization role/permission and reverification checks,
//! evaluated locally from the session, with clerk-js's semantics.

use super::json::Json;
use super::resources::{Session, str_field};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorLevel {
    FirstFactor,
    SecondFactor,
    MultiFactor,
}

impl FactorLevel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "first_factor" => Some(Self::FirstFactor),
            "second_factor" => Some(Self::SecondFactor),
            "multi_factor" => Some(Self::MultiFactor),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reverification {
    pub level: FactorLevel,
    pub after_minutes: i64,
}

impl Reverification {
    /// Clerk's presets: `strict_mfa`, `strict`, `moderate`, `lax`.
    pub fn preset(name: &str) -> Option<Self> {
        let (after_minutes, level) = match name {
            "strict_mfa" => (10, FactorLevel::MultiFactor),
            "strict" => (10, FactorLevel::SecondFactor),
            "moderate" => (60, FactorLevel::SecondFactor),
            "lax" => (1_440, FactorLevel::SecondFactor),
            _ => return None,
        };
        Some(Reverification { level, after_minutes })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthorizationParams {
    pub role: Option<String>,
    pub permission: Option<String>,
    pub reverification: Option<Reverification>,
}

fn with_org_prefix(s: &str) -> String {
    if s.starts_with("org:") { s.to_owned() } else { ["org:", s].concat() }
}

/// `None` when the params ask nothing of the organization or there is no active organization.
fn check_organization(session: &Session, params: &AuthorizationParams) -> Option<bool> {
    if params.role.is_none() && params.permission.is_none() {
        return None;
    }
    let membership = session.membership(session.last_active_organization_id.as_deref()?)?;
    if let Some(permission) = &params.permission {
        let wanted = with_org_prefix(permission);
        let granted = membership.get("permissions").and_then(Json::as_array)?;
        return Some(granted.iter().filter_map(Json::as_str).any(|p| p == wanted));
    }
    let role = str_field(membership, "role")?;
    Some(with_org_prefix(role) == with_org_prefix(params.role.as_deref()?))
}

/// `None` when no reverification is asked or the session's verification ages are unknown.
fn check_reverification(session: &Session, params: &AuthorizationParams) -> Option<bool> {
    let rule = params.reverification.as_ref()?;
    let [first_age, second_age] = session.factor_verification_age?;
    let first_ok = (first_age != -1).then_some(rule.after_minutes > first_age);
    let second_ok = (second_age != -1).then_some(rule.after_minutes > second_age);
    match rule.level {
        FactorLevel::FirstFactor => first_ok,
        // A user without a second factor is held to the first one.
        FactorLevel::SecondFactor => {
            if second_age != -1 {
                second_ok
            } else {
                first_ok
            }
        }
        FactorLevel::MultiFactor => {
            if second_age == -1 {
                first_ok
            } else {
                Some(first_ok == Some(true) && second_ok == Some(true))
            }
        }
    }
}

/// True when every asked check passes; when some check cannot be evaluated, true if any passes.
pub fn check_authorization(session: &Session, params: &AuthorizationParams) -> bool {
    if session.user_id().is_none() {
        return false;
    }
    let checks = [check_organization(session, params), check_reverification(session, params)];
    if checks.iter().any(Option::is_none) { checks.contains(&Some(true)) } else { checks.iter().all(|c| *c == Some(true)) }
}
