//! The device behind a session, as `GET /v1/me/sessions/active` shows it (`latest_activity`):
//! the browser and OS parsed from the client's last User-Agent with woothee, and its IP
//! address. City and country would need a GeoIP database; a local server has none, so both
//! are `null`.

use serde_json::{Value, json};

use crate::extract::Caller;
use crate::store::{ClientActivity, Session};

/// What a request tells of its browser.
pub fn of_caller(caller: &Caller) -> ClientActivity {
    ClientActivity { user_agent: caller.user_agent.clone(), ip_address: caller.ip.map(|ip| ip.to_string()) }
}

/// woothee's "UNKNOWN" is no answer.
fn known(s: &str) -> Option<String> {
    (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned())
}

/// The `session_activity` object of session `session_id`.
pub fn session_activity_json(session_id: &str, activity: Option<&ClientActivity>) -> Value {
    let ua = activity.and_then(|a| a.user_agent.as_deref()).unwrap_or_default();
    let parsed = woothee::parser::Parser::new().parse(ua);
    let (browser_name, browser_version, device_type, is_mobile) = match &parsed {
        Some(r) => (known(r.name), known(r.version), known(r.os), matches!(r.category, "smartphone" | "mobilephone")),
        None => (None, None, None, false),
    };
    json!({
        "object": "session_activity",
        "id": format!("sess_activity_{}", session_id.trim_start_matches("sess_")),
        "browser_name": browser_name,
        "browser_version": browser_version,
        "device_type": device_type,
        "is_mobile": is_mobile,
        "ip_address": activity.and_then(|a| a.ip_address.clone()),
        "city": null,
        "country": null,
    })
}

/// A session as `GET /v1/me/sessions/active` lists it (clerk-js's `SessionWithActivities`):
/// no user, and the device of its client as `latest_activity`.
pub fn session_with_activity_json(s: &Session, activity: Option<&ClientActivity>, now: i64) -> Value {
    json!({
        "object": "session",
        "id": s.id,
        "status": s.effective_status(now).as_str(),
        "expire_at": s.expire_at,
        "abandon_at": s.abandon_at,
        "last_active_at": s.last_active_at,
        "last_active_organization_id": s.last_active_organization_id,
        "actor": s.actor,
        "user": null,
        "latest_activity": session_activity_json(&s.id, activity),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desktop_chrome_and_a_phone_are_told_apart() {
        let desktop = ClientActivity {
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into(),
            ),
            ip_address: Some("127.0.0.1".into()),
        };
        let v = session_activity_json("sess_abc", Some(&desktop));
        assert_eq!(v["browser_name"], "Chrome");
        assert_eq!(v["browser_version"], "120.0.0.0");
        assert_eq!(v["device_type"], "Linux");
        assert_eq!(v["is_mobile"], false);
        assert_eq!(v["ip_address"], "127.0.0.1");
        assert_eq!(v["id"], "sess_activity_abc");
        let phone = ClientActivity {
            user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into()),
            ip_address: None,
        };
        let v = session_activity_json("sess_x", Some(&phone));
        assert_eq!(v["is_mobile"], true);
        assert_eq!(v["device_type"], "iPhone");
        assert!(v["ip_address"].is_null() && v["city"].is_null());
        let none = session_activity_json("sess_y", None);
        assert!(none["browser_name"].is_null() && none["is_mobile"] == false);
    }
}
