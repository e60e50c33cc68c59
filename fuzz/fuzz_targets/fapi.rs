//! Frontend API response decoding: `clerk_rs::engine::decode_untrusted` runs every decoder the core
//! applies to bytes it does not control (see shared/fapi.rs).
#![no_main]

#[path = "../shared/bytes.rs"]
mod bytes;
#[path = "../shared/fapi.rs"]
mod fapi;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_rs::engine::decode_untrusted(&fapi::text(data));
});
