//! The engine's operations as the object layer calls them: a number naming the operation and
//! its arguments as one JSON text, answered with one JSON text. This is the whole surface the
//! wasm boundary forwards (`call` for what may wait on the network, `query` for what answers at
//! once), so every rule behind it is tested natively. A call's first step is here; its later
//! ones are continued by the inputs that answer it ([`super::flow`]).

use super::clerk::{Clerk, Emit, unexpected};
use super::error::{ClerkError, Result};
use super::fapi::{Request, Retry, Verb};
use super::flow::{Purpose, Then};
use super::json::Json;
use super::params::{self, default_field, optional_string, parse_args, selection};
use super::resource::ResourceRequest;
use super::resources::{Client, Session};
use super::state::Change;
use super::view::AttemptKind;

/// Operations that may wait on the network; each resolves to a JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `load()` → `null`.
    Load,
    /// `{session?, organization?}` (+ the `beforeEmit` callback) → `null`.
    SetActive,
    /// `{sessionId?}` → `null`.
    SignOut,
    /// `{session, options}` → the token, or `""` when it failed and `throwOnError` is false.
    GetToken,
    /// `{session}` → the session afterwards.
    EndSession,
    RemoveSession,
    TouchSession,
    /// `{session, step, params}` → the session verification.
    VerifySession,
    /// → `null`; the object layer reads the new client from the snapshot. `ReloadClient` takes
    /// `{rotatingTokenNonce?}`.
    CreateClient,
    DestroyClient,
    ReloadClient,
    RemoveSessions,
    /// `{step, params, locale?, timezone?}` → the sign-in as the answer left it;
    /// `{step: "reload", id}` → that sign-in as the server has it now.
    SignIn,
    /// `{step, params}` → the sign-up as the answer left it; `{step: "reload", id}` as above.
    SignUp,
    /// `{verb, path: [segment…], params?, query?, file?, list?}` → the answer's `response`: every
    /// resource method of the object layer ([`super::resource`]).
    Resource,
}

impl Call {
    pub fn from_code(code: u32) -> Option<Call> {
        const ALL: [Call; 15] = [
            Call::Load,
            Call::SetActive,
            Call::SignOut,
            Call::GetToken,
            Call::EndSession,
            Call::RemoveSession,
            Call::TouchSession,
            Call::VerifySession,
            Call::CreateClient,
            Call::DestroyClient,
            Call::ReloadClient,
            Call::RemoveSessions,
            Call::SignIn,
            Call::SignUp,
            Call::Resource,
        ];
        ALL.get(code as usize).copied()
    }
}

/// Operations that answer at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// → [`Clerk::snapshot`].
    Snapshot,
    /// `{session, params}` → `true`/`false`.
    CheckAuthorization,
    /// `{redirectUrl}` → the URL.
    BuildTouchUrl,
    IsEligibleForTouch,
    IsNew,
    ResetSignIn,
    ResetSignUp,
    ClearCache,
    /// `{publishableKey, frontendApi, proxyUrl, instanceType, version}`.
    Info,
    /// `{jwt}` → the token's claims (not verified: the browser cannot, and need not).
    TokenClaims,
    /// `{kind: "sign_in" | "sign_up", answer?}` → [`Clerk::attempt`].
    Attempt,
    /// `{setting}` → whether that environment setting is enabled.
    SettingEnabled,
    /// `{component}` → always the `ui_components_unavailable` error: the library is headless.
    Component,
    /// → the environment `load()` fetched, as the server sent it, or `null` before.
    Environment,
    /// `{url, raw, sameOrigin}` → clerk-js's `buildUrlWithAuth(raw)`: `raw` as given on a
    /// production instance, else `url` (absolute), with the dev-browser token when it is of
    /// another origin than the page's.
    UrlWithAuth,
}

impl Query {
    pub fn from_code(code: u32) -> Option<Query> {
        const ALL: [Query; 15] = [
            Query::Snapshot,
            Query::CheckAuthorization,
            Query::BuildTouchUrl,
            Query::IsEligibleForTouch,
            Query::IsNew,
            Query::ResetSignIn,
            Query::ResetSignUp,
            Query::ClearCache,
            Query::Info,
            Query::TokenClaims,
            Query::Attempt,
            Query::SettingEnabled,
            Query::Component,
            Query::Environment,
            Query::UrlWithAuth,
        ];
        ALL.get(code as usize).copied()
    }
}

/// A step of a sign-in or of session reverification: both begin (a sign-in is created, a
/// reverification started) and then prepare and attempt their factors, at the same path
/// segments after `/client/sign_ins/{id}/` and `/client/sessions/{id}/verify/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FactorStep {
    Begin,
    PrepareFirstFactor,
    AttemptFirstFactor,
    PrepareSecondFactor,
    AttemptSecondFactor,
    /// `signIn.resetPassword`, after a `reset_password_email_code` first factor; sign-ins only.
    ResetPassword,
}

impl FactorStep {
    /// `begin` names the first step: `create` for a sign-in, `start` for a reverification.
    fn parse(name: &str, begin: &str) -> Result<Self> {
        Ok(match name {
            _ if name == begin => Self::Begin,
            "prepare_first_factor" => Self::PrepareFirstFactor,
            "attempt_first_factor" => Self::AttemptFirstFactor,
            "prepare_second_factor" => Self::PrepareSecondFactor,
            "attempt_second_factor" => Self::AttemptSecondFactor,
            // Reverification has no such step.
            "reset_password" if begin == "create" => Self::ResetPassword,
            _ => return Err(unknown_step(name)),
        })
    }

    fn path(self) -> Option<&'static str> {
        match self {
            Self::Begin => None,
            Self::PrepareFirstFactor => Some("prepare_first_factor"),
            Self::AttemptFirstFactor => Some("attempt_first_factor"),
            Self::PrepareSecondFactor => Some("prepare_second_factor"),
            Self::AttemptSecondFactor => Some("attempt_second_factor"),
            Self::ResetPassword => Some("reset_password"),
        }
    }

    /// TOTP is the second factor clerk-js assumes when none is named.
    fn default_strategy(self) -> Option<&'static str> {
        matches!(self, Self::PrepareSecondFactor | Self::AttemptSecondFactor).then_some("totp")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SignUpStep {
    Create,
    Update,
    PrepareVerification,
    AttemptVerification,
    PrepareEmailAddressVerification,
    AttemptEmailAddressVerification,
    PreparePhoneNumberVerification,
    AttemptPhoneNumberVerification,
}

impl SignUpStep {
    fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "create" => Self::Create,
            "update" => Self::Update,
            "prepare_verification" => Self::PrepareVerification,
            "attempt_verification" => Self::AttemptVerification,
            "prepare_email_address_verification" => Self::PrepareEmailAddressVerification,
            "attempt_email_address_verification" => Self::AttemptEmailAddressVerification,
            "prepare_phone_number_verification" => Self::PreparePhoneNumberVerification,
            "attempt_phone_number_verification" => Self::AttemptPhoneNumberVerification,
            _ => return Err(unknown_step(name)),
        })
    }

    fn request(self) -> (Option<&'static str>, Verb, Option<&'static str>) {
        match self {
            Self::Create => (None, Verb::Post, None),
            Self::Update => (None, Verb::Patch, None),
            Self::PrepareVerification => (Some("prepare_verification"), Verb::Post, None),
            Self::AttemptVerification => (Some("attempt_verification"), Verb::Post, None),
            Self::PrepareEmailAddressVerification => (Some("prepare_verification"), Verb::Post, Some("email_code")),
            Self::AttemptEmailAddressVerification => (Some("attempt_verification"), Verb::Post, Some("email_code")),
            Self::PreparePhoneNumberVerification => (Some("prepare_verification"), Verb::Post, Some("phone_code")),
            Self::AttemptPhoneNumberVerification => (Some("attempt_verification"), Verb::Post, Some("phone_code")),
        }
    }
}

fn unknown_step(name: &str) -> ClerkError {
    ClerkError::invalid_argument(["Unknown step \"", name, "\""].concat())
}

fn required_string(args: &Json, key: &str) -> Result<String> {
    optional_string(args, key)?.ok_or_else(|| ClerkError::invalid_argument([key, " is required"].concat()))
}

fn form_refs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

const NULL: &str = "null";

impl Clerk {
    /// Starts call `id`: an operation that may wait on the network. It settles with a
    /// `Resolve` or `Reject` command, in this input when it needs no request (a cached token,
    /// bad arguments). `has_before_emit`: a setActive whose `beforeEmit` the host holds.
    pub fn call(&self, id: u32, op: Call, args: &str, has_before_emit: bool) {
        self.0.port.open(id);
        // Otherwise the step settled it already (a cached token) or a later input will.
        if let Err(error) = self.start(id, op, args, has_before_emit) {
            self.settle(id, Err(error));
        }
    }

    /// The first step of call `id`: an error refuses the call before anything was sent.
    fn start(&self, id: u32, op: Call, args: &str, has_before_emit: bool) -> Result<()> {
        let args = parse_args(args)?;
        let then = |purpose| Then::Call(id, purpose);
        match op {
            Call::Load => self.start_load(id)?,
            Call::SetActive => {
                if args.get("beforeEmit").is_some_and(|t| t.as_str() != Some("function")) {
                    return Err(ClerkError::invalid_argument("beforeEmit must be a function"));
                }
                let (session, organization) = (selection(&args, "session")?, selection(&args, "organization")?);
                self.start_set_active(id, session, organization, has_before_emit)?;
            }
            Call::SignOut => self.start_sign_out(id, optional_string(&args, "sessionId")?.as_deref())?,
            Call::GetToken => {
                let options = params::token_options(args.get("options").unwrap_or(&Json::Null))?;
                self.start_get_token(id, &required_string(&args, "session")?, &options);
            }
            Call::EndSession | Call::RemoveSession => {
                let action = if op == Call::EndSession { "end" } else { "remove" };
                self.start_lifecycle(id, &required_string(&args, "session")?, action, false)?;
            }
            Call::TouchSession => self.start_touch(id, &required_string(&args, "session")?)?,
            Call::VerifySession => {
                let step = FactorStep::parse(&required_string(&args, "step")?, "start")?;
                let mut form = params::form(args.get("params"))?;
                default_field(&mut form, "strategy", step.default_strategy());
                let session = required_string(&args, "session")?;
                self.start_session_verification(id, &session, step.path(), &form_refs(&form))?;
            }
            Call::CreateClient => self.start_client_request(id, Verb::Put, &[], Retry::Once)?,
            Call::DestroyClient => {
                self.require_loaded()?;
                self.send(Request::form(Verb::Delete, "/client".into(), &[], Retry::Once), then(Purpose::ClientDestroyed));
            }
            Call::ReloadClient => match optional_string(&args, "rotatingTokenNonce")? {
                Some(nonce) => self.start_client_request(id, Verb::Get, &[("rotating_token_nonce", &nonce)], Retry::Idempotent)?,
                None => self.start_client_request(id, Verb::Get, &[], Retry::Idempotent)?,
            },
            Call::RemoveSessions => self.start_remove_sessions(id, false)?,
            Call::SignIn | Call::SignUp if optional_string(&args, "step")?.as_deref() == Some("reload") => {
                let collection = if op == Call::SignIn { "sign_ins" } else { "sign_ups" };
                let path = self.attempt_path(collection, Some(&required_string(&args, "id")?), Verb::Get)?;
                self.send(Request::form(Verb::Get, path, &[], Retry::Once), then(Purpose::Response));
            }
            Call::SignIn => {
                let step = FactorStep::parse(&required_string(&args, "step")?, "create")?;
                let mut form = params::form(args.get("params"))?;
                default_field(&mut form, "strategy", step.default_strategy());
                if step == FactorStep::Begin {
                    // As clerk-js: the browser's locale and time zone go with a new sign-in, so
                    // the server can localise what it sends.
                    default_field(&mut form, "locale", optional_string(&args, "locale")?.as_deref());
                    default_field(&mut form, "timezone", optional_string(&args, "timezone")?.as_deref());
                }
                let path = self.attempt_path("sign_ins", step.path(), Verb::Post)?;
                self.send(Request::form(Verb::Post, path, &form_refs(&form), Retry::Once), then(Purpose::Response));
            }
            Call::SignUp => {
                let (path, verb, strategy) = SignUpStep::parse(&required_string(&args, "step")?)?.request();
                let mut form = params::form(args.get("params"))?;
                default_field(&mut form, "strategy", strategy);
                let path = self.attempt_path("sign_ups", path, verb)?;
                self.send(Request::form(verb, path, &form_refs(&form), Retry::Once), then(Purpose::Response));
            }
            Call::Resource => self.start_resource(id, ResourceRequest::parse(&args)?)?,
        }
        Ok(())
    }

    /// The last step of a single-request call: what its answer `body` means.
    pub(super) fn conclude(&self, purpose: Purpose, body: Json) -> Result<String> {
        match purpose {
            Purpose::Client => self.client_answered(&body).map(|()| NULL.into()),
            Purpose::ClientDestroyed => {
                self.0.tokens.clear();
                self.apply(Change::Client(Client::default()));
                Ok(NULL.into())
            }
            Purpose::SessionsRemoved { sign_out } => self.sessions_removed(body, sign_out),
            Purpose::Lifecycle { session, sign_out } => {
                let session = self.session_ended(&session, body)?;
                Ok(if sign_out { NULL.into() } else { session.to_json().to_text() })
            }
            Purpose::Session => {
                let response = self.absorb(body, Emit::Now)?;
                Ok(Session::from_json(&response).map_err(unexpected)?.to_json().to_text())
            }
            Purpose::Response => Ok(self.absorb(body, Emit::Now)?.to_text()),
            Purpose::Resource { session, mutating, list } => Ok(self.resource_answered(body, session, mutating, list)?.to_text()),
        }
    }

    /// Runs an operation that answers at once.
    pub fn query(&self, op: Query, args: &str) -> Result<String> {
        let args = parse_args(args)?;
        let boolean = |b: bool| Json::Bool(b).to_text();
        match op {
            Query::Snapshot => Ok(self.snapshot()),
            Query::CheckAuthorization => {
                let params = params::authorization_params(args.get("params").unwrap_or(&Json::Null))?;
                Ok(boolean(self.check_authorization(&required_string(&args, "session")?, &params)))
            }
            Query::BuildTouchUrl => {
                let redirect = optional_string(&args, "redirectUrl")?
                    .ok_or_else(|| ClerkError::invalid_argument("buildTouchUrl needs {redirectUrl: URL | string}"))?;
                Ok(Json::String(self.build_touch_url(&redirect)).to_text())
            }
            Query::IsEligibleForTouch => Ok(boolean(self.client_is_eligible_for_touch())),
            Query::IsNew => Ok(boolean(self.client_is_new())),
            Query::ResetSignIn => {
                self.reset_sign_in();
                Ok(NULL.into())
            }
            Query::ResetSignUp => {
                self.reset_sign_up();
                Ok(NULL.into())
            }
            Query::ClearCache => {
                self.clear_cache();
                Ok(NULL.into())
            }
            Query::Info => Ok(self.info().to_text()),
            Query::Environment => Ok(self.environment().map_or_else(|| NULL.into(), |e| e.to_text())),
            Query::UrlWithAuth => {
                let same_origin = args.get("sameOrigin") == Some(&Json::Bool(true));
                let url = match self.instance_type() {
                    clerk_token::InstanceType::Production => required_string(&args, "raw")?,
                    _ if same_origin => required_string(&args, "url")?,
                    _ => self.url_with_auth(&required_string(&args, "url")?),
                };
                Ok(Json::String(url).to_text())
            }
            Query::Attempt => {
                let kind = match optional_string(&args, "kind")?.as_deref() {
                    Some("sign_in") => AttemptKind::SignIn,
                    Some("sign_up") => AttemptKind::SignUp,
                    _ => return Err(ClerkError::invalid_argument("kind must be sign_in or sign_up")),
                };
                Ok(self.attempt(kind, args.get("answer").filter(|a| a.is_object())).to_text())
            }
            Query::SettingEnabled => Ok(boolean(self.setting_enabled(&required_string(&args, "setting")?)?)),
            Query::Component => Err(component_unavailable(&required_string(&args, "component")?)),
            Query::TokenClaims => {
                let jwt = required_string(&args, "jwt")?;
                Ok(clerk_token::payload_json(&jwt)
                    .ok()
                    .filter(|c| Json::parse(c).is_ok_and(|j| j.is_object()))
                    .unwrap_or_else(|| NULL.into()))
            }
        }
    }
}

/// Clerk's prebuilt UI (`<SignIn />`, `<UserButton />`, …) is not part of this headless library.
fn component_unavailable(component: &str) -> ClerkError {
    let mut error = ClerkError::new(
        super::error::codes::COMPONENTS_UNAVAILABLE,
        ["<", component, " /> is a prebuilt Clerk UI component, which clerk-rs does not include"].concat(),
    )
    .with_long_message(
        "clerk-rs is headless: build this screen with the API (clerk.client.signIn, signUp, setActive, …) \
         and your own components. The rest of the page keeps working.",
    );
    error.meta = Some(super::json::object([("component", Json::String(component.to_owned()))]));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_one_operation() {
        for code in 0..15 {
            assert!(Call::from_code(code).is_some());
        }
        assert_eq!(Call::from_code(14), Some(Call::Resource));
        assert_eq!(Call::from_code(15), None);
        for code in 0..15 {
            assert!(Query::from_code(code).is_some());
        }
        assert_eq!(Query::from_code(14), Some(Query::UrlWithAuth));
        assert_eq!(Query::from_code(15), None);
    }

    #[test]
    fn steps_have_their_paths_and_defaults() {
        assert_eq!(FactorStep::parse("create", "create").unwrap().path(), None);
        assert_eq!(FactorStep::parse("start", "create").unwrap_err().code, "invalid_argument");
        assert_eq!(FactorStep::parse("attempt_second_factor", "create").unwrap().default_strategy(), Some("totp"));
        assert_eq!(FactorStep::parse("attempt_first_factor", "start").unwrap().default_strategy(), None);
        assert_eq!(FactorStep::parse("reset_password", "create").unwrap().path(), Some("reset_password"));
        assert_eq!(FactorStep::parse("reset_password", "start").unwrap_err().code, "invalid_argument");
        assert_eq!(SignUpStep::parse("update").unwrap().request(), (None, Verb::Patch, None));
        assert_eq!(
            SignUpStep::parse("prepare_email_address_verification").unwrap().request(),
            (Some("prepare_verification"), Verb::Post, Some("email_code"))
        );
        assert_eq!(
            SignUpStep::parse("attempt_phone_number_verification").unwrap().request(),
            (Some("attempt_verification"), Verb::Post, Some("phone_code"))
        );
        assert_eq!(FactorStep::parse("start", "start").unwrap().path(), None);
        assert_eq!(FactorStep::parse("../x", "create").unwrap_err().code, "invalid_argument");
    }
}
