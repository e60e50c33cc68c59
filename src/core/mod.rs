//! The framework-free core: no JS types, time and HTTP behind traits.

// `ClerkError` carries the server's whole error envelope (it is what JS receives); errors are
// rare and the wasm target is 32-bit, so it is returned by value rather than boxed.
#![allow(clippy::result_large_err)]

pub mod authz;
pub mod clerk;
pub mod error;
pub mod fapi;
pub mod platform;
pub mod resources;
mod sync;
pub mod tokens;

pub use authz::{AuthorizationParams, FactorLevel, Reverification};
pub use clerk::{BeforeEmit, Clerk, ClerkOptions, GetTokenOptions, Listener, Platform, Resources, Selection, Slot};
pub use error::{ApiErrorItem, ClerkError, Result};
pub use fapi::Verb;
pub use platform::{Broadcast, Clock, HttpRequest, NoBroadcast, HttpResponse, MemoryStorage, Method, Spawner, Storage, Transport, TransportError};
pub use resources::{Client, Json, Session};
