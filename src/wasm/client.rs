//! The JS `Client`, `SignIn` and `SignUp`: live views of the current client.

use super::convert::{as_form_refs, error_to_js, form_from_js, get, json_to_js, optional_date};
use super::{Context, promise, rejected};
use crate::core::{self, ClerkError, Json, Verb};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = Client)]
pub struct ClientJs {
    ctx: Rc<Context>,
}

impl ClientJs {
    pub(crate) fn new(ctx: Rc<Context>) -> Self {
        ClientJs { ctx }
    }

    fn current(&self) -> Rc<core::Client> {
        self.ctx.core.client().unwrap_or_default()
    }

    fn sessions_where(&self, keep: impl Fn(&core::Session) -> bool) -> js_sys::Array {
        self.current().sessions.iter().filter(|s| keep(s)).map(|s| self.ctx.session_js(s)).collect()
    }

    fn run(&self, operation: &'static str) -> js_sys::Promise {
        let ctx = self.ctx.clone();
        promise(async move {
            match operation {
                "create" => ctx.core.client_create().await?,
                "destroy" => ctx.core.client_destroy().await?,
                "reload" => ctx.core.client_reload().await?,
                _ => ctx.core.client_remove_sessions().await?,
            }
            Ok(if operation == "destroy" { JsValue::UNDEFINED } else { ctx.client_js() })
        })
    }
}

#[wasm_bindgen(js_class = Client)]
impl ClientJs {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.current().id.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn object(&self) -> String {
        "client".into()
    }

    #[wasm_bindgen(getter)]
    pub fn sessions(&self) -> js_sys::Array {
        self.sessions_where(|_| true)
    }

    /// Active and pending sessions.
    #[wasm_bindgen(getter = signedInSessions)]
    pub fn signed_in_sessions(&self) -> js_sys::Array {
        self.sessions_where(core::Session::is_signed_in)
    }

    /// Deprecated in clerk-js in favour of `signedInSessions`.
    #[wasm_bindgen(getter = activeSessions)]
    pub fn active_sessions(&self) -> js_sys::Array {
        self.sessions_where(|s| s.status == "active")
    }

    #[wasm_bindgen(getter = lastActiveSessionId)]
    pub fn last_active_session_id(&self) -> Option<String> {
        self.current().last_active_session_id.clone()
    }

    #[wasm_bindgen(getter = lastAuthenticationStrategy)]
    pub fn last_authentication_strategy(&self) -> Option<String> {
        self.current().last_authentication_strategy.clone()
    }

    #[wasm_bindgen(getter = signIn)]
    pub fn sign_in(&self) -> SignInJs {
        SignInJs { ctx: self.ctx.clone(), answer: None }
    }

    #[wasm_bindgen(getter = signUp)]
    pub fn sign_up(&self) -> SignUpJs {
        SignUpJs { ctx: self.ctx.clone(), answer: None }
    }

    #[wasm_bindgen(getter = cookieExpiresAt)]
    pub fn cookie_expires_at(&self) -> JsValue {
        optional_date(self.current().cookie_expires_at)
    }

    #[wasm_bindgen(getter = createdAt)]
    pub fn created_at(&self) -> JsValue {
        optional_date(self.current().created_at)
    }

    #[wasm_bindgen(getter = updatedAt)]
    pub fn updated_at(&self) -> JsValue {
        optional_date(self.current().updated_at)
    }

    pub fn create(&self) -> js_sys::Promise {
        self.run("create")
    }

    pub fn destroy(&self) -> js_sys::Promise {
        self.run("destroy")
    }

    pub fn reload(&self) -> js_sys::Promise {
        self.run("reload")
    }

    /// clerk-js's older name for `reload`.
    pub fn fetch(&self) -> js_sys::Promise {
        self.run("reload")
    }

    #[wasm_bindgen(js_name = removeSessions)]
    pub fn remove_sessions(&self) -> js_sys::Promise {
        self.run("removeSessions")
    }

    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) {
        self.ctx.core.clear_cache();
    }

    #[wasm_bindgen(js_name = isEligibleForTouch)]
    pub fn is_eligible_for_touch(&self) -> bool {
        self.ctx.core.client_is_eligible_for_touch()
    }

    #[wasm_bindgen(js_name = isNew)]
    pub fn is_new(&self) -> bool {
        self.ctx.core.client_is_new()
    }

    /// `buildTouchUrl({redirectUrl})`, `redirectUrl` a `URL` or a string.
    #[wasm_bindgen(js_name = buildTouchUrl)]
    pub fn build_touch_url(&self, params: JsValue) -> Result<String, JsValue> {
        let redirect = get(&params, "redirectUrl");
        let redirect = redirect.as_string().or_else(|| {
            let href = get(&redirect, "href");
            href.as_string()
        });
        let redirect = redirect.ok_or_else(|| error_to_js(&ClerkError::invalid_argument("buildTouchUrl needs {redirectUrl: URL | string}")))?;
        Ok(self.ctx.core.build_touch_url(&redirect))
    }

    #[wasm_bindgen(js_name = resetSignIn)]
    pub fn reset_sign_in(&self) {
        self.ctx.core.reset_sign_in();
    }

    #[wasm_bindgen(js_name = resetSignUp)]
    pub fn reset_sign_up(&self) {
        self.ctx.core.reset_sign_up();
    }
}

fn field(resource: Option<&Json>, key: &str) -> JsValue {
    resource.and_then(|r| r.get(key)).map_or(JsValue::NULL, json_to_js)
}

/// Declares getters that read one field of the current sign-in / sign-up.
macro_rules! fields {
    ($ty:ident, $class:literal, $($name:ident => $js:literal, $wire:literal;)*) => {
        #[wasm_bindgen(js_class = $class)]
        impl $ty {
            $(
                #[wasm_bindgen(getter = $js)]
                pub fn $name(&self) -> JsValue {
                    field(self.current().as_ref(), $wire)
                }
            )*
        }
    };
}

/// The attempt as it is now: the client's own while it is the same attempt, else the answer
/// of the call that returned this object (the server drops a completed attempt from the client).
fn attempt(live: Option<&Json>, answer: Option<&Json>) -> Option<Json> {
    let id = |j: &Json| j.get("id").and_then(Json::as_str).map(str::to_owned);
    match (live, answer) {
        (Some(live), Some(answer)) if id(live) == id(answer) => Some(live.clone()),
        (_, Some(answer)) => Some(answer.clone()),
        (live, None) => live.cloned(),
    }
}

/// Runs one step of a sign-in or sign-up; resolves to an object showing the step's answer.
fn step<T: Into<JsValue> + 'static>(
    ctx: &Rc<Context>,
    params: JsValue,
    defaults: &[(&str, &str)],
    make: impl FnOnce(Rc<Context>, Json) -> T + 'static,
    call: impl AsyncFnOnce(Rc<Context>, Vec<(String, String)>) -> Result<Json, ClerkError> + 'static,
) -> js_sys::Promise {
    let mut form = match form_from_js(&params) {
        Ok(form) => form,
        Err(e) => return rejected(e),
    };
    for (key, value) in defaults {
        // An empty default is one the browser could not give.
        if !value.is_empty() && !form.iter().any(|(k, _)| k == key) {
            form.push(((*key).into(), (*value).into()));
        }
    }
    let ctx = ctx.clone();
    promise(async move {
        let answer = call(ctx.clone(), form).await?;
        Ok(make(ctx, answer).into())
    })
}

#[wasm_bindgen(js_name = SignIn)]
pub struct SignInJs {
    ctx: Rc<Context>,
    answer: Option<Json>,
}

impl SignInJs {
    fn current(&self) -> Option<Json> {
        let client = self.ctx.core.client();
        attempt(client.as_ref().and_then(|c| c.sign_in.as_ref()), self.answer.as_ref())
    }

    fn step(&self, name: Option<&'static str>, params: JsValue, defaults: &[(&str, &str)]) -> js_sys::Promise {
        step(&self.ctx, params, defaults, |ctx, answer| SignInJs { ctx, answer: Some(answer) }, async move |ctx, form| {
            ctx.core.sign_in_request(name, &as_form_refs(&form)).await
        })
    }
}

fields!(SignInJs, "SignIn",
    id => "id", "id";
    status => "status", "status";
    identifier => "identifier", "identifier";
    supported_identifiers => "supportedIdentifiers", "supported_identifiers";
    supported_first_factors => "supportedFirstFactors", "supported_first_factors";
    supported_second_factors => "supportedSecondFactors", "supported_second_factors";
    first_factor_verification => "firstFactorVerification", "first_factor_verification";
    second_factor_verification => "secondFactorVerification", "second_factor_verification";
    created_session_id => "createdSessionId", "created_session_id";
    user_data => "userData", "user_data";
);

#[wasm_bindgen(js_class = SignIn)]
impl SignInJs {
    /// `create({identifier, password?, strategy?})`. Like clerk-js, it also sends the browser's
    /// `locale` and `timezone` (unless given), so the server can localise what it sends.
    pub fn create(&self, params: JsValue) -> js_sys::Promise {
        let locale = super::platform::browser_locale().unwrap_or_default();
        let time_zone = super::platform::browser_time_zone().unwrap_or_default();
        self.step(None, params, &[("locale", &locale), ("timezone", &time_zone)])
    }

    /// `prepareFirstFactor({strategy: 'email_code', emailAddressId})`.
    #[wasm_bindgen(js_name = prepareFirstFactor)]
    pub fn prepare_first_factor(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("prepare_first_factor"), params, &[])
    }

    /// `attemptFirstFactor({strategy: 'password', password})` or `({strategy: 'email_code', code})`.
    #[wasm_bindgen(js_name = attemptFirstFactor)]
    pub fn attempt_first_factor(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("attempt_first_factor"), params, &[])
    }

    #[wasm_bindgen(js_name = prepareSecondFactor)]
    pub fn prepare_second_factor(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("prepare_second_factor"), params, &[("strategy", "totp")])
    }

    /// `attemptSecondFactor({strategy: 'totp', code})`.
    #[wasm_bindgen(js_name = attemptSecondFactor)]
    pub fn attempt_second_factor(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("attempt_second_factor"), params, &[("strategy", "totp")])
    }
}

#[wasm_bindgen(js_name = SignUp)]
pub struct SignUpJs {
    ctx: Rc<Context>,
    answer: Option<Json>,
}

impl SignUpJs {
    fn current(&self) -> Option<Json> {
        let client = self.ctx.core.client();
        attempt(client.as_ref().and_then(|c| c.sign_up.as_ref()), self.answer.as_ref())
    }

    fn step(&self, name: Option<&'static str>, verb: Verb, params: JsValue, defaults: &[(&str, &str)]) -> js_sys::Promise {
        step(&self.ctx, params, defaults, |ctx, answer| SignUpJs { ctx, answer: Some(answer) }, async move |ctx, form| {
            ctx.core.sign_up_request(name, verb, &as_form_refs(&form)).await
        })
    }
}

fields!(SignUpJs, "SignUp",
    id => "id", "id";
    status => "status", "status";
    email_address => "emailAddress", "email_address";
    username => "username", "username";
    first_name => "firstName", "first_name";
    last_name => "lastName", "last_name";
    required_fields => "requiredFields", "required_fields";
    optional_fields => "optionalFields", "optional_fields";
    missing_fields => "missingFields", "missing_fields";
    unverified_fields => "unverifiedFields", "unverified_fields";
    verifications => "verifications", "verifications";
    created_session_id => "createdSessionId", "created_session_id";
    created_user_id => "createdUserId", "created_user_id";
);

#[wasm_bindgen(js_class = SignUp)]
impl SignUpJs {
    /// `create({emailAddress, password, firstName?, lastName?, username?})`.
    pub fn create(&self, params: JsValue) -> js_sys::Promise {
        self.step(None, Verb::Post, params, &[])
    }

    pub fn update(&self, params: JsValue) -> js_sys::Promise {
        self.step(None, Verb::Patch, params, &[])
    }

    #[wasm_bindgen(js_name = prepareVerification)]
    pub fn prepare_verification(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("prepare_verification"), Verb::Post, params, &[])
    }

    #[wasm_bindgen(js_name = attemptVerification)]
    pub fn attempt_verification(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("attempt_verification"), Verb::Post, params, &[])
    }

    /// `prepareEmailAddressVerification({strategy: 'email_code'})` (the strategy is the default).
    #[wasm_bindgen(js_name = prepareEmailAddressVerification)]
    pub fn prepare_email_address_verification(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("prepare_verification"), Verb::Post, params, &[("strategy", "email_code")])
    }

    /// `attemptEmailAddressVerification({code})`.
    #[wasm_bindgen(js_name = attemptEmailAddressVerification)]
    pub fn attempt_email_address_verification(&self, params: JsValue) -> js_sys::Promise {
        self.step(Some("attempt_verification"), Verb::Post, params, &[("strategy", "email_code")])
    }
}
