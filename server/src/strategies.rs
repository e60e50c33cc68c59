//! Which sign-in strategies the instance has enabled. The environment advertises them (clerk-js
//! reads `user_settings`), and every sign-in and sign-up step refuses the others with the answer
//! Clerk gives for a strategy the dashboard has switched off: 422 `form_param_value_invalid` on
//! `strategy` ("email_code does not match one of the allowed values for parameter strategy").

use serde_json::{Value, json};

use crate::config::Config;
use crate::errors::ApiError;

/// The social strategies the development identity provider stands in for, with their names.
pub const OAUTH_PROVIDERS: &[(&str, &str)] = &[("oauth_google", "Google"), ("oauth_github", "GitHub")];

/// Every strategy this server knows, for `--strategies` to check against.
pub const KNOWN: &[&str] = &[
    "password",
    "email_code",
    "email_link",
    "reset_password_email_code",
    "phone_code",
    "totp",
    "backup_code",
    "passkey",
    "oauth_google",
    "oauth_github",
];

/// Whether `strategy` is enabled: `--strategies` when given, else all of them, with the social
/// ones only on development instances (a production instance has no real provider behind them).
pub fn is_enabled(config: &Config, strategy: &str) -> bool {
    match &config.strategies {
        Some(list) => list.iter().any(|s| s == strategy),
        None => KNOWN.contains(&strategy) && !(config.production && strategy.starts_with("oauth_")),
    }
}

/// 422 `form_param_value_invalid` unless `strategy` is enabled (unknown ones included).
pub fn require(config: &Config, strategy: &str) -> Result<(), ApiError> {
    if is_enabled(config, strategy) {
        return Ok(());
    }
    Err(ApiError::unprocessable("form_param_value_invalid", "is invalid")
        .long(format!("{strategy} does not match one of the allowed values for parameter strategy"))
        .param("strategy"))
}

pub fn is_oauth(strategy: &str) -> bool {
    strategy.starts_with("oauth_")
}

/// The enabled ones among `candidates`, in that order.
fn enabled_of(config: &Config, candidates: &[&'static str]) -> Vec<&'static str> {
    candidates.iter().copied().filter(|s| is_enabled(config, s)).collect()
}

/// `user_settings.attributes` and `user_settings.social` for the environment.
pub fn user_settings(config: &Config) -> (Value, Value) {
    let email_factors = enabled_of(config, &["email_code", "email_link"]);
    let password = is_enabled(config, "password");
    let totp = is_enabled(config, "totp");
    let phone = is_enabled(config, "phone_code");
    let backup = is_enabled(config, "backup_code");
    let passkey = is_enabled(config, "passkey");
    let attributes = json!({
        "email_address": {"enabled": true, "required": true, "used_for_first_factor": !email_factors.is_empty(),
                          "first_factors": email_factors, "verifications": email_factors,
                          "verify_at_sign_up": true},
        "password": {"enabled": password, "required": password},
        "username": {"enabled": true, "required": false, "used_for_first_factor": true},
        "first_name": {"enabled": true, "required": false},
        "last_name": {"enabled": true, "required": false},
        "authenticator_app": {"enabled": totp, "required": false, "used_for_second_factor": totp,
                              "second_factors": enabled_of(config, &["totp"])},
        "phone_number": {"enabled": phone, "required": false, "used_for_first_factor": phone,
                         "first_factors": enabled_of(config, &["phone_code"]), "used_for_second_factor": phone,
                         "second_factors": enabled_of(config, &["phone_code"]), "verifications": enabled_of(config, &["phone_code"]),
                         "verify_at_sign_up": phone},
        "backup_code": {"enabled": backup, "required": false, "used_for_second_factor": backup,
                        "second_factors": enabled_of(config, &["backup_code"])},
        "passkey": {"enabled": passkey, "required": false, "used_for_first_factor": passkey,
                    "first_factors": enabled_of(config, &["passkey"])},
    });
    let social: serde_json::Map<String, Value> = OAUTH_PROVIDERS
        .iter()
        .map(|(strategy, name)| {
            let enabled = is_enabled(config, strategy);
            let v = json!({"enabled": enabled, "required": false, "authenticatable": enabled, "strategy": strategy,
                           "name": name, "logo_url": null, "block_email_subaddresses": false, "not_selectable": false,
                           "deprecated": false});
            (strategy.to_string(), v)
        })
        .collect();
    (attributes, Value::Object(social))
}
