//! The framework-free core: no JS types and no I/O; inputs in, commands out ([`machine`]).

// `ClerkError` carries the server's whole error envelope (it is what JS receives); errors are
// rare and the wasm target is 32-bit, so it is returned by value rather than boxed.
#![allow(clippy::result_large_err)]

mod attempts;
pub mod authz;
pub mod clerk;
mod client_ops;
pub mod cookies;
pub mod error;
mod exchange;
pub mod fapi;
mod flow;
mod form;
pub mod json;
mod listeners;
pub mod machine;
pub mod ops;
pub mod params;
pub mod platform;
pub mod port;
mod refresh;
pub mod resource;
pub mod resources;
mod set_active;
pub mod small_map;
mod snapshot;
mod state;
mod sync;
pub mod text;
mod token_ops;
pub mod tokens;
pub mod view;

pub use authz::{AuthorizationParams, FactorLevel, Reverification};
pub use clerk::{Clerk, ClerkOptions, GetTokenOptions, Listener, Resources, Selection, Slot};
pub use cookies::{CookieJar, NoCookies, PageLocation};
pub use error::{ApiErrorItem, ClerkError, Result};
pub use fapi::Verb;
pub use machine::Machine;
pub use ops::{Call, Query};
pub use platform::{Body, HttpRequest, HttpResponse, Method};
pub use port::{Command, PageReads};
pub use resources::{Client, Json, Session};

/// Runs every decoder the core applies to bytes it does not control (Frontend API bodies, error
/// envelopes, tokens, messages from other tabs). None may panic, whatever the input: this is
/// what `fuzz/` drives and what its regression tests replay.
#[doc(hidden)]
pub fn decode_untrusted(text: &str) {
    let _ = resources::decode_any(text);
    let _ = ClerkError::from_response(400, text, None);
    let _ = sync::parse_message(text);
    let _ = tokens::cached_token(text, 0, tokens::Minted::AtSomePoint);
}
