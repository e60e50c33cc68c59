//! The browser's implementations of the core's platform traits.

use crate::engine::{
    Body, Broadcast, Clock, CookieJar, HttpRequest, HttpResponse, Method, PageLocation, Spawner, Storage, Transport, TransportError,
};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What a thrown or rejected JS value says: an `Error`'s `message`, or a thrown string.
pub fn thrown_message(thrown: &JsValue) -> Option<String> {
    let message = if thrown.is_object() { js_sys::Reflect::get(thrown, &"message".into()).ok() } else { None };
    message.and_then(|m| m.as_string()).or_else(|| thrown.as_string())
}

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
            if let (Method::Post, Some(body)) = (request.method, request.body) {
                let (content_type, body): (&str, JsValue) = match &body {
                    Body::Form(form) => ("application/x-www-form-urlencoded", JsValue::from_str(form)),
                    Body::Bytes { content_type, bytes } => (content_type, js_sys::Uint8Array::from(&bytes[..]).into()),
                };
                let headers = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&headers, &"Content-Type".into(), &content_type.into());
                init.set_headers(&headers);
                init.set_body(&body);
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

    /// A `setTimeout` that is cleared when the future is dropped (a cancelled refresh leaves
    /// no timer pending), as gloo's `Timeout`.
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        let mut timer = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            timer = set_timeout(&resolve, ms as f64);
        });
        let sleep = Sleep { timer };
        async move {
            let _ = JsFuture::from(promise).await;
            drop(sleep);
        }
        .boxed_local()
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout`/`clearTimeout`, in windows and workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Owns a pending timer: dropping it clears the timer (a no-op once it fired).
struct Sleep {
    timer: JsValue,
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
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

    fn close(&self) {
        self.shut();
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

impl TabChannel {
    fn shut(&self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
        self.on_message.borrow_mut().take();
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        self.shut();
    }
}

/// `document.cookie` of the page (none in workers). The page's location is read once: the
/// host and scheme of a document never change.
pub struct DocumentCookies {
    document: Option<web_sys::HtmlDocument>,
    page: Option<(String, String, bool, bool)>,
}

impl Default for DocumentCookies {
    fn default() -> Self {
        let window = web_sys::window();
        let document = window.as_ref().and_then(|w| w.document()).and_then(|d| d.dyn_into().ok());
        let page = window.and_then(|w| {
            let flag = |name: &str| js_sys::Reflect::get(&w, &name.into()).ok().filter(|v| !v.is_undefined());
            let secure_context = flag("isSecureContext").is_some_and(|v| v.is_truthy()) && flag("safari").is_none();
            let l = w.location();
            Some((l.host().ok()?, l.hostname().ok()?, l.protocol().ok()? == "https:", secure_context))
        });
        DocumentCookies { document, page }
    }
}

impl CookieJar for DocumentCookies {
    fn write(&self, assignment: &str) {
        if let Some(document) = &self.document {
            let _ = document.set_cookie(assignment);
        }
    }

    fn read(&self, name: &str) -> Option<String> {
        let all = self.document.as_ref()?.cookie().ok()?;
        // Split on single characters: a string pattern would link the two-way searcher (~1 KB).
        all.split(';').filter_map(|pair| pair.trim_start().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.to_owned())
    }

    fn page(&self) -> Option<PageLocation> {
        self.document.as_ref()?;
        let (host, hostname, https, secure_context) = self.page.clone()?;
        Some(PageLocation { host, hostname, https, secure_context })
    }
}
