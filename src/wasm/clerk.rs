//! The JS `Clerk` class.

use super::convert::{self, error_to_js, get, get_string};
use super::platform::{BrowserClock, FetchTransport, LocalSpawner, LocalStorage, TabChannel};
use super::{Context, install_panic_hook, js_promise, promise, rejected};
use crate::core::{self, BeforeEmit, ClerkError, ClerkOptions, Platform, Resources, Selection, Slot};
use clerk_token::InstanceType;
use futures::FutureExt;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(js_name = Clerk)]
pub struct ClerkJs {
    ctx: Rc<Context>,
}

/// A relative `proxyUrl` (`/__clerk`) is resolved against the page's origin, as clerk-js does.
fn absolute_proxy_url(proxy: String, page_origin: Option<&str>) -> String {
    if proxy.starts_with('/') { [page_origin.unwrap_or_default(), &proxy].concat() } else { proxy }
}

impl ClerkJs {
    /// A `Clerk` over any platform: how tests give it a scripted Frontend API.
    pub fn with_platform(publishable_key: &str, options: ClerkOptions, platform: Platform) -> Result<ClerkJs, ClerkError> {
        install_panic_hook();
        let core = core::Clerk::new(publishable_key, options, platform)?;
        Ok(ClerkJs { ctx: Context::new(core) })
    }

    fn slot(&self, pick: impl FnOnce(&Rc<Context>, &Resources) -> Slot<JsValue>) -> JsValue {
        match pick(&self.ctx, &self.ctx.core.resources()) {
            Slot::Undefined => JsValue::UNDEFINED,
            Slot::Null => JsValue::NULL,
            Slot::Value(v) => v,
        }
    }

    fn set_active_with(&self, session: Selection, organization: Selection, before_emit: JsValue) -> js_sys::Promise {
        let ctx = self.ctx.clone();
        // The JS value beforeEmit threw or rejected with, handed back to the caller unchanged.
        let thrown: Rc<RefCell<Option<JsValue>>> = Rc::default();
        let callback: Option<BeforeEmit> = match before_emit.dyn_into::<js_sys::Function>() {
            Ok(f) => {
                let (ctx, thrown) = (Rc::downgrade(&ctx), thrown.clone());
                Some(Box::new(move |session: Option<core::Session>| {
                    async move {
                        let arg = match (session, ctx.upgrade()) {
                            (Some(s), Some(ctx)) => ctx.session_js(&s),
                            _ => JsValue::NULL,
                        };
                        let outcome = match f.call1(&JsValue::NULL, &arg) {
                            Ok(value) => JsFuture::from(js_sys::Promise::resolve(&value)).await.map(drop),
                            Err(e) => Err(e),
                        };
                        outcome.map_err(|e| {
                            let message = convert::thrown_message(&e).unwrap_or_else(|| "beforeEmit failed".into());
                            *thrown.borrow_mut() = Some(e);
                            ClerkError::new(core::error::codes::BEFORE_EMIT_FAILED, message)
                        })
                    }
                    .boxed_local()
                }))
            }
            Err(v) if v.is_undefined() || v.is_null() => None,
            Err(_) => return rejected(ClerkError::invalid_argument("beforeEmit must be a function")),
        };
        let future = async move { ctx.core.set_active(session, organization, callback).await };
        js_promise(Box::pin(async move {
            match future.await {
                Ok(()) => Ok(JsValue::UNDEFINED),
                Err(e) => Err(thrown.borrow_mut().take().unwrap_or_else(|| error_to_js(&e))),
            }
        }))
    }
}

#[wasm_bindgen(js_class = Clerk)]
impl ClerkJs {
    /// `new Clerk(publishableKey, {proxyUrl})`.
    #[wasm_bindgen(constructor)]
    pub fn new(publishable_key: String, options: JsValue) -> Result<ClerkJs, JsValue> {
        let page_origin = web_sys::window().and_then(|w| w.location().origin().ok());
        let proxy_url = get_string(&options, "proxyUrl").map(|p| absolute_proxy_url(p, page_origin.as_deref()));
        let tabs = Rc::new(TabChannel::open(&["clerk-rs:", &publishable_key].concat()));
        let platform = Platform {
            transport: Rc::new(FetchTransport),
            clock: Rc::new(BrowserClock),
            storage: Rc::new(LocalStorage::new()),
            spawner: Rc::new(LocalSpawner),
            broadcast: tabs.clone(),
        };
        let clerk = Self::with_platform(&publishable_key, ClerkOptions { proxy_url, page_origin }, platform).map_err(|e| error_to_js(&e))?;
        let weak = Rc::downgrade(&clerk.ctx);
        tabs.listen(move |message| {
            if let Some(ctx) = weak.upgrade() {
                ctx.core.receive_broadcast(&message);
            }
        });
        Ok(clerk)
    }

    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    /// Fetches the environment and the client. Options are accepted for clerk-js compatibility.
    pub fn load(&self, _options: JsValue) -> js_sys::Promise {
        let ctx = self.ctx.clone();
        promise(async move {
            ctx.core.load().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(getter)]
    pub fn loaded(&self) -> bool {
        self.ctx.core.loaded()
    }

    #[wasm_bindgen(getter = publishableKey)]
    pub fn publishable_key(&self) -> String {
        self.ctx.core.publishable_key().into()
    }

    #[wasm_bindgen(getter = frontendApi)]
    pub fn frontend_api(&self) -> String {
        self.ctx.core.frontend_api().into()
    }

    #[wasm_bindgen(getter = proxyUrl)]
    pub fn proxy_url(&self) -> Option<String> {
        self.ctx.core.proxy_url().map(Into::into)
    }

    #[wasm_bindgen(getter = instanceType)]
    pub fn instance_type(&self) -> String {
        match self.ctx.core.instance_type() {
            InstanceType::Development => "development".into(),
            InstanceType::Production => "production".into(),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn client(&self) -> JsValue {
        self.ctx.client_js()
    }

    /// `undefined` before load and while `setActive` switches; `null` when signed out.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> JsValue {
        self.slot(|ctx, r| match &r.session {
            Slot::Undefined => Slot::Undefined,
            Slot::Null => Slot::Null,
            Slot::Value(s) => Slot::Value(ctx.session_js(s)),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn user(&self) -> JsValue {
        self.slot(|_, r| match &r.user {
            Slot::Undefined => Slot::Undefined,
            Slot::Null => Slot::Null,
            Slot::Value(u) => Slot::Value(convert::user_to_js(u)),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn organization(&self) -> JsValue {
        self.slot(|_, r| match &r.organization {
            Slot::Undefined => Slot::Undefined,
            Slot::Null => Slot::Null,
            Slot::Value(o) => Slot::Value(convert::json_to_js(o)),
        })
    }

    #[wasm_bindgen(getter = isSignedIn)]
    pub fn is_signed_in(&self) -> bool {
        self.ctx.core.resources().session.value().is_some()
    }

    /// Calls `callback({client, session, user, organization})` now and on every change.
    /// Returns the function that unsubscribes it. A callback that throws is reported on the
    /// console and does not stop the others.
    #[wasm_bindgen(js_name = addListener)]
    pub fn add_listener(&self, callback: js_sys::Function) -> js_sys::Function {
        let weak: Weak<Context> = Rc::downgrade(&self.ctx);
        let id = self.ctx.core.add_listener(Rc::new(move |resources: &Resources| {
            let Some(ctx) = weak.upgrade() else { return Ok(()) };
            callback.call1(&JsValue::NULL, &ctx.resources_js(resources)).map(drop).map_err(|e| {
                web_sys::console::error_2(&"clerk-rs: a listener threw".into(), &e);
                convert::thrown_message(&e).unwrap_or_else(|| "listener threw".into())
            })
        }));
        let core = self.ctx.core.clone();
        Closure::<dyn FnMut()>::new(move || core.remove_listener(id)).into_js_value().unchecked_into()
    }

    /// `setActive({session, organization, beforeEmit})`: `session` is a Session, an id or
    /// `null` (sign out of the current session); `organization` an Organization, an id or slug,
    /// or `null` (personal account). Rejects with beforeEmit's own error if it throws; the
    /// switch is completed first (see the core's `set_active`).
    #[wasm_bindgen(js_name = setActive)]
    pub fn set_active(&self, params: JsValue) -> js_sys::Promise {
        if !params.is_object() {
            return rejected(ClerkError::invalid_argument("setActive needs {session?, organization?, beforeEmit?}"));
        }
        let session = match convert::selection(&get(&params, "session"), "session") {
            Ok(s) => s,
            Err(e) => return rejected(e),
        };
        let organization = match convert::selection(&get(&params, "organization"), "organization") {
            Ok(o) => o,
            Err(e) => return rejected(e),
        };
        self.set_active_with(session, organization, get(&params, "beforeEmit"))
    }

    /// Deprecated: `setSession(session, beforeEmit)` is `setActive({session, beforeEmit})`.
    #[wasm_bindgen(js_name = setSession)]
    pub fn set_session(&self, session: JsValue, before_emit: JsValue) -> js_sys::Promise {
        if !self.ctx.warned_set_session.replace(true) {
            web_sys::console::warn_1(&"Clerk: setSession() is deprecated; use setActive({ session, beforeEmit }) instead.".into());
        }
        match convert::selection(&session, "session") {
            Ok(session) => self.set_active_with(session, Selection::Keep, before_emit),
            Err(e) => rejected(e),
        }
    }

    /// `signOut()` signs out of every session; `signOut({sessionId})` of one.
    #[wasm_bindgen(js_name = signOut)]
    pub fn sign_out(&self, options: JsValue) -> js_sys::Promise {
        let session_id = get_string(&options, "sessionId");
        let ctx = self.ctx.clone();
        promise(async move {
            ctx.core.sign_out(session_id.as_deref()).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
