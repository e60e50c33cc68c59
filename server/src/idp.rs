//! The development identity provider: what `oauth_google` and `oauth_github` sign in with, so
//! that "Continue with Google" runs offline. It is a real OAuth 2.0 authorization-code provider
//! (RFC 6749 with PKCE, RFC 7636, S256 only) on the server's own origin:
//!
//! - `GET /oauth/dev/authorize`: checks the request and shows a consent page where a user is
//!   picked (development instances list the users) or typed; `POST` there is the decision.
//!   Allow redirects to `redirect_uri` with `code` and `state`; Cancel with
//!   `error=access_denied`, and "Fail" with `error=server_error` (a provider error, for tests).
//! - `POST /oauth/dev/token`: code + `code_verifier` → access token. Codes live 60 s and are
//!   good once; the verifier must hash to the challenge and `redirect_uri` must match.
//! - `GET /oauth/dev/userinfo`: the identity behind a bearer access token.
//!
//! The only client is the Frontend API itself (`CLIENT_ID`), whose one registered redirect URI
//! is its `/v1/oauth_callback`; anything else is refused without redirecting (an open
//! redirect otherwise). The callback exchanges its code through [`exchange`], the function the
//! token endpoint runs, in process rather than over HTTP to itself.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::errors::{ApiError, ApiResult, json_response};
use crate::extract::{Input, Params};
use crate::store::{Done, Grant, Tx};
use crate::util::{ct_eq, is_plausible_email, random_string, sha256_hex};

pub const CLIENT_ID: &str = "clerk-server-fapi";
const CODE_TTL_MS: i64 = 60 * 1000;
const TOKEN_TTL_MS: i64 = 10 * 60 * 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/dev/authorize", get(authorize_page).post(decide))
        .route("/oauth/dev/token", post(token))
        .route("/oauth/dev/userinfo", get(userinfo))
}

/// The redirect URI registered for the Frontend API.
pub fn callback_uri(st: &AppState) -> String {
    format!("{}/v1/oauth_callback", st.issuer)
}

/// base64url(SHA-256(verifier)), PKCE's S256 challenge.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Who signed in at the provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Identity {
    /// Stable per email address, as a provider's user id is.
    pub sub: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
    /// Shown on the page: which social strategy this stands in for.
    provider: Option<String>,
    // The decision form's fields.
    decision: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

fn invalid_request(message: &str) -> ApiError {
    ApiError::bad_request("oauth_invalid_request", message.to_owned())
}

/// What must hold before the provider shows anything or redirects anywhere.
fn check_request(st: &AppState, p: &AuthorizeParams) -> ApiResult<()> {
    if p.client_id.as_deref() != Some(CLIENT_ID) {
        return Err(invalid_request("Unknown client_id").param("client_id"));
    }
    if p.redirect_uri.as_deref() != Some(callback_uri(st).as_str()) {
        return Err(invalid_request("redirect_uri is not registered for this client").param("redirect_uri"));
    }
    if p.response_type.as_deref() != Some("code") {
        return Err(invalid_request("response_type must be code").param("response_type"));
    }
    if p.state.as_deref().is_none_or(str::is_empty) {
        return Err(invalid_request("state is required").param("state"));
    }
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Err(invalid_request("code_challenge_method must be S256").param("code_challenge_method"));
    }
    if p.code_challenge.as_deref().is_none_or(|c| c.len() != 43) {
        return Err(invalid_request("code_challenge must be a base64url SHA-256").param("code_challenge"));
    }
    Ok(())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn authorize_page(State(st): State<AppState>, Params(q): Params) -> ApiResult<Html<String>> {
    let p: AuthorizeParams = serde_json::from_value(json!(q)).map_err(|_| invalid_request("Bad parameters"))?;
    check_request(&st, &p)?;
    let dev = st.config.dev;
    let users: Vec<String> = st
        .db(move |_, tx| {
            if !dev {
                return Ok(Done(Vec::new()));
            }
            let (users, _) = tx.users(20, 0)?;
            let mut emails = Vec::new();
            for u in users {
                emails.extend(tx.emails_of(&u.id)?.into_iter().map(|e| e.email));
            }
            Ok(Done(emails))
        })
        .await?;
    let hidden: String = [
        ("response_type", &p.response_type),
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("state", &p.state),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("scope", &p.scope),
        ("provider", &p.provider),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| format!(r#"<input type="hidden" name="{k}" value="{}">"#, esc(v))))
    .collect();
    let picks: String = users
        .iter()
        .map(|e| format!(r#"<button name="email" value="{0}" data-email="{0}">Continue as {0}</button><br>"#, esc(e)))
        .collect();
    let provider = esc(p.provider.as_deref().unwrap_or("the development provider"));
    Ok(Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Development identity provider</title></head>
<body><h1>Sign in with {provider}</h1><p>clerk-server's development identity provider: pick or type the account.</p>
<form method="post" action="/oauth/dev/authorize">{hidden}<input type="hidden" name="decision" value="allow">{picks}</form>
<form method="post" action="/oauth/dev/authorize" id="typed">{hidden}<input type="hidden" name="decision" value="allow">
<input name="email" type="email" placeholder="email" required> <input name="first_name" placeholder="first name">
<input name="last_name" placeholder="last name"> <button id="allow">Allow</button></form>
<form method="post" action="/oauth/dev/authorize">{hidden}<button name="decision" value="deny" id="cancel">Cancel</button>
<button name="decision" value="error" id="fail">Fail (provider error)</button></form></body></html>"#
    )))
}

/// The user's decision: a code, or the error the provider answers with.
async fn decide(State(st): State<AppState>, Input(p): Input<AuthorizeParams>) -> ApiResult<Response> {
    check_request(&st, &p)?;
    let mut target = url::Url::parse(&callback_uri(&st)).map_err(|e| ApiError::internal(e.to_string()))?;
    let state = p.state.clone().unwrap_or_default();
    match p.decision.as_deref() {
        Some("deny") => {
            target
                .query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The user cancelled")
                .append_pair("state", &state);
        }
        Some("error") => {
            target
                .query_pairs_mut()
                .append_pair("error", "server_error")
                .append_pair("error_description", "The provider failed")
                .append_pair("state", &state);
        }
        Some("allow") => {
            let email = p.email.as_deref().map(str::trim).filter(|e| is_plausible_email(e)).ok_or_else(|| {
                ApiError::unprocessable("form_param_format_invalid", "email must be a valid email address.").param("email")
            })?;
            let identity = Identity {
                sub: format!("dev_{}", &sha256_hex(&email.to_lowercase())[..24]),
                email: email.to_owned(),
                first_name: p.first_name.clone().filter(|s| !s.trim().is_empty()),
                last_name: p.last_name.clone().filter(|s| !s.trim().is_empty()),
            };
            let code = random_string(40);
            let grant = Grant {
                key: format!("idp_code:{}", sha256_hex(&code)),
                data: json!({
                    "client_id": p.client_id, "redirect_uri": p.redirect_uri,
                    "code_challenge": p.code_challenge, "identity": identity,
                }),
                expires_at: st.now() + CODE_TTL_MS,
            };
            st.db(move |_, tx| Ok(Done(tx.put_grant(&grant)?))).await?;
            target.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
        }
        _ => return Err(ApiError::invalid_param("decision", "decision must be allow, deny or error")),
    }
    Ok(Redirect::to(target.as_str()).into_response())
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, PartialEq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: &'static str,
}

fn grant_error(description: &'static str) -> OAuthError {
    OAuthError { error: "invalid_grant", description }
}

/// The token endpoint's checks: the code exists, is unexpired and unused (it is consumed here,
/// whatever happens next), was issued to `client_id` for `redirect_uri`, and `verifier`
/// hashes to its challenge.
pub fn exchange(
    tx: &mut dyn Tx,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    verifier: &str,
    now: i64,
) -> ApiResult<Result<Identity, OAuthError>> {
    let key = format!("idp_code:{}", sha256_hex(code));
    let Some(grant) = tx.grant(&key)? else { return Ok(Err(grant_error("The code is unknown or was already used"))) };
    tx.delete_grant(&key)?;
    if grant.expires_at <= now {
        return Ok(Err(grant_error("The code has expired")));
    }
    let d = &grant.data;
    if d["client_id"] != client_id || d["redirect_uri"] != redirect_uri {
        return Ok(Err(grant_error("The code was issued to another client or redirect_uri")));
    }
    if !ct_eq(d["code_challenge"].as_str().unwrap_or_default(), &s256(verifier)) {
        return Ok(Err(grant_error("code_verifier does not match the code_challenge")));
    }
    serde_json::from_value(d["identity"].clone()).map(Ok).map_err(|e| ApiError::internal(e.to_string()))
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
}

fn oauth_error(status: StatusCode, e: &OAuthError) -> Response {
    json_response(status, &json!({"error": e.error, "error_description": e.description}))
}

async fn token(State(st): State<AppState>, Input(f): Input<TokenForm>) -> ApiResult<Response> {
    if f.grant_type.as_deref() != Some("authorization_code") {
        let e = OAuthError { error: "unsupported_grant_type", description: "Only authorization_code is supported" };
        return Ok(oauth_error(StatusCode::BAD_REQUEST, &e));
    }
    let now = st.now();
    let ttl = TOKEN_TTL_MS;
    st.db(move |_, tx| {
        let fields = (f.code.as_deref(), f.client_id.as_deref(), f.redirect_uri.as_deref(), f.code_verifier.as_deref());
        let (Some(code), Some(client_id), Some(redirect_uri), Some(verifier)) = fields else {
            let e = OAuthError { error: "invalid_request", description: "code, client_id, redirect_uri and code_verifier are required" };
            return Ok(Done(oauth_error(StatusCode::BAD_REQUEST, &e)));
        };
        let identity = match exchange(tx, code, client_id, redirect_uri, verifier, now)? {
            Ok(i) => i,
            Err(e) => return Ok(Done(oauth_error(StatusCode::BAD_REQUEST, &e))),
        };
        let access = random_string(40);
        tx.put_grant(&Grant { key: format!("idp_token:{}", sha256_hex(&access)), data: json!(identity), expires_at: now + ttl })?;
        let body = json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl / 1000, "scope": "openid email profile"});
        Ok(Done(json_response(StatusCode::OK, &body)))
    })
    .await
}

async fn userinfo(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned);
    let now = st.now();
    st.db(move |_, tx| {
        let found = match &bearer {
            Some(t) => tx.grant(&format!("idp_token:{}", sha256_hex(t)))?.filter(|g| g.expires_at > now),
            None => None,
        };
        let Some(g) = found else {
            let e = OAuthError { error: "invalid_token", description: "The access token is unknown or expired" };
            return Ok(Done(oauth_error(StatusCode::UNAUTHORIZED, &e)));
        };
        let i: Identity = serde_json::from_value(g.data).map_err(|e| ApiError::internal(e.to_string()))?;
        let body: Value = json!({
            "sub": i.sub, "email": i.email, "email_verified": true,
            "given_name": i.first_name, "family_name": i.last_name,
        });
        Ok(Done(json_response(StatusCode::OK, &body)))
    })
    .await
}
