//! A small, fast Clerk-compatible authentication client.
//!
//! [`engine`] is plain Rust: state, resources, the token cache and events, with time, HTTP and
//! storage behind small traits so every behaviour is tested natively. `wasm` is the thin
//! `wasm-bindgen` layer that converts JS values and forwards to the core.

pub mod engine;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

// lol_alloc's free list instead of talc (and Rust's default dlmalloc): the smallest allocator
// that reuses freed memory, measured −632 B gzip against talc in the release package. Its free
// list is searched linearly; the library holds few, small allocations, and the bounded soak in
// `make test` (tests/js/soak.mjs) checks that wasm memory stays flat over long use.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: the browser runs this module on one thread; the library never shares its memory.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
