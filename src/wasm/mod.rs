//! The `wasm-bindgen` layer: JS classes that convert arguments, forward to [`crate::core`] and
//! convert results back. No behaviour lives here.

mod clerk;
mod client;
pub mod convert;
pub mod platform;
mod session;

pub use clerk::ClerkJs;
pub use client::{ClientJs, SignInJs, SignUpJs};
pub use session::{SessionJs, TokenJs};

use crate::core::{self, ClerkError, Resources};
use convert::{error_to_js, set, user_to_js, json_to_js};
use std::cell::{Cell, RefCell};
use crate::core::small_map::SmallMap;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// State shared by the JS objects of one `Clerk`: the core, and the JS objects already handed
/// out, so `clerk.session === clerk.client.sessions[0]` until the data behind them changes.
pub(crate) struct Context {
    pub core: core::Clerk,
    /// session id → (client version, JS Session)
    sessions: RefCell<SmallMap<String, (u64, JsValue)>>,
    client: RefCell<Option<(u64, JsValue)>>,
    pub warned_set_session: Cell<bool>,
}

impl Context {
    pub fn new(core: core::Clerk) -> Rc<Self> {
        Rc::new(Context { core, sessions: RefCell::default(), client: RefCell::default(), warned_set_session: Cell::new(false) })
    }

    pub fn session_js(self: &Rc<Self>, session: &core::Session) -> JsValue {
        let current = self.core.client_version();
        if let Some((v, js)) = self.sessions.borrow().get(&session.id)
            && *v == current
        {
            return js.clone();
        }
        let js = JsValue::from(SessionJs::new(self.clone(), session.clone()));
        self.sessions.borrow_mut().insert(session.id.clone(), (current, js.clone()));
        js
    }

    pub fn client_js(self: &Rc<Self>) -> JsValue {
        if self.core.client().is_none() {
            return JsValue::UNDEFINED;
        }
        let current = self.core.client_version();
        if let Some((v, js)) = self.client.borrow().as_ref()
            && *v == current
        {
            return js.clone();
        }
        let js = JsValue::from(ClientJs::new(self.clone()));
        *self.client.borrow_mut() = Some((current, js.clone()));
        js
    }

    /// `{client, session, user, organization}` with `undefined` / `null` as clerk-js uses them.
    pub fn resources_js(self: &Rc<Self>, resources: &Resources) -> JsValue {
        let object = js_sys::Object::new();
        let slot = |slot: &core::Slot<JsValue>| match slot {
            core::Slot::Undefined => JsValue::UNDEFINED,
            core::Slot::Null => JsValue::NULL,
            core::Slot::Value(v) => v.clone(),
        };
        let session = map_slot(&resources.session, |s| self.session_js(s));
        let user = map_slot(&resources.user, user_to_js);
        let organization = map_slot(&resources.organization, json_to_js);
        set(&object, "client", &if resources.client.is_some() { self.client_js() } else { JsValue::UNDEFINED });
        set(&object, "session", &slot(&session));
        set(&object, "user", &slot(&user));
        set(&object, "organization", &slot(&organization));
        object.into()
    }
}

fn map_slot<T>(slot: &core::Slot<T>, f: impl FnOnce(&T) -> JsValue) -> core::Slot<JsValue> {
    match slot {
        core::Slot::Undefined => core::Slot::Undefined,
        core::Slot::Null => core::Slot::Null,
        core::Slot::Value(v) => core::Slot::Value(f(v)),
    }
}

/// A JS Promise for a core operation; errors become typed JS errors.
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, ClerkError>> + 'static) -> js_sys::Promise {
    // Boxed at once, so each async method adds only its own future: the error mapping and
    // `future_to_promise` below exist once (that saved about 8 KB of wasm).
    clerk_promise(Box::pin(future))
}

type BoxedFuture<E> = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, E>>>>;

fn clerk_promise(future: BoxedFuture<ClerkError>) -> js_sys::Promise {
    js_promise(Box::pin(async move { future.await.map_err(|e| error_to_js(&e)) }))
}

/// A JS Promise for a future that already speaks JS values.
pub(crate) fn js_promise(future: BoxedFuture<JsValue>) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(future)
}

/// A rejected Promise, for arguments refused before any work starts.
pub(crate) fn rejected(error: ClerkError) -> js_sys::Promise {
    js_sys::Promise::reject(&error_to_js(&error))
}

/// Shows a Rust panic as a readable console error instead of `unreachable executed`. The release
/// package aborts at once on a panic (.ci/build-package), so there the hook would be dead weight.
#[cfg(panic = "immediate-abort")]
pub(crate) fn install_panic_hook() {}

/// Shows a Rust panic as a readable console error instead of `unreachable executed`.
#[cfg(not(panic = "immediate-abort"))]
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            web_sys::console::error_1(&JsValue::from_str(&format!("clerk-rs panicked: {info}")));
        }));
    });
}
