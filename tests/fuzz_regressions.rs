//! Replays the `fapi` fuzz inputs kept in the repository, the findings and hostile samples
//! (`fuzz/regressions/fapi/`) and the seeds (`fuzz/seeds/fapi/`), through the target's input
//! mapping (`fuzz/shared/fapi.rs`) and `clerk_rs::engine::decode_untrusted`, in plain `cargo test`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/shared/bytes.rs"]
mod bytes;
#[path = "../fuzz/shared/fapi.rs"]
mod fapi;

use std::path::Path;

#[test]
fn fapi_inputs_replay_without_panics() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = Vec::new();
    for dir in ["regressions/fapi", "seeds/fapi"] {
        let mut paths: Vec<_> =
            std::fs::read_dir(fuzz.join(dir)).unwrap_or_else(|e| panic!("fuzz/{dir}: {e}")).map(|entry| entry.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            // A panic fails the test; the name says which input.
            eprintln!("replaying {}", path.display());
            clerk_rs::engine::decode_untrusted(&fapi::text(&data));
            replayed.push(path);
        }
    }
    assert!(
        replayed.iter().any(|p| p.starts_with(fuzz.join("regressions"))) && replayed.len() >= 10,
        "expected the regressions and the seeds, replayed {replayed:?}"
    );
}
