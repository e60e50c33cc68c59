//! Conversions between the core's values and JS values.

use crate::core::{ApiErrorItem, ClerkError, Json, Selection};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Keys whose contents belong to the app and are passed through untouched.
const OPAQUE_KEYS: [&str; 4] = ["public_metadata", "private_metadata", "unsafe_metadata", "meta"];

pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.push(c.to_ascii_uppercase()); // wire keys are ASCII: no Unicode tables
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
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

pub fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

pub fn get(source: &JsValue, key: &str) -> JsValue {
    if source.is_object() { Reflect::get(source, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED) } else { JsValue::UNDEFINED }
}

pub fn get_string(source: &JsValue, key: &str) -> Option<String> {
    get(source, key).as_string()
}

/// What a thrown or rejected JS value says: an `Error`'s `message`, or a thrown string.
pub fn thrown_message(thrown: &JsValue) -> Option<String> {
    get_string(thrown, "message").or_else(|| thrown.as_string())
}

pub fn date(ms: f64) -> JsValue {
    js_sys::Date::new(&JsValue::from_f64(ms)).into()
}

pub fn optional_date(ms: Option<i64>) -> JsValue {
    ms.map_or(JsValue::NULL, |ms| date(ms as f64))
}

/// A Frontend API JSON value as clerk-js exposes it: camelCase keys, `*_at` timestamps as `Date`s.
pub fn json_to_js(value: &Json) -> JsValue {
    convert(value, true)
}

fn convert(value: &Json, rename: bool) -> JsValue {
    match value {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(number(n)),
        Json::String(s) => JsValue::from_str(s),
        Json::Array(items) => items.iter().map(|v| convert(v, rename)).collect::<Array>().into(),
        Json::Object(entries) => {
            let object = Object::new();
            for (key, v) in entries {
                let js = match v {
                    Json::Number(n) if rename && key.ends_with("_at") => date(number(n)),
                    _ => convert(v, rename && !OPAQUE_KEYS.contains(&key.as_str())),
                };
                let name = if rename { camel_case(key) } else { key.clone() };
                set(&object, &name, &js);
            }
            object.into()
        }
    }
}

/// A JSON number's text as JS reads it: the browser parses, so no float parser ships in wasm.
fn number(text: &str) -> f64 {
    js_sys::parse_float(text)
}

/// A user as clerk-js exposes it, with its convenience fields (`fullName`, `primaryEmailAddress`).
pub fn user_to_js(user: &Json) -> JsValue {
    let js = json_to_js(user);
    let object: &Object = js.unchecked_ref();
    let name = |k| user.get(k).and_then(Json::as_str).unwrap_or("");
    let full = [name("first_name"), " ", name("last_name")].concat();
    let full = full.trim();
    set(object, "fullName", &if full.is_empty() { JsValue::NULL } else { JsValue::from_str(full) });
    let primary = user.get("primary_email_address_id").and_then(Json::as_str).and_then(|id| {
        user.get("email_addresses")?.as_array()?.iter().find(|e| e.get("id").and_then(Json::as_str) == Some(id))
    });
    set(object, "primaryEmailAddress", &primary.map_or(JsValue::NULL, json_to_js));
    js
}

/// A typed JS error with clerk-js's shape: `clerkError`, `status`, `errors[]`, plus the first
/// error's `code`, `longMessage` and `meta` at the top level.
pub fn error_to_js(error: &ClerkError) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    js.set_name(if error.status.is_some() { "ClerkAPIResponseError" } else { "ClerkError" });
    let object: &Object = js.unchecked_ref();
    set(object, "clerkError", &JsValue::TRUE);
    set(object, "code", &JsValue::from_str(&error.code));
    set(object, "longMessage", &error.long_message.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str));
    set(object, "meta", &error.meta.as_ref().map_or_else(|| Object::new().into(), |m| convert(m, false)));
    set(object, "status", &error.status.map_or(JsValue::UNDEFINED, |s| JsValue::from_f64(f64::from(s))));
    if let Some(seconds) = error.retry_after {
        set(object, "retryAfter", &JsValue::from_f64(f64::from(seconds)));
    }
    // The envelope's entries; a client-side error is its own single entry.
    let own = [ApiErrorItem { code: error.code.clone(), message: error.message.clone(), long_message: error.long_message.clone(), meta: error.meta.clone() }];
    let items = if error.errors.is_empty() { &own[..] } else { &error.errors[..] };
    let errors: Array = items
        .iter()
        .map(|e| {
            let item = Object::new();
            set(&item, "code", &JsValue::from_str(&e.code));
            set(&item, "message", &JsValue::from_str(&e.message));
            set(&item, "longMessage", &e.long_message.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str));
            set(&item, "meta", &e.meta.as_ref().map_or_else(|| Object::new().into(), |m| convert(m, false)));
            JsValue::from(item)
        })
        .collect();
    set(object, "errors", &errors);
    js.into()
}

/// Params given by the app (`{emailAddress, password}`) as a form (`email_address=…&password=…`).
/// Arrays are joined with commas; `undefined` and `null` fields are left out.
pub fn form_from_js(params: &JsValue) -> Result<Vec<(String, String)>, ClerkError> {
    if params.is_undefined() || params.is_null() {
        return Ok(Vec::new());
    }
    if !params.is_object() {
        return Err(ClerkError::invalid_argument("Expected an object of parameters"));
    }
    let mut form = Vec::new();
    for entry in Object::entries(params.unchecked_ref()).iter() {
        let pair: Array = entry.unchecked_into();
        let (key, value) = (pair.get(0).as_string().unwrap_or_default(), pair.get(1));
        if value.is_undefined() || value.is_null() || value.is_function() {
            continue;
        }
        form.push((snake_case(&key), scalar_to_string(&key, &value)?));
    }
    Ok(form)
}

fn scalar_to_string(key: &str, value: &JsValue) -> Result<String, ClerkError> {
    if let Some(s) = value.as_string() {
        return Ok(s);
    }
    if let Some(b) = value.as_bool() {
        return Ok(if b { "true" } else { "false" }.into());
    }
    if value.as_f64().is_some() {
        // JS formats the number: Rust's float formatting costs ~14 KB of wasm.
        return js_sys::Number::unchecked_from_js(value.clone())
            .to_string_with_radix(10)
            .map(String::from)
            .map_err(|_| ClerkError::invalid_argument(["Parameter \"", key, "\" is not a finite number"].concat()));
    }
    if Array::is_array(value) {
        let parts: Result<Vec<_>, _> = Array::from(value).iter().map(|v| scalar_to_string(key, &v)).collect();
        return Ok(parts?.join(","));
    }
    if let Some(id) = get_string(value, "id") {
        return Ok(id);
    }
    Err(ClerkError::invalid_argument(["Parameter \"", key, "\" must be a string, number, boolean or array"].concat()))
}

pub fn as_form_refs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `undefined` → keep, `null` → clear, a string or an object with an `id` → that id.
pub fn selection(value: &JsValue, what: &str) -> Result<Selection, ClerkError> {
    if value.is_undefined() {
        Ok(Selection::Keep)
    } else if value.is_null() {
        Ok(Selection::Clear)
    } else if let Some(id) = value.as_string() {
        Ok(Selection::Id(id))
    } else if let Some(id) = get_string(value, "id") {
        Ok(Selection::Id(id))
    } else {
        Err(ClerkError::invalid_argument([what, " must be an object with an id, an id string, null or undefined"].concat()))
    }
}
