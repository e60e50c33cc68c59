//! The page cookies clerk-js keeps for the app's own server, which reads them with
//! `@clerk/backend` (`authenticateRequest`, and so every server SDK): the same names, suffixed
//! copies, attributes and moments, so an app server sees the user whichever library the page
//! runs. What clerk-js writes is in docs/dropin.md (b); in short:
//! - `__session` (+ `_<suffix>`): the active session's newest token, `SameSite=Lax`; removed
//!   when no session is active.
//! - `clerk_active_context`: `<session id>:<organization id>`, a browser-session cookie.
//! - `__client_uat` (+ `_<suffix>`): the client's `updated_at` in seconds while a session is
//!   signed in, else `0`; `SameSite=Strict` on the page's registrable domain. Development
//!   instances only, and only off the Frontend API's own host (there the API sets it).
//! - `__clerk_db_jwt` (+ `_<suffix>`): the dev-browser token, in dev-browser mode.
//!
//! The suffix is `base64url(SHA-1(publishable key))[..8]` (`getCookieSuffix` in @clerk/shared),
//! which lets two instances on one site keep their cookies apart.

use super::clerk::Clerk;
use clerk_token::InstanceType;
use std::cell::RefCell;

/// The page's `document.cookie`, and where the page is.
pub trait CookieJar {
    /// `document.cookie = assignment` (one cookie with its attributes).
    fn write(&self, assignment: &str);
    /// The value of the cookie `name` the page sees, if any.
    fn read(&self, name: &str) -> Option<String>;
    /// `location.host` (with port), `location.hostname`, and whether the page is https.
    /// `None` where there is no page: nothing is written.
    fn page(&self) -> Option<PageLocation>;
}

pub struct PageLocation {
    pub host: String,
    pub hostname: String,
    pub https: bool,
    /// Whether `Secure` may be set over http too: a secure context (such as http://localhost)
    /// outside Safari, which refuses it there (clerk-js's `getSecureAttribute('None')`).
    pub secure_context: bool,
}

/// For hosts without a page (and engine tests that do not look at cookies).
pub struct NoCookies;

impl CookieJar for NoCookies {
    fn write(&self, _assignment: &str) {}
    fn read(&self, _name: &str) -> Option<String> {
        None
    }
    fn page(&self) -> Option<PageLocation> {
        None
    }
}

/// js-cookie's default of clerk-js: one year.
const YEAR_SECS: &str = "31536000";

/// What was written last, so a change writes once and an unchanged state writes nothing.
#[derive(Default)]
pub(super) struct Written {
    session: Option<String>,
    context: Option<String>,
    client_uat: Option<String>,
    dev_browser: Option<String>,
    /// The page's registrable domain, found once (the probe writes cookies).
    domain: Option<String>,
}

pub(super) struct PageCookies {
    pub(super) jar: std::rc::Rc<dyn CookieJar>,
    suffix: String,
    written: RefCell<Written>,
}

impl PageCookies {
    pub(super) fn new(jar: std::rc::Rc<dyn CookieJar>, publishable_key: &str) -> PageCookies {
        PageCookies { jar, suffix: cookie_suffix(publishable_key), written: RefCell::default() }
    }

    /// Sets (`Some`) or removes (`None`) `name` and its suffixed copy.
    fn put(&self, name: &str, value: Option<&str>, attributes: &str, both: bool) {
        let suffixed = [name, "_", &self.suffix].concat();
        let names: &[&str] = if both { &[&suffixed, name] } else { &[name] };
        for n in names {
            let assignment = match value {
                Some(v) => [n, "=", v, "; Path=/", attributes].concat(),
                None => [n, "=; Path=/; Max-Age=0", attributes].concat(),
            };
            self.jar.write(&assignment);
        }
    }

    /// `__session`: the token, or removed.
    pub(super) fn session(&self, page: &PageLocation, token: Option<&str>) {
        if self.written.borrow().session.as_deref() == Some(token.unwrap_or("")) {
            return;
        }
        self.written.borrow_mut().session = Some(token.unwrap_or("").to_owned());
        let max_age = if token.is_some() { "; Max-Age=31536000" } else { "" };
        let attributes = [max_age, lax(page)].concat();
        self.put("__session", token, &attributes, true);
    }

    /// `clerk_active_context`: `sid:org`, or removed when both are empty.
    pub(super) fn context(&self, page: &PageLocation, session_id: &str, organization_id: &str) {
        let value = [session_id, ":", organization_id].concat();
        if self.written.borrow().context.as_deref() == Some(&value) {
            return;
        }
        let secure = if page.https || page.secure_context { "; Secure" } else { "" };
        self.put("clerk_active_context", (value != ":").then_some(&value), secure, false);
        self.written.borrow_mut().context = Some(value);
    }

    /// `__client_uat` on the registrable domain; the host-only copies are removed first, as
    /// clerk-js does, so the server never sees two.
    pub(super) fn client_uat(&self, page: &PageLocation, seconds: &str) {
        if self.written.borrow().client_uat.as_deref() == Some(seconds) {
            return;
        }
        let domain = self.domain(page);
        let secure = if page.https { "; Secure" } else { "" };
        self.put("__client_uat", None, "", true);
        self.put(
            "__client_uat",
            Some(seconds),
            &["; Domain=", &domain, "; Max-Age=", YEAR_SECS, "; SameSite=Strict", secure].concat(),
            true,
        );
        self.written.borrow_mut().client_uat = Some(seconds.to_owned());
    }

    /// `__clerk_db_jwt`: the dev-browser token.
    pub(super) fn dev_browser(&self, page: &PageLocation, token: &str) {
        if self.written.borrow().dev_browser.as_deref() == Some(token) {
            return;
        }
        self.put("__clerk_db_jwt", Some(token), &["; Max-Age=", YEAR_SECS, lax(page)].concat(), true);
        self.written.borrow_mut().dev_browser = Some(token.to_owned());
    }

    /// The page's eTLD+1, as clerk-js's `getCookieDomain` finds it: loopback and single-label
    /// hosts are their own domain; otherwise the shortest suffix a cookie can be set on.
    fn domain(&self, page: &PageLocation) -> String {
        if let Some(domain) = &self.written.borrow().domain {
            return domain.clone();
        }
        let host = page.hostname.as_str();
        let labels: Vec<usize> = host.match_indices('.').map(|(i, _)| i + 1).collect();
        let mut found = host.to_owned();
        if !matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0") && !labels.is_empty() {
            // From "example.com" to "a.b.example.com": the first that takes the probe.
            for &start in labels.iter().rev().skip(1).chain([&0]) {
                let candidate = &host[start..];
                self.jar.write(&["__clerk_test_etld=1; Path=/; Domain=", candidate].concat());
                let taken = self.jar.read("__clerk_test_etld").as_deref() == Some("1");
                self.jar.write(&["__clerk_test_etld=; Path=/; Max-Age=0; Domain=", candidate].concat());
                if taken {
                    found = candidate.to_owned();
                    break;
                }
            }
        }
        self.written.borrow_mut().domain = Some(found.clone());
        found
    }
}

fn lax(page: &PageLocation) -> &'static str {
    if page.https { "; SameSite=Lax; Secure" } else { "; SameSite=Lax" }
}

/// `base64url(SHA-1(key))`, first 8 characters (the encoding of the digest's first 6 bytes).
pub fn cookie_suffix(publishable_key: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digest = sha1(publishable_key.as_bytes());
    let mut out = String::with_capacity(8);
    for chunk in digest[..6].chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
        }
    }
    out
}

/// SHA-1, written as the plain loop of FIPS 180-4: it only names cookies (no secret depends on
/// it), and sha1_smol's unrolled rounds cost 5 KB of wasm (2 KB gzip) against ~0.4 KB here.
/// Checked against known digests in the tests below and against clerk-server's suffix.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut data = message.to_vec();
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&((message.len() as u64) * 8).to_be_bytes());
    for block in data.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..80 {
            w[i] = if i < 16 {
                u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]])
            } else {
                (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1)
            };
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*word);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

impl Clerk {
    /// Brings the page's cookies in line with the state: called after every change and every
    /// token handed out for the active session, which is when clerk-js writes them
    /// (`TokenUpdate`, sign-out). Mid-`setActive` nothing moves until the new session is set.
    pub(crate) fn sync_cookies(&self) {
        let cookies = &self.0.cookies;
        let Some(page) = cookies.jar.page() else { return };
        let (active, client_uat) = {
            let state = self.0.state.borrow();
            if !state.loaded || state.transitioning {
                return;
            }
            let client = state.client.as_deref();
            let active = state
                .active_session_id
                .as_deref()
                .and_then(|id| client?.signed_in_session(id))
                .map(|s| (s.id.clone(), s.last_active_organization_id.clone().unwrap_or_default()));
            let signed_in = client.is_some_and(|c| c.signed_in_sessions().next().is_some());
            let uat = client.and_then(|c| c.updated_at).filter(|_| signed_in).map_or(0, |ms| ms / 1000);
            (active, super::text::decimal(uat.max(0) as u64))
        };
        match &active {
            Some((session_id, organization_id)) => {
                let Some(key) = self.active_token_key() else { return };
                match self.0.tokens.latest(&key) {
                    Some(token) if token.expires_at_ms > self.now_ms() => {
                        cookies.session(&page, Some(&token.jwt));
                        cookies.context(&page, session_id, organization_id);
                    }
                    // No token yet (the server's session had none): the cookie follows the first
                    // getToken() or refresh, which come back here through `token_arrived`.
                    _ => {}
                }
            }
            None => {
                cookies.session(&page, None);
                cookies.context(&page, "", "");
            }
        }
        let frontend_api = self.frontend_api();
        let fapi_host = frontend_api.strip_prefix("clerk.").unwrap_or(frontend_api);
        if self.instance_type() == InstanceType::Development && !page.host.ends_with(fapi_host) {
            cookies.client_uat(&page, &client_uat);
        }
        if let Some(token) = self.dev_browser_token() {
            cookies.dev_browser(&page, &token);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha1_matches_known_digests() {
        let hex = |d: [u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(super::sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(super::sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(super::sha1(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        assert_eq!(hex(super::sha1(&[b'a'; 1000])), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }
}
