//! Profile images: what an upload must be (an image, by its magic bytes, of a type browsers
//! show safely: PNG, JPEG, GIF or WebP; never SVG, which can carry scripts), and how big.

use crate::errors::{ApiError, ApiResult};

/// Clerk's limit on profile images.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The image's MIME type, from its first bytes (whatever the upload claimed).
pub fn kind(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.is_empty() {
        return Err(ApiError::missing_param("file"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(m @ ("image/png" | "image/jpeg" | "image/gif" | "image/webp")) => Ok(m),
        _ => Err(ApiError::unprocessable("form_param_format_invalid", "file must be a PNG, JPEG, GIF or WebP image")
            .long("The uploaded file is not an image of a supported type (PNG, JPEG, GIF, WebP), judged by its content.")
            .param("file")),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "image_too_large", "The image is too large")
        .long(format!("Profile images are limited to {} MiB.", MAX_BYTES / (1024 * 1024)))
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
        assert_eq!(kind(&[]).unwrap_err().code, "form_param_missing");
    }
}
