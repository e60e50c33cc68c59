//! `Engine`: the only class the wasm exports, a [`Machine`] behind a few entry points. Each input
//! (`call`, `response`, `failure`, `timer`, `beforeEmitSettled`, `tabMessage`) carries the time
//! and returns the commands it produced as one JSON text, which the object
//! layer's driver performs (`pkg-template/src/driver.ts`). Operations are numbers
//! ([`crate::engine::Call`], [`crate::engine::Query`]), and errors are the JSON of
//! [`ClerkError::to_json`], which the object layer turns into clerk-js's error classes.

use super::host::{Host, HostPage, console_error_with, thrown_message};
use super::install_panic_hook;
use crate::engine::{Call, ClerkError, ClerkOptions, HttpResponse, Machine, Query};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Engine {
    machine: Machine,
}

fn error_js(error: &ClerkError) -> JsValue {
    JsValue::from_str(&error.to_json().to_text())
}

impl Engine {
    /// Every input starts here: the time, then the input, then its commands.
    fn input(&self, now: f64, input: impl FnOnce(&Machine)) -> String {
        self.machine.at(now as u64);
        input(&self.machine);
        self.machine.take()
    }
}

#[wasm_bindgen]
impl Engine {
    /// `new Engine(publishableKey, proxyUrl, host, now)`; throws the error JSON for a bad key
    /// or proxy URL.
    #[wasm_bindgen(constructor)]
    pub fn new(publishable_key: &str, proxy_url: Option<String>, host: Host, now: f64) -> Result<Engine, JsValue> {
        install_panic_hook();
        let page = Rc::new(HostPage::new(host));
        let options = ClerkOptions { proxy_url, page_origin: page.origin() };
        let machine = Machine::new(publishable_key, options, now as u64, page.clone(), page).map_err(|e| error_js(&e))?;
        Ok(Engine { machine })
    }

    /// Starts operation `op` as call `id`; it settles by a Resolve or Reject command.
    pub fn call(&self, now: f64, id: u32, op: u32, args: &str, has_before_emit: bool) -> String {
        self.input(now, |machine| match Call::from_code(op) {
            Some(op) => machine.call(id, op, args, has_before_emit),
            None => machine.refuse(id, ClerkError::invalid_argument("Unknown operation")),
        })
    }

    /// The answer to request `id`: its status, body and the two headers the engine reads. Flat
    /// arguments, as every input: nothing but numbers and strings crosses the boundary.
    #[allow(clippy::too_many_arguments)]
    pub fn response(
        &self,
        now: f64,
        id: u32,
        status: u16,
        body: String,
        dev_browser_jwt: Option<String>,
        retry_after: Option<String>,
    ) -> String {
        let retry_after = retry_after.and_then(|v| v.trim().parse().ok());
        self.input(now, |machine| machine.response(id, HttpResponse { status, body, dev_browser_jwt, retry_after }))
    }

    /// Request `id` failed below HTTP; `message` is what `fetch` rejected with.
    pub fn failure(&self, now: f64, id: u32, message: String) -> String {
        self.input(now, |machine| machine.failure(id, message))
    }

    pub fn timer(&self, now: f64, id: u32) -> String {
        self.input(now, |machine| machine.timer_fired(id))
    }

    /// `beforeEmit` of slot `slot` settled; `error` is the message of what it threw.
    #[wasm_bindgen(js_name = beforeEmitSettled)]
    pub fn before_emit_settled(&self, now: f64, slot: u32, error: Option<String>) -> String {
        self.input(now, |machine| machine.before_emit_settled(slot, error))
    }

    #[wasm_bindgen(js_name = tabMessage)]
    pub fn tab_message(&self, now: f64, message: &str) -> String {
        self.input(now, |machine| machine.tab_message(message))
    }

    /// Commands produced outside an input (by a listener that called in, say).
    pub fn take(&self) -> String {
        self.machine.take()
    }

    /// Runs an operation that answers at once; throws the error JSON.
    /// A query answers at once; it carries the time as inputs do (`isEligibleForTouch` reads it).
    pub fn query(&self, now: f64, op: u32, args: &str) -> Result<String, JsValue> {
        self.machine.at(now as u64);
        let op = Query::from_code(op).ok_or_else(|| error_js(&ClerkError::invalid_argument("Unknown operation")))?;
        self.machine.clerk().query(op, args).map_err(|e| error_js(&e))
    }

    /// `onChange()` is called after every change of what the snapshot shows (the object
    /// layer re-reads it lazily).
    pub fn observe(&self, on_change: js_sys::Function) {
        self.machine.clerk().set_on_change(Rc::new(move || {
            let _ = on_change.call0(&JsValue::NULL);
        }));
    }

    /// Calls `listener()` now and whenever the session, user or organization changes; returns
    /// its id for `unlisten`. A listener that throws is reported on the console and does not
    /// stop the others.
    pub fn listen(&self, listener: js_sys::Function) -> u32 {
        let id = self.machine.clerk().add_listener(Rc::new(move |_| {
            listener.call0(&JsValue::NULL).map(drop).map_err(|e| {
                console_error_with("clerk-rs: a listener threw", &e);
                thrown_message(&e).unwrap_or_else(|| "listener threw".into())
            })
        }));
        id as u32
    }

    pub fn unlisten(&self, id: u32) {
        self.machine.clerk().remove_listener(u64::from(id));
    }

    /// Stops everything (see [`Machine::dispose`]); returns the last commands (the rejections
    /// of calls under way, timers to clear). The instance can then be freed.
    pub fn dispose(&self) -> String {
        self.machine.dispose();
        self.machine.take()
    }
}
