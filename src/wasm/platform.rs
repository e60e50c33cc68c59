//! The browser's implementations of the core's platform traits.

use crate::core::{Broadcast, Clock, HttpRequest, HttpResponse, Method, Spawner, Storage, Transport, TransportError};
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use super::convert::{get_string, thrown_message};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `fetch` with `credentials: 'include'`, so the `__client` cookie travels to the Frontend API.
pub struct FetchTransport;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `fetch`, in windows and workers alike. Bound directly rather than through
    /// gloo-net's request builder: the library needs two methods and one header (2.3 KB gzip).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

impl Transport for FetchTransport {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        async move {
            let init = web_sys::RequestInit::new();
            init.set_credentials(web_sys::RequestCredentials::Include);
            init.set_method(if request.method == Method::Post { "POST" } else { "GET" });
            // A GET never carries a body (fetch would refuse it).
            if let (Method::Post, Some(form)) = (request.method, request.form_body) {
                let headers = js_sys::Object::new();
                super::convert::set(&headers, "Content-Type", &JsValue::from_str("application/x-www-form-urlencoded"));
                init.set_headers(&headers);
                init.set_body(&JsValue::from_str(&form));
            }
            let response: web_sys::Response =
                JsFuture::from(global_fetch(&request.url, &init)).await.map_err(transport_error)?.unchecked_into();
            let headers = response.headers();
            let header = |name: &str| headers.get(name).ok().flatten();
            let dev_browser_jwt = header("clerk-db-jwt");
            let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
            let status = response.status();
            let text = response.text().map_err(transport_error)?;
            let body = JsFuture::from(text).await.map_err(transport_error)?.as_string().unwrap_or_default();
            Ok(HttpResponse { status, body, dev_browser_jwt, retry_after })
        }
        .boxed_local()
    }
}

/// What `fetch` rejected with (a `TypeError` for network and CORS failures), as text.
fn transport_error(error: JsValue) -> TransportError {
    TransportError(thrown_message(&error).filter(|m| !m.is_empty()).unwrap_or_else(|| "fetch failed".into()))
}

/// `Date.now()` and `setTimeout`, looked up on the global object so workers work too.
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            match set_timeout {
                Some(f) => {
                    let _ = f.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from_f64(ms as f64));
                }
                None => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        });
        async move {
            let _ = JsFuture::from(promise).await;
        }
        .boxed_local()
    }
}

/// `localStorage`, when the page may use it; otherwise nothing is kept.
pub struct LocalStorage(Option<web_sys::Storage>);

impl Default for LocalStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalStorage {
    pub fn new() -> Self {
        LocalStorage(web_sys::window().and_then(|w| w.local_storage().ok().flatten()))
    }
}

impl Storage for LocalStorage {
    fn get(&self, key: &str) -> Option<String> {
        self.0.as_ref()?.get_item(key).ok().flatten()
    }
    fn set(&self, key: &str, value: &str) {
        if let Some(s) = &self.0 {
            let _ = s.set_item(key, value);
        }
    }
    fn remove(&self, key: &str) {
        if let Some(s) = &self.0 {
            let _ = s.remove_item(key);
        }
    }
}

/// Background tasks on the browser's microtask queue.
pub struct LocalSpawner;

impl Spawner for LocalSpawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }
}

type MessageHandler = Closure<dyn FnMut(web_sys::MessageEvent)>;

/// The other tabs of this origin, over a `BroadcastChannel` (absent where unsupported).
pub struct TabChannel {
    channel: Option<web_sys::BroadcastChannel>,
    /// Kept alive as long as the channel listens with it.
    on_message: RefCell<Option<MessageHandler>>,
}

impl TabChannel {
    pub fn open(name: &str) -> Self {
        TabChannel { channel: web_sys::BroadcastChannel::new(name).ok(), on_message: RefCell::default() }
    }

    /// Calls `receive` with every message another tab posts.
    pub fn listen(&self, receive: impl Fn(String) + 'static) {
        let Some(channel) = &self.channel else { return };
        let closure = MessageHandler::new(move |event: web_sys::MessageEvent| {
            if let Some(message) = event.data().as_string() {
                receive(message);
            }
        });
        channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
        *self.on_message.borrow_mut() = Some(closure);
    }
}

impl Broadcast for TabChannel {
    fn post(&self, message: &str) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(message));
        }
    }

    /// clerk-js's rule: `focused` when the document has focus, else its visibility.
    fn tab_state(&self) -> Option<&'static str> {
        let document = web_sys::window()?.document()?;
        if document.has_focus().unwrap_or(false) {
            return Some("focused");
        }
        Some(if document.visibility_state() == web_sys::VisibilityState::Visible { "visible" } else { "hidden" })
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}

/// `navigator.language`, as clerk-js sends it with a new sign-in.
pub(crate) fn browser_locale() -> Option<String> {
    web_sys::window()?.navigator().language().filter(|l| !l.trim().is_empty())
}

/// The time zone of `Intl.DateTimeFormat()`, as clerk-js sends it with a new sign-in.
pub(crate) fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    get_string(&format.resolved_options(), "timeZone").filter(|z| !z.trim().is_empty())
}
