//! A small, fast Clerk-compatible authentication client.
//!
//! [`core`] is plain Rust: state, resources, the token cache and events, with time, HTTP and
//! storage behind small traits so every behaviour is tested natively. `wasm` is the thin
//! `wasm-bindgen` layer that converts JS values and forwards to the core.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
