//! The JS `Session` (and its `Token`): live views of a session of the client, by id.

use super::convert::{self, as_form_refs, form_from_js, get, json_to_js, optional_date, user_to_js};
use super::{Context, promise, rejected};
use crate::core::{self, AuthorizationParams, ClerkError, FactorLevel, GetTokenOptions, Reverification};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = Session)]
pub struct SessionJs {
    ctx: Rc<Context>,
    id: String,
    /// What the session was when this object was made: used once the client forgets it.
    snapshot: core::Session,
}

impl SessionJs {
    pub(crate) fn new(ctx: Rc<Context>, snapshot: core::Session) -> Self {
        SessionJs { ctx, id: snapshot.id.clone(), snapshot }
    }

    fn current(&self) -> core::Session {
        self.ctx.core.session_or_last_known(&self.id).unwrap_or_else(|| self.snapshot.clone())
    }

    /// `end`, `remove`, `touch`: resolve to the session as it is afterwards.
    fn lifecycle(&self, action: &'static str) -> js_sys::Promise {
        let (ctx, id) = (self.ctx.clone(), self.id.clone());
        promise(async move {
            let session = match action {
                "end" => ctx.core.session_end(&id).await?,
                "remove" => ctx.core.session_remove(&id).await?,
                _ => ctx.core.session_touch(&id).await?,
            };
            Ok(ctx.session_js(&session))
        })
    }

    /// Reverification steps; resolve to the `SessionVerification` object.
    fn verification(&self, step: Option<&'static str>, params: JsValue, default_strategy: Option<&str>) -> js_sys::Promise {
        let mut form = match form_from_js(&params) {
            Ok(form) => form,
            Err(e) => return rejected(e),
        };
        if let Some(strategy) = default_strategy
            && !form.iter().any(|(k, _)| k == "strategy") {
                form.push(("strategy".into(), strategy.into()));
            }
        let (ctx, id) = (self.ctx.clone(), self.id.clone());
        promise(async move {
            let verification = ctx.core.session_verification(&id, step, &as_form_refs(&form)).await?;
            Ok(json_to_js(&verification))
        })
    }
}

fn token_options(options: &JsValue) -> Result<GetTokenOptions, ClerkError> {
    let mut parsed = GetTokenOptions::default();
    if options.is_undefined() || options.is_null() {
        return Ok(parsed);
    }
    let template = get(options, "template");
    if !template.is_undefined() && !template.is_null() {
        parsed.template = Some(template.as_string().ok_or_else(|| ClerkError::invalid_argument("template must be a string"))?);
    }
    parsed.organization = convert::selection(&get(options, "organizationId"), "organizationId")?;
    let leeway = get(options, "leewayInSeconds");
    if !leeway.is_undefined() {
        let secs = leeway.as_f64().filter(|s| *s >= 0.0 && s.is_finite());
        parsed.leeway_secs = Some(secs.ok_or_else(|| ClerkError::invalid_argument("leewayInSeconds must be a non-negative number"))? as u32);
    }
    parsed.skip_cache = get(options, "skipCache").is_truthy();
    let throw = get(options, "throwOnError");
    parsed.throw_on_error = throw.is_undefined() || throw.is_truthy();
    Ok(parsed)
}

fn authorization_params(params: &JsValue) -> Result<AuthorizationParams, ClerkError> {
    let mut parsed = AuthorizationParams { role: convert::get_string(params, "role"), permission: convert::get_string(params, "permission"), reverification: None };
    let reverification = get(params, "reverification");
    if let Some(preset) = reverification.as_string() {
        parsed.reverification = Some(Reverification::preset(&preset).ok_or_else(|| {
            ClerkError::invalid_argument(["Unknown reverification preset \"", &preset, "\"; use strict_mfa, strict, moderate or lax"].concat())
        })?);
    } else if reverification.is_object() {
        let level = convert::get_string(&reverification, "level").as_deref().and_then(FactorLevel::parse);
        let after = get(&reverification, "afterMinutes").as_f64();
        match (level, after) {
            (Some(level), Some(after)) => parsed.reverification = Some(Reverification { level, after_minutes: after as i64 }),
            _ => {
                return Err(ClerkError::invalid_argument(
                    "reverification must be a preset or {level: 'first_factor' | 'second_factor' | 'multi_factor', afterMinutes: number}",
                ));
            }
        }
    }
    Ok(parsed)
}

#[wasm_bindgen(js_class = Session)]
impl SessionJs {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn object(&self) -> String {
        "session".into()
    }

    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        self.current().status
    }

    #[wasm_bindgen(getter = lastActiveAt)]
    pub fn last_active_at(&self) -> JsValue {
        optional_date(self.current().last_active_at)
    }

    #[wasm_bindgen(getter = abandonAt)]
    pub fn abandon_at(&self) -> JsValue {
        optional_date(self.current().abandon_at)
    }

    #[wasm_bindgen(getter = expireAt)]
    pub fn expire_at(&self) -> JsValue {
        optional_date(self.current().expire_at)
    }

    #[wasm_bindgen(getter = createdAt)]
    pub fn created_at(&self) -> JsValue {
        optional_date(self.current().created_at)
    }

    #[wasm_bindgen(getter = updatedAt)]
    pub fn updated_at(&self) -> JsValue {
        optional_date(self.current().updated_at)
    }

    #[wasm_bindgen(getter = lastActiveOrganizationId)]
    pub fn last_active_organization_id(&self) -> Option<String> {
        self.current().last_active_organization_id
    }

    #[wasm_bindgen(getter = lastActiveToken)]
    pub fn last_active_token(&self) -> Option<TokenJs> {
        let raw = self.current().last_active_token?.jwt?;
        Some(TokenJs { raw })
    }

    #[wasm_bindgen(getter = factorVerificationAge)]
    pub fn factor_verification_age(&self) -> JsValue {
        match self.current().factor_verification_age {
            Some([first, second]) => js_sys::Array::of2(&(first as f64).into(), &(second as f64).into()).into(),
            None => JsValue::NULL,
        }
    }

    #[wasm_bindgen(getter)]
    pub fn actor(&self) -> JsValue {
        self.current().actor.as_ref().map_or(JsValue::NULL, json_to_js)
    }

    #[wasm_bindgen(getter)]
    pub fn tasks(&self) -> JsValue {
        self.current().tasks.as_ref().map_or(JsValue::NULL, json_to_js)
    }

    #[wasm_bindgen(getter)]
    pub fn user(&self) -> JsValue {
        self.current().user.as_ref().map_or(JsValue::NULL, user_to_js)
    }

    #[wasm_bindgen(getter = publicUserData)]
    pub fn public_user_data(&self) -> JsValue {
        self.current().public_user_data.as_ref().map_or(JsValue::NULL, json_to_js)
    }

    pub fn end(&self) -> js_sys::Promise {
        self.lifecycle("end")
    }

    pub fn remove(&self) -> js_sys::Promise {
        self.lifecycle("remove")
    }

    pub fn touch(&self) -> js_sys::Promise {
        self.lifecycle("touch")
    }

    /// `getToken({template, organizationId, leewayInSeconds, skipCache, throwOnError})`.
    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self, options: JsValue) -> js_sys::Promise {
        let options = match token_options(&options) {
            Ok(o) => o,
            Err(e) => return rejected(e),
        };
        let (ctx, id) = (self.ctx.clone(), self.id.clone());
        promise(async move {
            let token = ctx.core.get_token(&id, &options).await?;
            Ok(token.map_or(JsValue::NULL, |t| JsValue::from_str(&t)))
        })
    }

    /// `checkAuthorization({role, permission, reverification})`.
    #[wasm_bindgen(js_name = checkAuthorization)]
    pub fn check_authorization(&self, params: JsValue) -> Result<bool, JsValue> {
        let params = authorization_params(&params).map_err(|e| convert::error_to_js(&e))?;
        Ok(self.ctx.core.check_authorization(&self.id, &params))
    }

    /// `startVerification({level})`.
    #[wasm_bindgen(js_name = startVerification)]
    pub fn start_verification(&self, params: JsValue) -> js_sys::Promise {
        self.verification(None, params, None)
    }

    #[wasm_bindgen(js_name = prepareFirstFactorVerification)]
    pub fn prepare_first_factor_verification(&self, params: JsValue) -> js_sys::Promise {
        self.verification(Some("prepare_first_factor"), params, None)
    }

    #[wasm_bindgen(js_name = attemptFirstFactorVerification)]
    pub fn attempt_first_factor_verification(&self, params: JsValue) -> js_sys::Promise {
        self.verification(Some("attempt_first_factor"), params, None)
    }

    #[wasm_bindgen(js_name = prepareSecondFactorVerification)]
    pub fn prepare_second_factor_verification(&self, params: JsValue) -> js_sys::Promise {
        self.verification(Some("prepare_second_factor"), params, Some("totp"))
    }

    #[wasm_bindgen(js_name = attemptSecondFactorVerification)]
    pub fn attempt_second_factor_verification(&self, params: JsValue) -> js_sys::Promise {
        self.verification(Some("attempt_second_factor"), params, Some("totp"))
    }

    /// Forgets this client's cached tokens.
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) {
        self.ctx.core.clear_cache();
    }
}

/// A session token as clerk-js's `TokenResource`: `getRawString()` and the decoded `jwt`.
#[wasm_bindgen(js_name = Token)]
pub struct TokenJs {
    raw: String,
}

#[wasm_bindgen(js_class = Token)]
impl TokenJs {
    #[wasm_bindgen(js_name = getRawString)]
    pub fn get_raw_string(&self) -> String {
        self.raw.clone()
    }

    /// `{claims}` decoded without verification (the browser cannot verify, and need not).
    #[wasm_bindgen(getter)]
    pub fn jwt(&self) -> JsValue {
        // The browser's JSON.parse: no JSON code of ours in the bundle for this.
        let claims = clerk_token::payload_json(&self.raw).ok().and_then(|json| js_sys::JSON::parse(&json).ok());
        let Some(claims) = claims.filter(JsValue::is_object) else { return JsValue::NULL };
        let object = js_sys::Object::new();
        convert::set(&object, "claims", &claims);
        object.into()
    }
}
