//! Differential test: the crate's own base64 codec (src/base64.rs) against the `base64` crate it
//! replaced, for each engine configuration the library uses. Verdicts (the decoded bytes, or an
//! error) and encodings must be identical:
//! * every input of length 0..=5 over a reduced set of bytes: symbols of both alphabets chosen
//!   for their low bits (trailing-bit checks), `=`, and bytes outside every alphabet;
//! * thousands of pseudo-random byte strings (fixed-seed xorshift), encoded by the crate, checked
//!   as they are and after a random mutation.

// The module is private to the library (it is not part of the API), so compile its file here.
#[path = "../src/base64.rs"]
#[allow(dead_code)]
mod ours;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Each engine of ours with the `base64` crate's engine the library used before it.
fn engines() -> [(&'static str, ours::Engine, GeneralPurpose); 3] {
    [
        ("STANDARD", ours::STANDARD, STANDARD),
        (
            "STANDARD_INDIFFERENT",
            ours::STANDARD_INDIFFERENT,
            GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent)),
        ),
        (
            "URL_SAFE_NO_PAD_INDIFFERENT",
            ours::URL_SAFE_NO_PAD_INDIFFERENT,
            GeneralPurpose::new(
                &alphabet::URL_SAFE,
                GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
            ),
        ),
    ]
}

/// Decodes `input` with both, panics if they disagree, and returns whether it was accepted.
fn agree(name: &str, ours: &ours::Engine, theirs: &GeneralPurpose, input: &[u8]) -> bool {
    let mine = ours.decode(input);
    let crate_ = theirs.decode(input);
    assert_eq!(
        mine.as_ref().ok(),
        crate_.as_ref().ok(),
        "{name}: input {:?} ({input:?}): ours {mine:?}, base64 crate {crate_:?}",
        String::from_utf8_lossy(input),
    );
    mine.is_ok()
}

#[test]
fn every_short_input_over_a_reduced_byte_set() {
    // A=0, B=1, E=4, Q=16, w=48: zero and non-zero low 2 and 4 bits, for the last-symbol checks.
    // + / only in the standard alphabet, - _ only in the URL-safe one; space, NUL and 0xFF in
    // neither.
    const BYTES: &[u8] = b"ABEQw+/-_= \0\xFF";
    for (name, ours, theirs) in engines() {
        let mut accepted = 0usize;
        let mut total = 0usize;
        for len in 0..=5u32 {
            for mut n in 0..BYTES.len().pow(len) {
                let mut input = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    input.push(BYTES[n % BYTES.len()]);
                    n /= BYTES.len();
                }
                accepted += usize::from(agree(name, &ours, &theirs, &input));
                total += 1;
            }
        }
        // Both verdicts are well represented, so agreement is not vacuous.
        assert!(accepted > 1000 && total - accepted > 1000, "{name}: {accepted}/{total}");
        eprintln!("{name}: {total} inputs of length 0..=5, {accepted} accepted by both");
    }
}

/// Marsaglia's xorshift64: deterministic, and no `rand` dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes a mutation inserts or substitutes: some of every kind (either alphabet, `=`, invalid).
const MUTATION_BYTES: &[u8] = b"AQgw09+/-_==  \n\r\0\x80\xFF.*";

/// One random change to a valid encoding (sometimes none).
fn mutate(rng: &mut XorShift, encoded: &mut Vec<u8>) {
    let len = encoded.len();
    let any_byte = |rng: &mut XorShift| {
        if rng.below(2) == 0 { MUTATION_BYTES[rng.below(MUTATION_BYTES.len())] } else { rng.next() as u8 }
    };
    match rng.below(10) {
        0 => {} // unchanged
        1 if len > 0 => {
            let at = rng.below(len);
            encoded[at] = any_byte(rng);
        }
        2 => {
            let at = rng.below(len + 1);
            let byte = any_byte(rng);
            encoded.insert(at, byte);
        }
        3 if len > 0 => {
            encoded.remove(rng.below(len));
        }
        4 => encoded.truncate(rng.below(len + 1)),
        5 => {
            for _ in 0..=rng.below(3) {
                encoded.push(b'=');
            }
        }
        6 => {
            while encoded.last() == Some(&b'=') {
                encoded.pop();
            }
        }
        // The other alphabet's symbols for 62 and 63.
        7 => {
            for byte in encoded.iter_mut() {
                *byte = match *byte {
                    b'+' => b'-',
                    b'/' => b'_',
                    b'-' => b'+',
                    b'_' => b'/',
                    other => other,
                };
            }
        }
        // Change only the last symbol (before any padding): the trailing-bit check.
        8 => {
            if let Some(at) = encoded.iter().rposition(|&b| b != b'=') {
                encoded[at] = MUTATION_BYTES[rng.below(10)];
            }
        }
        _ => {
            // A second mutation.
            mutate(rng, encoded);
            mutate(rng, encoded);
        }
    }
}

#[test]
fn random_encodings_and_their_mutations() {
    const CASES: usize = 5000;
    for (name, ours, theirs) in engines() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0usize;
        for _ in 0..CASES {
            let len = rng.below(70);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();

            let encoded = theirs.encode(&bytes);
            assert_eq!(ours.encode(&bytes), encoded, "{name}: encoding {bytes:?}");
            assert_eq!(ours.decode(encoded.as_bytes()), Ok(bytes), "{name}: {encoded}");

            let mut mutated = encoded.into_bytes();
            mutate(&mut rng, &mut mutated);
            accepted += usize::from(agree(name, &ours, &theirs, &mutated));
        }
        assert!(accepted > CASES / 10 && accepted < CASES * 9 / 10, "{name}: {accepted}/{CASES}");
        eprintln!("{name}: {CASES} random encodings, mutated: {accepted} accepted by both");
    }
}

#[test]
fn encodings_of_every_short_length() {
    // Every padding shape (0, 1 and 2 bytes in the last group) with all-zero and all-one bits.
    for (name, ours, theirs) in engines() {
        for len in 0..=9 {
            for fill in [0x00, 0xFF, 0xA5] {
                let bytes = vec![fill; len];
                assert_eq!(ours.encode(&bytes), theirs.encode(&bytes), "{name}: {bytes:?}");
            }
        }
    }
}
