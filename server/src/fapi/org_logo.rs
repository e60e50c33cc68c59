//! Organization logos (`organization.setLogo({file})`): `PUT /v1/organizations/{id}/logo` with a
//! multipart `file` (a `File` or `Blob`) or a raw body (a string: clerk-js sends it as
//! `application/octet-stream`; a `data:` URL is decoded), `DELETE …/logo` (`setLogo({file:
//! null})`). Needs `org:sys_profile:manage`. The image is kept in the database and served by
//! clerk-server at `GET /v1/images/{id}`, which becomes the organization's `image_url`.

use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::Fapi;
use super::organizations::{no_form, org_json, run};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::store::Done;
use crate::store::orgs::Image;
use crate::util::new_id;

/// The largest logo: 10 MB, Clerk's limit (clerk-js: "File size exceeds the maximum limit of
/// 10MB"). Bodies of the logo route may be this large (`crate::app`).
pub const LOGO_LIMIT: usize = 10 * 1024 * 1024;

/// The image type from its first bytes: PNG, JPEG, GIF or WebP (what Clerk accepts for logos).
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn bad_file(message: &str) -> ApiError {
    ApiError::unprocessable("form_param_format_invalid", message.to_owned())
        .long("The logo must be a PNG, JPEG, GIF or WebP image of at most 10 MB.")
        .param("file")
}

/// The uploaded bytes: the multipart field `file`, or the whole body.
async fn upload(req: Request) -> ApiResult<Vec<u8>> {
    let multipart =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
    let too_large = || ApiError::body_too_large(LOGO_LIMIT);
    if !multipart {
        let bytes = axum::body::to_bytes(req.into_body(), LOGO_LIMIT).await.map_err(|_| too_large())?.to_vec();
        // clerk-js sends a string `file` as is; a data URL carries the image in base64.
        if let Some(rest) = bytes.strip_prefix(b"data:")
            && let Some(comma) = rest.iter().position(|b| *b == b',')
            && rest[..comma].ends_with(b";base64")
        {
            return base64::engine::general_purpose::STANDARD
                .decode(&rest[comma + 1..])
                .map_err(|_| bad_file("The data URL is not valid base64"));
        }
        return Ok(bytes);
    }
    let mut form = Multipart::from_request(req, &()).await.map_err(|e| bad_file(&format!("Malformed multipart body: {e}")))?;
    while let Some(field) = form.next_field().await.map_err(|e| bad_file(&format!("Malformed multipart body: {e}")))? {
        if field.name() == Some("file") {
            return Ok(field.bytes().await.map_err(|_| too_large())?.to_vec());
        }
    }
    Err(ApiError::missing_param("file"))
}

/// `PUT /v1/organizations/{id}/logo`.
pub async fn put_logo(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    req: Request,
) -> ApiResult<Fapi> {
    let bytes = upload(req).await?;
    if bytes.is_empty() {
        return Err(ApiError::missing_param("file"));
    }
    let content_type = image_type(&bytes).ok_or_else(|| bad_file("The file is not a PNG, JPEG, GIF or WebP image"))?;
    let image = Image { id: new_id("img"), content_type: content_type.to_owned(), bytes };
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, mut o) = c.in_org(tx, &id, Some("org:sys_profile:manage"))?;
        if let Some(old) = o.image_id.take() {
            tx.delete_image(&old)?;
        }
        tx.put_image(&image)?;
        o.image_url = Some(format!("{}/v1/images/{}", c.st.issuer, image.id));
        o.image_id = Some(image.id.clone());
        o.updated_at = c.now();
        tx.put_org(&o)?;
        org_json(tx, &o)
    })
    .await
}

/// `DELETE /v1/organizations/{id}/logo`.
pub async fn delete_logo(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, mut o) = c.in_org(tx, &id, Some("org:sys_profile:manage"))?;
        if let Some(old) = o.image_id.take() {
            tx.delete_image(&old)?;
        }
        o.image_url = None;
        o.updated_at = c.now();
        tx.put_org(&o)?;
        org_json(tx, &o)
    })
    .await
}

/// `GET /v1/images/{id}`: a logo, public like Clerk's image CDN (ids are unguessable), and
/// never changing (a new logo gets a new id).
pub async fn get_image(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let image = st.db(move |_, tx| Ok(Done(tx.image(&id)?))).await?.ok_or_else(|| ApiError::not_found("image"))?;
    let mut resp = image.bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&image.content_type).unwrap_or(HeaderValue::from_static("image/png")));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(resp)
}
