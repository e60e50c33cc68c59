//! Paginated lists (`{data, total_count}`) of the signed-in user's organizations and of an
//! organization: what `useOrganizationList` and `useOrganization` page through, through
//! clerk-js's `user.getOrganizationMemberships()` and `organization.getMemberships()` and
//! their siblings.

use super::clerk::*;
use super::error::{ClerkError, Result};
use super::fapi::{Retry, Verb};
use super::json::Json;
use super::text::decimal;

/// Which list: the user's (`/me/…`) or an organization's (`/organizations/{id}/…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageList {
    UserMemberships,
    UserInvitations,
    UserSuggestions,
    Memberships,
    Invitations,
    MembershipRequests,
    Domains,
}

impl PageList {
    pub fn parse(name: &str) -> Result<PageList> {
        Ok(match name {
            "user_memberships" => PageList::UserMemberships,
            "user_invitations" => PageList::UserInvitations,
            "user_suggestions" => PageList::UserSuggestions,
            "memberships" => PageList::Memberships,
            "invitations" => PageList::Invitations,
            "membership_requests" => PageList::MembershipRequests,
            "domains" => PageList::Domains,
            _ => return Err(ClerkError::invalid_argument(["Unknown list \"", name, "\""].concat())),
        })
    }

    fn segment(self) -> &'static str {
        match self {
            PageList::UserMemberships => "/me/organization_memberships",
            PageList::UserInvitations => "/me/organization_invitations",
            PageList::UserSuggestions => "/me/organization_suggestions",
            PageList::Memberships => "/memberships",
            PageList::Invitations => "/invitations",
            PageList::MembershipRequests => "/membership_requests",
            PageList::Domains => "/domains",
        }
    }

    fn of_organization(self) -> bool {
        !matches!(self, PageList::UserMemberships | PageList::UserInvitations | PageList::UserSuggestions)
    }
}

/// A page: `limit` items from `offset`, optionally filtered by `role` or `status`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageParams {
    pub limit: u32,
    pub offset: u32,
    pub role: Option<String>,
    pub status: Option<String>,
}

impl Clerk {
    /// One page of `list`, for the active session's user (`_clerk_session_id`, as clerk-js
    /// sends with every request): `{data, total_count}` as the server sent them.
    pub async fn page(&self, list: PageList, organization_id: Option<&str>, params: &PageParams) -> Result<Json> {
        self.require_loaded()?;
        let path = match (list.of_organization(), organization_id) {
            (false, _) => list.segment().to_owned(),
            (true, Some(id)) => {
                validate_path_segment("organization id", id)?;
                ["/organizations/", id, list.segment()].concat()
            }
            (true, None) => return Err(ClerkError::invalid_argument("organizationId is required for this list")),
        };
        let session = self.0.state.borrow().active_session_id.clone().unwrap_or_default();
        let (limit, offset) = (decimal(params.limit.into()), decimal(params.offset.into()));
        let mut query = vec![("paginated", "true"), ("limit", &*limit), ("offset", &*offset), ("_clerk_session_id", &*session)];
        if let Some(role) = &params.role {
            query.push(("role", role));
        }
        if let Some(status) = &params.status {
            query.push(("status", status));
        }
        let body = self.0.fapi.request_with_query(Verb::Get, &path, &query, &[], Retry::Idempotent).await?;
        let response = self.absorb(body, Emit::Now)?;
        if response.get("data").and_then(Json::as_array).is_none() {
            return Err(ClerkError::unexpected_response(200, "the list has no data"));
        }
        Ok(response)
    }

    /// Whether an environment setting the React SDKs ask about is on (clerk-js's
    /// `__internal_attemptToEnableEnvironmentSetting`); only `organizations` exists.
    pub fn setting_enabled(&self, setting: &str) -> Result<bool> {
        if setting != "organizations" {
            return Err(ClerkError::invalid_argument(["Unknown or unsupported setting \"", setting, "\""].concat()));
        }
        let environment = self.environment();
        let enabled = environment.as_deref().and_then(|e| e.get("organization_settings")?.get("enabled")).and_then(Json::as_bool);
        Ok(enabled.unwrap_or(false))
    }
}
