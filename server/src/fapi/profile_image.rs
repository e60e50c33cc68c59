//! Profile images, as clerk-js's `user.setProfileImage({file})` sends them: `multipart/form-data`
//! with a `file` part (a `Blob` or `File`), or the bytes themselves as
//! `application/octet-stream` (a string `file`: a `data:` URL is decoded). The upload must be a
//! PNG, JPEG, GIF or WebP image by its content and at most 10 MiB (`account::images`); it is
//! read and checked before the transaction starts. clerk-server keeps the bytes and serves them
//! at `GET /v1/images/{id}`, the user's new `image_url` (`has_image` turns true).
//! `setProfileImage({file: null})` (`DELETE /v1/me/profile_image`) removes it.

use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::Fapi;
use super::me::{save_user, with_me};
use crate::AppState;
use crate::account::{self, images};
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::store::{Done, ProfileImage, StoredImage};
use crate::util::new_id;

/// Request bodies on this route may be this large (the image plus the multipart framing); every
/// other route keeps `extract::BODY_LIMIT`.
pub const UPLOAD_LIMIT: usize = images::MAX_BYTES + 64 * 1024;

/// Whether `path` is the upload route (see `crate::app`'s body limits).
pub fn is_upload(path: &str) -> bool {
    path == "/v1/me/profile_image"
}

fn unreadable(why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("malformed_request_body", "Malformed upload").long(format!("The upload could not be read: {why}"))
}

/// The uploaded bytes and the file's name.
async fn read_upload(req: Request) -> ApiResult<(Vec<u8>, Option<String>)> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &()).await.map_err(unreadable)?;
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            if field.name() == Some("file") {
                let name = field.file_name().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { images::too_large() } else { unreadable(e) })?;
                return Ok((bytes.to_vec(), name));
            }
        }
        return Err(ApiError::missing_param("file"));
    }
    if content_type.starts_with("application/octet-stream") {
        let bytes = axum::body::to_bytes(req.into_body(), UPLOAD_LIMIT).await.map_err(|_| images::too_large())?;
        // clerk-js sends a string `file` as is: a data URL (`data:image/png;base64,…`) is decoded.
        if let Some(rest) = bytes.strip_prefix(b"data:") {
            let comma = rest.iter().position(|b| *b == b',').ok_or_else(|| unreadable("a data: URL without data"))?;
            let data = base64::engine::general_purpose::STANDARD.decode(&rest[comma + 1..]).map_err(unreadable)?;
            return Ok((data, None));
        }
        return Ok((bytes.to_vec(), None));
    }
    Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_content_type", "Upload the image as multipart/form-data")
        .long("Profile images are sent as multipart/form-data with a `file` part, or as application/octet-stream."))
}

/// `POST /v1/me/profile_image`: answers `{object: "image", id, name, public_url}`.
pub async fn upload(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery, req: Request) -> ApiResult<Fapi> {
    let (bytes, name) = read_upload(req).await?;
    let content_type = images::kind(&bytes)?;
    let id = new_id("img");
    let url = format!("{}/v1/images/{id}", st.issuer);
    with_me(st, caller, q, move |_, tx, _, me| {
        let now = me.caller.now;
        if let Some(old) = me.user.profile.image.take() {
            tx.delete_image(&old.id)?;
        }
        let image = StoredImage {
            id: id.clone(),
            user_id: me.user.id.clone(),
            content_type: content_type.to_owned(),
            bytes: bytes.clone(),
            created_at: now,
        };
        tx.put_image(&image)?;
        me.user.profile.image = Some(ProfileImage { id: id.clone(), url: url.clone() });
        save_user(tx, &mut me.user, now)?;
        Ok(Done(json!({"object": "image", "id": id, "name": name.clone().unwrap_or_else(|| "profile_image".into()), "public_url": url})))
    })
    .await
}

/// `DELETE /v1/me/profile_image`.
pub async fn remove(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, |_, tx, _, me| {
        let old = me
            .user
            .profile
            .image
            .take()
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "image_not_found", "This user has no profile image"))?;
        tx.delete_image(&old.id)?;
        save_user(tx, &mut me.user, me.caller.now)?;
        Ok(Done(account::deleted("image", &old.id)))
    })
    .await
}

/// `GET /v1/images/{id}`: public, as Clerk's image URLs are (an `<img>` sends no credentials).
/// Each upload has a new id, so an image never changes and may be cached for good.
pub async fn serve(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let image = st.db(move |_, tx| Ok(Done(tx.image(&id)?))).await?.ok_or_else(|| ApiError::not_found("image"))?;
    let mut resp = (StatusCode::OK, image.bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&image.content_type).map_err(|e| ApiError::internal(e.to_string()))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}
