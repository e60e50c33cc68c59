//! The `wasm-bindgen` boundary: one `Engine` class with a handful of entry points that take and
//! return JSON text, and the browser's implementations of the engine's platform traits. No
//! behaviour lives here: the engine (`crate::engine`) decides, and the object layer
//! (`pkg-template/src`, TypeScript) shapes the clerk-js classes from its snapshots.

mod engine;
pub mod platform;

pub use engine::Engine;

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
            web_sys::console::error_1(&wasm_bindgen::JsValue::from_str(&format!("clerk-rs panicked: {info}")));
        }));
    });
}
