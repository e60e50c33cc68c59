//! The framework-free core: no JS types, time and HTTP behind traits.

// `ClerkError` carries the server's whole error envelope (it is what JS receives); errors are
// rare and the wasm target is 32-bit, so it is returned by value rather than boxed.
#![allow(clippy::result_large_err)]

pub mod authz;
pub mod clerk;
mod attempts;
mod client_ops;
mod set_active;
mod token_ops;
pub mod ops;
pub mod params;
mod snapshot;
mod task;
mod listeners;
mod refresh;
mod state;
pub mod view;
pub mod error;
pub mod fapi;
mod form;
pub mod json;
pub mod platform;
pub mod resources;
mod shared;
pub mod small_map;
mod sync;
pub mod text;
pub mod tokens;

pub use authz::{AuthorizationParams, FactorLevel, Reverification};
pub use ops::{Call, Query};
pub use clerk::{BeforeEmit, Clerk, ClerkOptions, GetTokenOptions, Listener, Platform, Resources, Selection, Slot};
pub use error::{ApiErrorItem, ClerkError, Result};
pub use fapi::Verb;
pub use platform::{Broadcast, Clock, HttpRequest, NoBroadcast, HttpResponse, MemoryStorage, Method, Spawner, Storage, Transport, TransportError};
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
