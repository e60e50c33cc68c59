//! What the page lends the engine synchronously, from the object layer's `host` object
//! (`pkg-template/src/driver.ts`): its origin and location, the dev-browser token in
//! `localStorage` at start, `document.cookie` and the tab's state. Everything asynchronous is a
//! command.

use crate::engine::{CookieJar, Json, PageLocation, PageReads};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    pub type Host;
    /// `location.origin`, where there is a location.
    #[wasm_bindgen(method, getter)]
    fn origin(this: &Host) -> Option<String>;
    #[wasm_bindgen(method, js_name = readStorage)]
    fn read_storage(this: &Host, key: &str) -> Option<String>;
    /// `document.cookie`, where there is a document.
    #[wasm_bindgen(method, js_name = readCookies)]
    fn read_cookies(this: &Host) -> Option<String>;
    #[wasm_bindgen(method, js_name = writeCookie)]
    fn write_cookie(this: &Host, assignment: &str);
    /// `[host, hostname, https, secureContext]` as JSON, where there is a document.
    #[wasm_bindgen(method)]
    fn page(this: &Host) -> Option<String>;
    /// 1 focused, 2 visible, 3 hidden, 0 where there is no document.
    #[wasm_bindgen(method, js_name = tabState)]
    fn tab_state(this: &Host) -> u8;

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub fn console_error(message: &str);
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub fn console_error_with(message: &str, value: &JsValue);
}

/// What a thrown JS value says: an `Error`'s `message`, or a thrown string.
pub fn thrown_message(thrown: &JsValue) -> Option<String> {
    let message = if thrown.is_object() { js_sys::Reflect::get(thrown, &"message".into()).ok() } else { None };
    message.and_then(|m| m.as_string()).or_else(|| thrown.as_string())
}

/// The page as the engine reads it: cookies, stored values, the tab. Its location is read once:
/// a document's host and scheme never change.
pub struct HostPage {
    host: Host,
    page: Option<(String, String, bool, bool)>,
}

impl HostPage {
    pub fn new(host: Host) -> Self {
        let page = host.page().and_then(|text| {
            let page = Json::parse(&text).ok()?;
            let text = |i: usize| page.at(i).and_then(Json::as_str).map(str::to_owned);
            let flag = |i: usize| page.at(i).and_then(Json::as_bool).unwrap_or(false);
            Some((text(0)?, text(1)?, flag(2), flag(3)))
        });
        HostPage { host, page }
    }

    pub fn origin(&self) -> Option<String> {
        self.host.origin()
    }
}

impl PageReads for HostPage {
    fn stored(&self, key: &str) -> Option<String> {
        self.host.read_storage(key)
    }

    fn tab_state(&self) -> Option<&'static str> {
        match self.host.tab_state() {
            1 => Some("focused"),
            2 => Some("visible"),
            3 => Some("hidden"),
            _ => None,
        }
    }
}

impl CookieJar for HostPage {
    fn write(&self, assignment: &str) {
        self.host.write_cookie(assignment);
    }

    fn read(&self, name: &str) -> Option<String> {
        let all = self.host.read_cookies()?;
        // Split on single characters: a string pattern would link the two-way searcher (~1 KB).
        all.split(';').filter_map(|pair| pair.trim_start().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.to_owned())
    }

    fn page(&self) -> Option<PageLocation> {
        let (host, hostname, https, secure_context) = self.page.clone()?;
        Some(PageLocation { host, hostname, https, secure_context })
    }
}
