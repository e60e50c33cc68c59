//! Uploaded images (profile images, organization logos), as clerk-js's `setProfileImage` and
//! `setLogo` send them: `multipart/form-data` with a `file` part (a `Blob` or `File`), or the
//! bytes themselves as `application/octet-stream` (a string `file`: a `data:` URL is decoded).
//! What an upload must be (an image, by its magic bytes, of a type browsers show safely: PNG,
//! JPEG, GIF or WebP; never SVG, which can carry scripts), how big, and how clerk-server serves
//! it back (`GET /v1/images/{id}`, public as Clerk's image URLs are). Read and checked before any
//! transaction starts.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::store::Done;

/// Clerk's limit on profile images and logos.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Request bodies on the upload routes may be this large (the image plus the multipart framing);
/// every other route keeps `extract::BODY_LIMIT`.
pub const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;

/// Whether `path` is an upload route (see `crate::app`'s body limits).
pub fn is_upload(path: &str) -> bool {
    path == "/v1/me/profile_image" || (path.starts_with("/v1/organizations/") && path.ends_with("/logo"))
}

fn unreadable(why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("malformed_request_body", "Malformed upload").long(format!("The upload could not be read: {why}"))
}

/// The uploaded bytes and the file's name.
pub async fn read_upload(req: Request) -> ApiResult<(Vec<u8>, Option<String>)> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &()).await.map_err(unreadable)?;
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            if field.name() == Some("file") {
                let name = field.file_name().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { unreadable(e) })?;
                return Ok((bytes.to_vec(), name));
            }
        }
        return Err(ApiError::missing_param("file"));
    }
    if content_type.starts_with("application/octet-stream") {
        let bytes = axum::body::to_bytes(req.into_body(), UPLOAD_LIMIT).await.map_err(|_| too_large())?;
        // clerk-js sends a string `file` as is: a data URL (`data:image/png;base64,…`) is decoded.
        if let Some(rest) = bytes.strip_prefix(b"data:") {
            let comma = rest.iter().position(|b| *b == b',').ok_or_else(|| unreadable("a data: URL without data"))?;
            let data = base64::engine::general_purpose::STANDARD.decode(&rest[comma + 1..]).map_err(unreadable)?;
            return Ok((data, None));
        }
        return Ok((bytes.to_vec(), None));
    }
    Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_content_type", "Upload the image as multipart/form-data")
        .long("Images are sent as multipart/form-data with a `file` part, or as application/octet-stream."))
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

/// The image's MIME type, from its first bytes (whatever the upload claimed).
pub fn kind(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.is_empty() {
        return Err(ApiError::missing_param("file"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    // The full signatures, not the `infer` crate: it takes any text starting with "GIF" for one.
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    match kind {
        Some(m) => Ok(m),
        None => Err(ApiError::unprocessable("form_param_format_invalid", "file must be a PNG, JPEG, GIF or WebP image")
            .long("The uploaded file is not an image of a supported type (PNG, JPEG, GIF, WebP), judged by its content.")
            .param("file")),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "image_too_large", "The image is too large")
        .long(format!("Images are limited to {} MiB.", MAX_BYTES / (1024 * 1024)))
        .param("file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_images_pass() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R'];
        assert_eq!(kind(&png).unwrap(), "image/png");
        assert_eq!(kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).unwrap(), "image/jpeg");
        assert_eq!(kind(b"GIF89a\x01\x00").unwrap(), "image/gif");
        assert_eq!(kind(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err().code, "form_param_format_invalid");
        assert_eq!(kind(b"hello").unwrap_err().code, "form_param_format_invalid");
        assert_eq!(kind(b"GIF-not-really, just text").unwrap_err().code, "form_param_format_invalid");
        assert_eq!(kind(&[]).unwrap_err().code, "form_param_missing");
    }
}
