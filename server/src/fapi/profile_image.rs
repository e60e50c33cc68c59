//! Profile images, as clerk-js's `user.setProfileImage({file})` sends them: `multipart/form-data`
//! with a `file` part (a `Blob` or `File`), or the bytes themselves as
//! `application/octet-stream` (a string `file`: a `data:` URL is decoded). The upload must be a
//! PNG, JPEG, GIF or WebP image by its content and at most 10 MiB (`crate::images`); it is
//! read and checked before the transaction starts. clerk-server keeps the bytes and serves them
//! at `GET /v1/images/{id}`, the user's new `image_url` (`has_image` turns true).
//! `setProfileImage({file: null})` (`DELETE /v1/me/profile_image`) removes it.

use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use serde_json::json;

use super::Fapi;
use super::me::{save_user, with_me};
use crate::AppState;
use crate::account;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::images;
use crate::store::{Done, ProfileImage, StoredImage};
use crate::util::new_id;

/// `POST /v1/me/profile_image`: answers `{object: "image", id, name, public_url}`.
pub async fn upload(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery, req: Request) -> ApiResult<Fapi> {
    let (bytes, name) = images::read_upload(req).await?;
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
            owner_id: me.user.id.clone(),
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
