//! Phone numbers on the Backend API: `POST /v1/phone_numbers` (Clerk's `createPhoneNumber`:
//! `user_id`, `phone_number`, `verified`, `primary`, `reserved_for_second_factor`) and the
//! `phone_number` list of `POST /v1/users`. Numbers are stored in E.164 (`crate::phone`).

use axum::extract::State;
use serde::Deserialize;

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::Input;
use crate::store::{Done, PhoneNumber, Tx};
use crate::util::{new_id, now_ms};

#[derive(Deserialize, Debug, Clone, Default)]
pub struct NewPhone {
    pub user_id: Option<String>,
    pub phone_number: Option<String>,
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub reserved_for_second_factor: Option<bool>,
}

/// Adds `number` to the user; it becomes the primary number when asked or when it is the first.
pub fn add_phone(
    tx: &mut dyn Tx,
    user_id: &str,
    number: &str,
    verified: bool,
    primary: bool,
    second_factor: bool,
) -> ApiResult<PhoneNumber> {
    let phone = crate::phone::normalize(number, "phone_number")?;
    if tx.phone(&phone)?.is_some() {
        return Err(
            ApiError::unprocessable("form_identifier_exists", "That phone number is taken. Please try another.").param("phone_number")
        );
    }
    let mut user = tx.user(user_id)?.ok_or_else(|| ApiError::not_found("user").param("user_id"))?;
    let now = now_ms();
    let p = PhoneNumber {
        id: new_id("idn"),
        user_id: user.id.clone(),
        phone,
        verified,
        reserved_for_second_factor: second_factor,
        created_at: now,
        verification: None,
        default_second_factor: false,
    };
    tx.put_phone(&p)?;
    if primary || user.primary_phone_number_id.is_none() {
        user.primary_phone_number_id = Some(p.id.clone());
        user.updated_at = now;
        tx.put_user(&user)?;
    }
    Ok(p)
}

pub async fn post_phone(State(st): State<AppState>, Input(body): Input<NewPhone>) -> ApiResult<Json> {
    let user_id = body.user_id.clone().filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param("user_id"))?;
    let number = body.phone_number.clone().ok_or_else(|| ApiError::missing_param("phone_number"))?;
    st.db(move |_, tx| {
        let reserved = body.reserved_for_second_factor.unwrap_or(false);
        let p = add_phone(tx, &user_id, &number, body.verified.unwrap_or(true), body.primary.unwrap_or(false), reserved)?;
        Ok(Done(Json(crate::phone::phone_json(&p, reserved))))
    })
    .await
}
