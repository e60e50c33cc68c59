//! JWT decoding and verification: `decode_unverified`, `payload_json`,
//! `verify_and_validate` and `verify_with_key_set` with a fixed key (see shared/jwt.rs).
#![no_main]

#[path = "../shared/bytes.rs"]
mod bytes;
#[path = "../shared/jwt.rs"]
mod jwt;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let case = jwt::case(data);
    // CLERK_FUZZ_DUMP=1 cargo fuzz run jwt <input>: the token and options an input stands for.
    if std::env::var_os("CLERK_FUZZ_DUMP").is_some() {
        eprintln!("token: {}\noptions: {:?}", case.token, case.options);
    }
    jwt::check(&case);
});
