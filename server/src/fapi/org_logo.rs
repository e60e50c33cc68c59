//! Organization logos (`organization.setLogo({file})`): `PUT /v1/organizations/{id}/logo` with a
//! multipart `file` (a `File` or `Blob`) or a raw body (a string: clerk-js sends it as
//! `application/octet-stream`; a `data:` URL is decoded), `DELETE …/logo` (`setLogo({file:
//! null})`). Needs `org:sys_profile:manage`. The image is kept in the database and served by
//! clerk-server at `GET /v1/images/{id}` (`crate::images`, shared with profile images), which becomes the organization's `image_url`.

use axum::extract::{Path, RawQuery, Request, State};

use super::Fapi;
use super::organizations::{no_form, org_json, run};
use crate::AppState;
use crate::errors::ApiResult;
use crate::extract::Caller;
use crate::images;
use crate::store::StoredImage;
use crate::util::new_id;

/// `PUT /v1/organizations/{id}/logo`.
pub async fn put_logo(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    req: Request,
) -> ApiResult<Fapi> {
    let (bytes, _) = images::read_upload(req).await?;
    let content_type = images::kind(&bytes)?;
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, mut o) = c.in_org(tx, &id, Some("org:sys_profile:manage"))?;
        let image = StoredImage {
            id: new_id("img"),
            owner_id: o.id.clone(),
            content_type: content_type.to_owned(),
            bytes: bytes.clone(),
            created_at: c.now(),
        };
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
