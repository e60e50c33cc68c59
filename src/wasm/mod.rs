//! The `wasm-bindgen` boundary: one `Engine` class whose inputs take and return JSON text, and
//! the synchronous reads the page lends it (`host`). No behaviour and no I/O live here: the
//! engine (`crate::engine`) decides, and the object layer's driver (`pkg-template/src/driver.ts`)
//! performs the commands and shapes the clerk-js classes from the engine's snapshots.

mod engine;
pub mod host;

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
        std::panic::set_hook(Box::new(|info| host::console_error(&format!("clerk-rs panicked: {info}"))));
    });
}
