//! What the app passes to an operation, checked and turned into the engine's types.
//!
//! The object layer hands the app's arguments over as JSON (`JSON.stringify` of what the app
//! gave, so functions and `undefined` fields are already gone). Every rule about them lives
//! here, where native tests reach it: which types are accepted, how camelCase parameters become
//! the Frontend API's snake_case form fields, what `null` and `''` mean.

use super::authz::{AuthorizationParams, FactorLevel, Reverification};
use super::clerk::{GetTokenOptions, Selection};
use super::error::{ClerkError, Result};
use super::json::Json;

/// Parses the arguments of one call. Anything that is not a JSON object is refused.
pub fn parse_args(text: &str) -> Result<Json> {
    match Json::parse(text) {
        Ok(value) if value.is_object() => Ok(value),
        _ => Err(ClerkError::invalid_argument("Expected an object of parameters")),
    }
}

/// A field that must be a string when present.
pub fn optional_string(args: &Json, key: &str) -> Result<Option<String>> {
    match args.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ClerkError::invalid_argument([key, " must be a string"].concat())),
    }
}

/// `undefined` (absent) → keep, `null` or `''` → clear, a string or an object with an `id` → that id.
/// The empty string is how clerk-js and the Frontend API name the personal account.
pub fn selection(args: &Json, key: &str) -> Result<Selection> {
    match args.get(key) {
        None => Ok(Selection::Keep),
        Some(Json::Null) => Ok(Selection::Clear),
        Some(Json::String(s)) if s.is_empty() => Ok(Selection::Clear),
        Some(Json::String(s)) => Ok(Selection::Id(s.clone())),
        Some(value) => match value.get("id").and_then(Json::as_str) {
            Some(id) => Ok(Selection::Id(id.to_owned())),
            None => Err(ClerkError::invalid_argument([key, " must be an object with an id, an id string, null or undefined"].concat())),
        },
    }
}

/// `getToken({template, organizationId, leewayInSeconds, skipCache, throwOnError})`.
pub fn token_options(options: &Json) -> Result<GetTokenOptions> {
    let mut parsed = GetTokenOptions { template: optional_string(options, "template")?, ..GetTokenOptions::default() };
    parsed.organization = selection(options, "organizationId")?;
    if let Selection::Id(id) = &parsed.organization
        && !id.starts_with("org_")
    {
        return Err(ClerkError::invalid_argument(["organizationId \"", id, "\" is not an organization id (org_…)"].concat()));
    }
    match options.get("leewayInSeconds") {
        None | Some(Json::Null) => {}
        Some(value) => {
            // Whole seconds; JSON has no NaN or Infinity, so a number here is finite.
            let secs = value.as_i64().filter(|s| *s >= 0 && *s <= u32::MAX as i64);
            parsed.leeway_secs =
                Some(secs.ok_or_else(|| ClerkError::invalid_argument("leewayInSeconds must be a non-negative whole number"))? as u32);
        }
    }
    parsed.skip_cache = flag(options, "skipCache")?.unwrap_or(false);
    parsed.throw_on_error = flag(options, "throwOnError")?.unwrap_or(true);
    Ok(parsed)
}

fn flag(args: &Json, key: &str) -> Result<Option<bool>> {
    match args.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ClerkError::invalid_argument([key, " must be a boolean"].concat())),
    }
}

/// `checkAuthorization({role, permission, reverification})`.
pub fn authorization_params(params: &Json) -> Result<AuthorizationParams> {
    let mut parsed = AuthorizationParams {
        role: optional_string(params, "role")?,
        permission: optional_string(params, "permission")?,
        reverification: None,
    };
    match params.get("reverification") {
        None | Some(Json::Null) => {}
        Some(Json::String(preset)) => {
            parsed.reverification = Some(Reverification::preset(preset).ok_or_else(|| {
                ClerkError::invalid_argument(
                    ["Unknown reverification preset \"", preset, "\"; use strict_mfa, strict, moderate or lax"].concat(),
                )
            })?);
        }
        Some(config) => {
            let level = config.get("level").and_then(Json::as_str).and_then(FactorLevel::parse);
            let after = config.get("afterMinutes").and_then(Json::as_i64);
            match (level, after) {
                (Some(level), Some(after_minutes)) => parsed.reverification = Some(Reverification { level, after_minutes }),
                _ => {
                    return Err(ClerkError::invalid_argument(
                        "reverification must be a preset or {level: 'first_factor' | 'second_factor' | 'multi_factor', afterMinutes: number}",
                    ));
                }
            }
        }
    }
    Ok(parsed)
}

/// Params given by the app (`{emailAddress, password}`) as a form (`email_address=…&password=…`).
/// Arrays are joined with commas, an object stands for its `id`, and `null` fields are left out.
pub fn form(params: Option<&Json>) -> Result<Vec<(String, String)>> {
    let entries = match params {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Object(entries)) => entries,
        Some(_) => return Err(ClerkError::invalid_argument("Expected an object of parameters")),
    };
    let mut form = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if !value.is_null() {
            form.push((snake_case(key), scalar(key, value)?));
        }
    }
    Ok(form)
}

fn scalar(key: &str, value: &Json) -> Result<String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(if *b { "true" } else { "false" }.into()),
        // As JSON wrote it, which is how JS writes a number: no float formatting here.
        Json::Number(n) => Ok(String::from(&**n)),
        Json::Array(items) => Ok(items.iter().map(|v| scalar(key, v)).collect::<Result<Vec<_>>>()?.join(",")),
        Json::Object(_) => match value.get("id").and_then(Json::as_str) {
            Some(id) => Ok(id.to_owned()),
            None => Err(ClerkError::invalid_argument(["Parameter \"", key, "\" must be a string, number, boolean or array"].concat())),
        },
        Json::Null => Ok(String::new()),
    }
}

pub fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds `key=value` unless the app gave `key` itself or the value is unknown (empty).
pub fn default_field(form: &mut Vec<(String, String)>, key: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty())
        && !form.iter().any(|(k, _)| k == key)
    {
        form.push((key.to_owned(), value.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text).unwrap()
    }

    #[test]
    fn forms_are_snake_case_with_scalars_as_text() {
        let params = json(r#"{"emailAddress":"a@b.c","n":1.50,"ok":true,"ids":["x",2],"user":{"id":"user_1"},"skip":null}"#);
        let pairs = form(Some(&params)).unwrap();
        let expected = [("email_address", "a@b.c"), ("n", "1.50"), ("ok", "true"), ("ids", "x,2"), ("user", "user_1")];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert_eq!(form(Some(&json(r#"{"a":{"b":1}}"#))).unwrap_err().code, "invalid_argument");
        assert_eq!(form(Some(&json("[1]"))).unwrap_err().code, "invalid_argument");
    }

    #[test]
    fn token_options_are_checked_before_any_request() {
        let personal = token_options(&json(r#"{"organizationId":""}"#)).unwrap();
        assert_eq!(personal.organization, Selection::Clear);
        assert_eq!(token_options(&json(r#"{"organizationId":null}"#)).unwrap().organization, Selection::Clear);
        assert_eq!(token_options(&json("{}")).unwrap().organization, Selection::Keep);
        for bad in [
            r#"{"organizationId":"user_1"}"#,
            r#"{"organizationId":7}"#,
            r#"{"leewayInSeconds":"soon"}"#,
            r#"{"leewayInSeconds":-1}"#,
            r#"{"leewayInSeconds":1.5}"#,
            r#"{"template":3}"#,
            r#"{"skipCache":"yes"}"#,
            r#"{"throwOnError":0}"#,
        ] {
            assert_eq!(token_options(&json(bad)).unwrap_err().code, "invalid_argument", "{bad}");
        }
        let quiet = token_options(&json(r#"{"throwOnError":false,"skipCache":true,"leewayInSeconds":20}"#)).unwrap();
        assert!(!quiet.throw_on_error && quiet.skip_cache && quiet.leeway_secs == Some(20));
    }

    #[test]
    fn defaults_never_override_what_the_app_gave() {
        let mut pairs = vec![("strategy".to_owned(), "phone_code".to_owned())];
        default_field(&mut pairs, "strategy", Some("totp"));
        default_field(&mut pairs, "locale", Some("fr-FR"));
        default_field(&mut pairs, "timezone", Some(""));
        assert_eq!(pairs, [("strategy", "phone_code"), ("locale", "fr-FR")].map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
}
