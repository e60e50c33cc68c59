//! `GET /v1/client/handshake`: where `@clerk/backend` sends the browser when the app's server
//! cannot trust the session cookies it got (docs/dropin.md (c); the directives are built in
//! `crate::handshake`).
//!
//! The client is the caller's: by the dev-browser token the app passes along (development) or
//! by this server's `__client` cookie, which the browser sends on this top-level navigation.
//! Its last active session, if still signed in, gets a fresh token; otherwise the directives
//! sign the app out. The browser is sent back to `redirect_url` with a 307:
//! - `format=nonce` (what `@clerk/backend` 3.x asks for): the directives wait behind a nonce,
//!   which travels as the `__clerk_handshake_nonce` query parameter (development) or cookie
//!   (production); the app's server fetches them from BAPI `GET /v1/clients/handshake_payload`.
//! - otherwise: a handshake token (a JWT signed with the instance key, `{handshake: [...]}`)
//!   as the `__clerk_handshake` query parameter or cookie.
//!
//! `organization_id` (the SDKs' organization sync) is not honoured: the token carries the
//! session's active organization.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::handshake::{self, AuthState, CookieTarget, NONCE_PARAM, NONCE_TTL_MS, TOKEN_PARAM};
use crate::store::{Client, Done, Tx};
use crate::tokens::{self, OrgChoice};
use crate::util::{new_id, random_string, sha256_hex};

// Clone: the transaction body hands it back and may run more than once (see `Store::run`).
#[derive(Clone)]
struct HandshakeQuery {
    redirect: url::Url,
    nonce_format: bool,
    dev_browser: Option<String>,
}

impl HandshakeQuery {
    fn parse(st: &AppState, raw: Option<&str>) -> ApiResult<Self> {
        let pairs: std::collections::HashMap<String, String> = raw.map(|q| crate::form_pairs(q).collect()).unwrap_or_default();
        let raw_redirect = pairs.get("redirect_url").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::missing_param("redirect_url"))?;
        let redirect = url::Url::parse(raw_redirect)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                ApiError::invalid_param("redirect_url", "redirect_url must be an absolute http(s) URL")
                    .long(format!("`{raw_redirect}` is not an absolute http or https URL."))
            })?;
        // Only back to an origin this instance serves, or the handshake would be an open
        // redirect that hands session cookies to any site.
        let origin = redirect.origin().ascii_serialization();
        let allowed =
            origin == st.issuer || st.config.allowed_origins.contains(&origin) || (st.config.dev && crate::is_loopback_origin(&origin));
        if !allowed {
            return Err(ApiError::invalid_param("redirect_url", "redirect_url is not an allowed origin")
                .long(format!("`{origin}` is not this instance's origin or an allowed origin (--allowed-origin).")));
        }
        Ok(HandshakeQuery {
            redirect,
            nonce_format: pairs.get("format").is_some_and(|f| f == "nonce"),
            dev_browser: pairs.get("__clerk_db_jwt").filter(|v| !v.is_empty()).cloned(),
        })
    }
}

/// What the transaction found: the claims to sign (signing happens after the lock is released),
/// the client's `updated_at`, and the dev-browser token the app should hold.
struct Found {
    claims: Option<(serde_json::Value, i64)>,
    dev_browser: Option<String>,
    /// The signed-in session the claims are for.
    session_id: Option<String>,
}

/// The client this handshake is for, and (development) the dev-browser token to hand back:
/// the one the app sent if this server knows it, else a new one. A token that names no client
/// yet is bound to the cookie's client (clerk-js in cookie mode never creates a dev browser,
/// and `@clerk/backend` on a development key requires one).
fn resolve_client(
    tx: &mut dyn Tx,
    caller: &Caller,
    q: &HandshakeQuery,
    production: bool,
    now: i64,
) -> ApiResult<(Option<Client>, Option<String>)> {
    let by_cookie = |tx: &mut dyn Tx| -> ApiResult<Option<Client>> {
        Ok(match &caller.cookie_hash {
            Some(h) => tx.client_by_cookie(h)?,
            None => None,
        })
    };
    if production {
        return Ok((by_cookie(tx)?, None));
    }
    let known = match &q.dev_browser {
        Some(t) if tx.dev_browser_exists(&sha256_hex(t))? => Some(t.clone()),
        _ => None,
    };
    let token = match known {
        Some(t) => t,
        None => {
            let t = format!("dvb_{}", random_string(40));
            tx.put_dev_browser(&sha256_hex(&t), now)?;
            t
        }
    };
    let hash = sha256_hex(&token);
    if let Some(c) = tx.client_by_dev_browser(&hash)? {
        return Ok((Some(c), Some(token)));
    }
    // The token the app will hold from now on names the cookie's client, even if that client
    // was bound to another token before: the app lost that one (its cookies were cleared, or
    // it runs on another host), and the HttpOnly `__client` cookie is the stronger proof. A
    // page still using the old token gets a new client, as after clearing its cookies.
    let client = match by_cookie(tx)? {
        Some(mut c) => {
            c.dev_browser_hash = Some(hash);
            tx.put_client(&c)?;
            Some(c)
        }
        None => None,
    };
    Ok((client, Some(token)))
}

pub async fn handshake(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let q = HandshakeQuery::parse(&st, raw.as_deref())?;
    let production = st.config.production;
    let app_origin = q.redirect.origin().ascii_serialization();
    let now = st.now();
    let (q, found) = st
        .db(move |st, tx| {
            let (client, dev_browser) = resolve_client(tx, &caller, &q, production, now)?;
            let session = match client.as_ref().and_then(|c| c.last_active_session_id.clone()) {
                Some(id) => tx.session(&id)?.filter(|s| s.effective_status(now).is_signed_in()),
                None => None,
            };
            let session_id = session.as_ref().map(|s| s.id.clone());
            let claims = match (&client, session) {
                (Some(c), Some(s)) => {
                    let claims =
                        tokens::session_claims(st, tx, &s, &OrgChoice::Active, Some(app_origin.clone()), st.config.token_ttl, now)?;
                    Some((serde_json::to_value(claims).map_err(|e| ApiError::internal(e.to_string()))?, c.updated_at))
                }
                _ => None,
            };
            Ok(Done((q.clone(), Found { claims, dev_browser, session_id })))
        })
        .await?;
    let state = match found.claims {
        Some((claims, client_updated_at_ms)) => AuthState::SignedIn { token: st.sign(claims).await?, client_updated_at_ms },
        None => AuthState::SignedOut,
    };
    // Both copies always, whatever `suffixed_cookies` says: it tells which copy the app's SDK
    // reads, and a copy left behind with an old value would later outvote the fresh one
    // (@clerk/backend's `usesSuffixedCookies` compares them). clerk-js writes both too.
    let suffix = Some(handshake::cookie_suffix(&st.publishable_key));
    let target = CookieTarget::new(&q.redirect, suffix);
    let mut directives = handshake::directives(&state, &target, found.dev_browser.as_deref(), production);
    if st.config.refresh_cookie
        && let Some(sid) = found.session_id.as_deref()
    {
        directives.extend(handshake::refresh_cookies(&handshake::refresh_token(&st.secret_key, sid), &target));
    }

    let now = st.now();
    let (name, value) = if q.nonce_format {
        (NONCE_PARAM, st.handshakes.put(directives, now))
    } else {
        let claims = json!({
            "handshake": directives,
            "iat": now / 1000,
            "exp": (now + NONCE_TTL_MS) / 1000,
            "jti": new_id("hs"),
        });
        (TOKEN_PARAM, st.sign(claims).await?)
    };
    let mut location = q.redirect.clone();
    let mut cookie = None;
    if production {
        // The app is on another host than the Frontend API in production; the payload goes in
        // a cookie the app's server reads (host-only here: clerk-server has no parent domain).
        let max_age = NONCE_TTL_MS / 1000;
        cookie = Some(format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"));
    } else {
        location.query_pairs_mut().append_pair(name, &value);
    }
    Ok(redirect(location.as_str(), cookie))
}

/// A 307 that is never cached (a cached handshake redirect would loop).
fn redirect(location: &str, cookie: Option<String>) -> Response {
    let mut resp = StatusCode::TEMPORARY_REDIRECT.into_response();
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.append(header::SET_COOKIE, c);
    }
    resp
}
