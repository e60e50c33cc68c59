//! Publishable key parsing (see shared/publishable_key.rs).
#![no_main]

#[path = "../shared/bytes.rs"]
mod bytes;
#[path = "../shared/publishable_key.rs"]
mod publishable_key;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    publishable_key::check(&publishable_key::key_text(data));
});
