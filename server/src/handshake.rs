//! The handshake (docs/dropin.md (c)): when an app's server, through `@clerk/backend`, cannot
//! trust the session cookies it holds (an expired `__session` while `__client_uat` says signed
//! in, no dev-browser token, …), it sends the browser to the Frontend API's
//! `/v1/client/handshake`. The Frontend API answers with the cookies the app should hold, as
//! `Set-Cookie` **directives**, and sends the browser back.
//!
//! This module is the pure part: which directives, the cookie-name suffix, and the short-lived
//! store of directives waiting behind a nonce (`format=nonce`, which `@clerk/backend` 3.x asks
//! for; it fetches them from the Backend API's `GET /v1/clients/handshake_payload`).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::util::random_string;

/// How long directives wait behind a nonce. The app's server fetches them on the very next
/// request, so a few minutes is generous.
pub const NONCE_TTL_MS: i64 = 5 * 60 * 1000;
/// The cookies clerk-js writes live a year (`addYears(Date.now(), 1)`); so do these.
const YEAR_SECS: i64 = 365 * 24 * 3600;

pub const SESSION_COOKIE: &str = "__session";
pub const CLIENT_UAT_COOKIE: &str = "__client_uat";
pub const DEV_BROWSER_COOKIE: &str = "__clerk_db_jwt";
/// What `@clerk/backend` sends to `POST /v1/sessions/{id}/refresh` instead of running a
/// handshake, when a GET's `__session` has expired (see `bapi::refresh`).
pub const REFRESH_COOKIE: &str = "__refresh";
/// Query parameter (development) or cookie (production) that carries the nonce back to the app.
pub const NONCE_PARAM: &str = "__clerk_handshake_nonce";
/// Query parameter (development) or cookie (production) that carries a handshake token
/// (`format=token`, older SDKs).
pub const TOKEN_PARAM: &str = "__clerk_handshake";

/// Clerk's cookie-name suffix: the first 8 characters of base64url(SHA-1(publishable key)), as
/// `@clerk/shared`'s `getCookieSuffix` computes it (keys.ts, `getCookieSuffix`). Both clerk-js
/// and `@clerk/backend` derive it from the key, so it must match exactly.
pub fn cookie_suffix(publishable_key: &str) -> String {
    let digest = Sha1::digest(publishable_key.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    b64.replace('+', "-").replace('/', "_").chars().take(8).collect()
}

/// What the app's cookies should say after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// A fresh token for the client's active session, and the client's `updated_at` (ms).
    SignedIn {
        token: String,
        client_updated_at_ms: i64,
    },
    SignedOut,
}

/// Where the directives will be applied: the app's page, from the handshake's `redirect_url`.
#[derive(Debug, Clone)]
pub struct CookieTarget {
    /// `Secure` on https pages, as clerk-js's `getSecureAttribute` does.
    pub secure: bool,
    /// clerk-js scopes `__client_uat` to the page's eTLD+1; for `localhost`, `127.0.0.1` and
    /// `0.0.0.0` that is the host itself (`getCookieDomain`). Other hosts get a host-only
    /// cookie here (clerk-server has no public-suffix list).
    pub uat_domain: Option<String>,
    /// Also write the `_<suffix>` copies (Clerk's cookie suffix of the publishable key).
    pub suffix: Option<String>,
}

impl CookieTarget {
    pub fn new(redirect: &url::Url, suffix: Option<String>) -> Self {
        let host = redirect.host_str().unwrap_or_default();
        let local = ["localhost", "127.0.0.1", "0.0.0.0"].contains(&host);
        CookieTarget { secure: redirect.scheme() == "https", uat_domain: local.then(|| host.to_owned()), suffix }
    }

    /// `name=value` plus its suffixed copy, each with `attrs`.
    fn both(&self, name: &str, value: &str, attrs: &str) -> Vec<String> {
        let secure = if self.secure { "; Secure" } else { "" };
        let mut names = vec![name.to_owned()];
        if let Some(s) = &self.suffix {
            names.insert(0, format!("{name}_{s}"));
        }
        names.into_iter().map(|n| format!("{n}={value}; {attrs}{secure}")).collect()
    }
}

/// The `Set-Cookie` directives for the app's page, matching what clerk-js itself writes
/// (docs/dropin.md (b)): `__session` (SameSite=Lax), `__client_uat` (epoch seconds, `0` when
/// signed out; SameSite=Strict on development instances as clerk-js writes it, Lax on production
/// ones as Clerk's Frontend API does), and on development instances `__clerk_db_jwt`.
pub fn directives(state: &AuthState, target: &CookieTarget, dev_browser: Option<&str>, production: bool) -> Vec<String> {
    let keep = format!("Path=/; Max-Age={YEAR_SECS}");
    let mut out = Vec::new();
    let uat = match state {
        AuthState::SignedIn { token, client_updated_at_ms } => {
            out.extend(target.both(SESSION_COOKIE, token, &format!("{keep}; SameSite=Lax")));
            (client_updated_at_ms / 1000).to_string()
        }
        AuthState::SignedOut => {
            out.extend(target.both(SESSION_COOKIE, "", "Path=/; Max-Age=0; SameSite=Lax"));
            "0".to_owned()
        }
    };
    out.extend(client_uat_cookies(&uat, target, production));
    if let Some(db) = dev_browser {
        out.extend(target.both(DEV_BROWSER_COOKIE, db, &format!("{keep}; SameSite=Lax")));
    }
    if production {
        // In production the nonce or token came as a cookie; once applied it must go, or the
        // app would try to resolve the same handshake on every request.
        for name in [NONCE_PARAM, TOKEN_PARAM] {
            out.push(format!("{name}=; Path=/; Max-Age=0"));
        }
    }
    out
}

/// `__client_uat` (and its suffixed copy) set to `value`: on development instances clerk-js
/// writes it with SameSite=Strict; on production ones Clerk's Frontend API sets it, Lax.
pub fn client_uat_cookies(value: &str, target: &CookieTarget, production: bool) -> Vec<String> {
    let same_site = if production { "Lax" } else { "Strict" };
    let domain = target.uat_domain.as_ref().map(|d| format!("; Domain={d}")).unwrap_or_default();
    target.both(CLIENT_UAT_COOKIE, value, &format!("Path=/; Max-Age={YEAR_SECS}{domain}; SameSite={same_site}"))
}

/// The refresh token of a session: derived from the instance's secret key and the session id,
/// so that nothing is stored and it cannot be guessed; good while the session is signed in.
pub fn refresh_token(secret_key: &str, session_id: &str) -> String {
    let digest = sha2::Sha256::digest(["clerk-server refresh token\0", secret_key, "\0", session_id].concat().as_bytes());
    ["rt_", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)].concat()
}

/// The `__refresh` directives (HttpOnly: only the app's server reads it) for a signed-in handshake.
pub fn refresh_cookies(token: &str, target: &CookieTarget) -> Vec<String> {
    target.both(REFRESH_COOKIE, token, &format!("Path=/; Max-Age={YEAR_SECS}; HttpOnly; SameSite=Lax"))
}

/// Directives waiting for the app's server to fetch them by nonce. In memory: a nonce lives
/// for minutes and a restart only makes the app run the handshake again.
#[derive(Default)]
pub struct Nonces {
    pending: Mutex<HashMap<String, (Vec<String>, i64)>>,
}

impl Nonces {
    /// Stores `directives` and returns their new nonce. Expired entries are dropped here, so
    /// the map only holds what is recent.
    pub fn put(&self, directives: Vec<String>, now: i64) -> String {
        let nonce = random_string(40);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, expires_at)| *expires_at > now);
        pending.insert(nonce.clone(), (directives, now + NONCE_TTL_MS));
        nonce
    }

    /// The directives behind `nonce`, once: they carry a session token, so a nonce is not a
    /// reusable credential.
    pub fn take(&self, nonce: &str, now: i64) -> Option<Vec<String>> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match pending.remove(nonce) {
            Some((d, expires_at)) if expires_at > now => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_matches_clerk_shared() {
        // Computed with @clerk/shared 4.41's getCookieSuffix (node, WebCrypto SHA-1).
        assert_eq!(cookie_suffix("pk_test_Y2xlcmsuc3R1Yi5hY2NvdW50cy5kZXYk"), SUFFIX_OF_STUB_KEY);
    }

    const SUFFIX_OF_STUB_KEY: &str = "0za8OAKi";

    #[test]
    fn signed_out_clears_the_session_and_zeroes_client_uat() {
        let url = url::Url::parse("http://127.0.0.1:3000/app?x=1").unwrap();
        let t = CookieTarget::new(&url, Some("abc".into()));
        let d = directives(&AuthState::SignedOut, &t, Some("dvb_1"), false);
        assert_eq!(
            d,
            [
                "__session_abc=; Path=/; Max-Age=0; SameSite=Lax",
                "__session=; Path=/; Max-Age=0; SameSite=Lax",
                "__client_uat_abc=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Strict",
                "__client_uat=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Strict",
                "__clerk_db_jwt_abc=dvb_1; Path=/; Max-Age=31536000; SameSite=Lax",
                "__clerk_db_jwt=dvb_1; Path=/; Max-Age=31536000; SameSite=Lax",
            ]
        );
    }

    #[test]
    fn production_signed_in_on_https() {
        let url = url::Url::parse("https://app.example.com/").unwrap();
        let t = CookieTarget::new(&url, None);
        let s = AuthState::SignedIn { token: "a.b.c".into(), client_updated_at_ms: 1_700_000_000_999 };
        let d = directives(&s, &t, None, true);
        assert_eq!(
            d,
            [
                "__session=a.b.c; Path=/; Max-Age=31536000; SameSite=Lax; Secure",
                "__client_uat=1700000000; Path=/; Max-Age=31536000; SameSite=Lax; Secure",
                "__clerk_handshake_nonce=; Path=/; Max-Age=0",
                "__clerk_handshake=; Path=/; Max-Age=0",
            ]
        );
    }

    #[test]
    fn a_nonce_is_used_once_and_expires() {
        let n = Nonces::default();
        let a = n.put(vec!["x=1".into()], 0);
        assert_eq!(n.take(&a, 1), Some(vec!["x=1".to_owned()]));
        assert_eq!(n.take(&a, 1), None);
        let b = n.put(vec!["y=1".into()], 0);
        assert_eq!(n.take(&b, NONCE_TTL_MS), None);
        assert_eq!(n.take("unknown", 0), None);
    }
}
