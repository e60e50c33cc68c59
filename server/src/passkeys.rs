//! Passkeys (WebAuthn), verified with webauthn-rs; nothing here parses attestation or assertion
//! data by hand. The relying party is the page's origin, as a browser sees it: its host is the RP
//! ID and the origin must be one this server allows (its own, `--allowed-origin`, or with
//! `--dev` a loopback page; note that browsers refuse IP addresses as RP IDs, so local pages use
//! `http://localhost:PORT`). Challenges travel to clerk-js as Clerk's do: the options JSON
//! (`publicKey`'s content, binary fields base64url) in the verification's `nonce`.

use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder,
};

use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::store::{StoredPasskey, User};

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("webauthn: {e}"))
}

/// The relying party for a request from `origin`.
fn relying_party(st: &AppState, origin: Option<&str>) -> ApiResult<Webauthn> {
    let refused = || {
        ApiError::unprocessable("passkey_invalid_origin", "Passkeys need a page on an allowed origin")
            .long("The request's Origin must be this instance's origin, an --allowed-origin, or (development) a loopback page.")
    };
    let origin = origin.filter(|o| crate::is_allowed_origin(st, o)).ok_or_else(refused)?;
    let url = Url::parse(origin).map_err(|_| refused())?;
    if !matches!(url.host(), Some(url::Host::Domain(_))) {
        return Err(ApiError::unprocessable("passkey_invalid_origin", "Passkeys need a page on a domain name, not an IP address").long(
            format!(
                "Browsers refuse IP addresses as WebAuthn relying party IDs: open the page at http://localhost:{} instead.",
                url.port_or_known_default().unwrap_or(80)
            ),
        ));
    }
    let host = url.host_str().ok_or_else(refused)?.to_owned();
    WebauthnBuilder::new(&host, &url).and_then(|b| b.rp_name("clerk-server").build()).map_err(|_| refused())
}

/// The WebAuthn user handle: 16 bytes derived from the user id, stable, revealing nothing else.
fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn credentials(user: &User) -> Vec<Passkey> {
    user.passkeys.iter().filter_map(|p| p.credential.clone()).filter_map(|c| serde_json::from_value(c).ok()).collect()
}

pub fn has_passkeys(user: &User) -> bool {
    user.passkeys.iter().any(|p| p.credential.is_some())
}

/// A refused credential: wrong challenge, origin, signature, or not the user's.
fn invalid(why: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable("passkey_invalid", "The passkey could not be verified")
        .long(format!("The passkey could not be verified: {why}."))
        .param("public_key_credential")
}

/// Starts a registration: the creation options (the `nonce`) and the state to keep.
pub fn start_registration(st: &AppState, origin: Option<&str>, user: &User, name: &str) -> ApiResult<(String, Value)> {
    let rp = relying_party(st, origin)?;
    let exclude: Vec<_> = credentials(user).iter().map(|c| c.cred_id().clone()).collect();
    let (ccr, state) = rp.start_passkey_registration(user_handle(&user.id), name, name, Some(exclude)).map_err(internal)?;
    Ok((serde_json::to_string(&ccr.public_key).map_err(internal)?, serde_json::to_value(state).map_err(internal)?))
}

/// Verifies the attestation against the kept state; the credential to store.
pub fn finish_registration(st: &AppState, origin: Option<&str>, state: &Value, credential: &str) -> ApiResult<Value> {
    let rp = relying_party(st, origin)?;
    let state: PasskeyRegistration = serde_json::from_value(state.clone()).map_err(internal)?;
    let reg: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(|e| invalid(format!("malformed credential ({e})")))?;
    let passkey = rp.finish_passkey_registration(&reg, &state).map_err(invalid)?;
    serde_json::to_value(passkey).map_err(internal)
}

/// Starts an authentication with the user's passkeys: the request options and the state.
pub fn start_authentication(st: &AppState, origin: Option<&str>, user: &User) -> ApiResult<(String, Value)> {
    let creds = credentials(user);
    if creds.is_empty() {
        return Err(ApiError::invalid_param("strategy", "This account has no passkey"));
    }
    let rp = relying_party(st, origin)?;
    let (rcr, state) = rp.start_passkey_authentication(&creds).map_err(internal)?;
    Ok((serde_json::to_string(&rcr.public_key).map_err(internal)?, serde_json::to_value(state).map_err(internal)?))
}

/// Verifies an assertion against the kept state. On success the used passkey's counter and
/// `last_used_at` are updated in `user` (the caller saves it). `Ok(false)` is a refused
/// credential that counts as a failed attempt.
pub fn finish_authentication(
    st: &AppState,
    origin: Option<&str>,
    state: &Value,
    credential: &str,
    user: &mut User,
    now: i64,
) -> ApiResult<bool> {
    let rp = relying_party(st, origin)?;
    let state: PasskeyAuthentication = serde_json::from_value(state.clone()).map_err(internal)?;
    let Ok(assertion) = serde_json::from_str::<PublicKeyCredential>(credential) else { return Ok(false) };
    let Ok(result) = rp.finish_passkey_authentication(&assertion, &state) else { return Ok(false) };
    for stored in user.passkeys.iter_mut() {
        let Some(mut passkey) = stored.credential.clone().and_then(|c| serde_json::from_value::<Passkey>(c).ok()) else { continue };
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            stored.credential = Some(serde_json::to_value(passkey).map_err(internal)?);
            stored.last_used_at = Some(now);
            stored.updated_at = now;
        }
    }
    Ok(true)
}

/// The `passkey` object of the Frontend API (clerk-js's `Passkey`).
pub fn passkey_json(p: &StoredPasskey, verification: Value) -> Value {
    serde_json::json!({
        "object": "passkey",
        "id": p.id,
        "name": p.name,
        "verification": verification,
        "last_used_at": p.last_used_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// The user's verified passkeys, as `user.passkeys` lists them.
pub fn user_passkeys_json(user: &User) -> Vec<Value> {
    user.passkeys
        .iter()
        .filter(|p| p.credential.is_some())
        .map(|p| passkey_json(p, serde_json::json!({"object": "verification", "status": "verified", "strategy": "passkey", "attempts": null, "expire_at": null})))
        .collect()
}
