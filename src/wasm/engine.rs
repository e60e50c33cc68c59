//! `Engine`: the only class the wasm exports. Arguments and results cross as JSON text (one
//! `JSON.parse` on the JS side, no per-field shims), operations are numbers
//! ([`crate::engine::Call`], [`crate::engine::Query`]), and errors are the JSON of
//! [`ClerkError::to_json`], which the object layer turns into clerk-js's error classes.

use super::install_panic_hook;
use super::platform::{BrowserClock, DocumentCookies, FetchTransport, LocalSpawner, LocalStorage, TabChannel, thrown_message};
use crate::engine::error::codes;
use crate::engine::{self, BeforeEmit, Call, ClerkError, ClerkOptions, Platform, Query, Session};
use futures::FutureExt;
use std::rc::Rc;
use std::task::{Context, Poll};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
pub struct Engine {
    clerk: engine::Clerk,
}

fn error_js(error: &ClerkError) -> JsValue {
    JsValue::from_str(&error.to_json().to_text())
}

impl Engine {
    /// An engine over any platform: how tests give it a scripted Frontend API.
    pub fn with_platform(publishable_key: &str, options: ClerkOptions, platform: Platform) -> Result<Engine, JsValue> {
        install_panic_hook();
        let clerk = engine::Clerk::new(publishable_key, options, platform).map_err(|e| error_js(&e))?;
        Ok(Engine { clerk })
    }

    pub fn clerk(&self) -> &engine::Clerk {
        &self.clerk
    }
}

/// `beforeEmit` as the engine calls it: with the new session's id (or `null`), awaited when it
/// returns a Promise. What it threw stays on the JS side (the object layer rethrows it).
fn before_emit(callback: js_sys::Function) -> BeforeEmit {
    Box::new(move |session: Option<Session>| {
        async move {
            let arg = session.map_or(JsValue::NULL, |s| JsValue::from_str(&s.id));
            let outcome = match callback.call1(&JsValue::NULL, &arg) {
                Ok(value) => JsFuture::from(js_sys::Promise::resolve(&value)).await.map(drop),
                Err(e) => Err(e),
            };
            outcome
                .map_err(|e| ClerkError::new(codes::BEFORE_EMIT_FAILED, thrown_message(&e).unwrap_or_else(|| "beforeEmit failed".into())))
        }
        .boxed_local()
    })
}

#[wasm_bindgen]
impl Engine {
    /// `new Engine(publishableKey, proxyUrl)`; throws the error JSON for a bad key or proxy URL.
    #[wasm_bindgen(constructor)]
    pub fn new(publishable_key: &str, proxy_url: Option<String>) -> Result<Engine, JsValue> {
        let page_origin = web_sys::window().and_then(|w| w.location().origin().ok());
        let tabs = Rc::new(TabChannel::open(&["clerk-rs:", publishable_key].concat()));
        let platform = Platform {
            transport: Rc::new(FetchTransport),
            clock: Rc::new(BrowserClock),
            storage: Rc::new(LocalStorage::new()),
            spawner: Rc::new(LocalSpawner),
            broadcast: tabs.clone(),
            cookies: Rc::new(DocumentCookies::default()),
        };
        let engine = Self::with_platform(publishable_key, ClerkOptions { proxy_url, page_origin }, platform)?;
        let weak = engine.clerk.downgrade();
        tabs.listen(move |message| {
            if let Some(clerk) = weak.upgrade() {
                clerk.receive_broadcast(&message);
            }
        });
        Ok(engine)
    }

    /// `onChange()` is called after every change of what the snapshot shows (the object
    /// layer re-reads it lazily).
    pub fn observe(&self, on_change: js_sys::Function) {
        self.clerk.set_on_change(Rc::new(move || {
            let _ = on_change.call0(&JsValue::NULL);
        }));
    }

    /// Runs an operation that may wait on the network: resolves to its JSON text, rejects
    /// with the error JSON.
    pub fn call(&self, op: u32, args: &str, callback: Option<js_sys::Function>) -> js_sys::Promise {
        let Some(op) = Call::from_code(op) else {
            return js_sys::Promise::reject(&error_js(&ClerkError::invalid_argument("Unknown operation")));
        };
        let (clerk, args) = (self.clerk.clone(), args.to_owned());
        let mut call = Box::pin(async move {
            match clerk.call(op, &args, callback.map(before_emit)).await {
                Ok(text) => Ok(JsValue::from_str(&text)),
                Err(e) => Err(error_js(&e)),
            }
        });
        // A getToken the cache answers is done at its first poll: answered here, it costs no
        // executor turn (the hot path of every authenticated fetch; 1.5x the calls per second).
        // Anything else goes on from where that poll left it, with the executor's waker.
        if op == Call::GetToken
            && let Poll::Ready(outcome) = call.as_mut().poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
        {
            return outcome.map_or_else(|e| js_sys::Promise::reject(&e), |v| js_sys::Promise::resolve(&v));
        }
        wasm_bindgen_futures::future_to_promise(call)
    }

    /// Runs an operation that answers at once; throws the error JSON.
    pub fn query(&self, op: u32, args: &str) -> Result<String, JsValue> {
        let op = Query::from_code(op).ok_or_else(|| error_js(&ClerkError::invalid_argument("Unknown operation")))?;
        self.clerk.query(op, args).map_err(|e| error_js(&e))
    }

    /// Calls `listener()` now and whenever the session, user or organization changes; returns
    /// its id for `unlisten`. A listener that throws is reported on the console and does not
    /// stop the others.
    pub fn listen(&self, listener: js_sys::Function) -> u32 {
        let id = self.clerk.add_listener(Rc::new(move |_| {
            listener.call0(&JsValue::NULL).map(drop).map_err(|e| {
                web_sys::console::error_2(&"clerk-rs: a listener threw".into(), &e);
                thrown_message(&e).unwrap_or_else(|| "listener threw".into())
            })
        }));
        id as u32
    }

    pub fn unlisten(&self, id: u32) {
        self.clerk.remove_listener(u64::from(id));
    }

    /// Stops everything (see the engine's `dispose`); the instance can then be freed.
    pub fn dispose(&self) {
        self.clerk.dispose();
    }
}
