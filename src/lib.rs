//! A small, fast Clerk-compatible authentication client.
//!
//! [`engine`] is plain Rust: state, resources, the token cache and events, with time, HTTP and
//! storage behind small traits so every behaviour is tested natively. `wasm` is the thin
//! `wasm-bindgen` layer that converts JS values and forwards to the core.

pub mod engine;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

// Talc instead of Rust's default dlmalloc: the same job in fewer bytes of wasm.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
