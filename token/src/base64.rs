//! A small base64 (RFC 4648) codec: the standard (`+` `/`) and URL-safe (`-` `_`) alphabets, with
//! exactly the acceptance rules of the `base64` crate's `GeneralPurpose` engines this crate used
//! before (a differential test, `tests/base64_agrees.rs`, checks that against the crate).
//!
//! It replaces the crate because the wasm library pays for every byte: the crate's engine is
//! built for throughput (unrolled loops, large tables), while session tokens and publishable keys
//! are a few hundred bytes. Here decoding looks symbols up with a few comparisons, not a table.
//!
//! Decoding accepts `input` if and only if all of these hold:
//! * Apart from a run of `=` at the very end, every byte is in the alphabet: no whitespace, no
//!   symbol of the other alphabet, no `=` in the middle.
//! * The symbols before the padding do not leave a single one over (`len % 4 != 1`): one symbol
//!   holds 6 bits, less than a byte.
//! * Padding, if any, completes the last group of 4 and no more: `xx=`, `xx==`, `xxx=`, never
//!   `x=`, `xxxx=` or `xxx==`. Engines with [`DecodePadding::Canonical`] also require it
//!   whenever the last group is short (so the input length is a multiple of 4); engines with
//!   [`DecodePadding::Indifferent`] take the last group padded or not.
//! * The bits of the last symbol that do not make a whole byte are zero ("canonical" encoding):
//!   `QQ` is `A` (0x41), but `QR` would decode to the same byte and is refused.

use std::fmt;

/// Symbols of the standard alphabet, by value.
const STANDARD_SYMBOLS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Symbols of the URL-safe alphabet, by value: the standard one with `-` `_` for `+` `/`.
const URL_SAFE_SYMBOLS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const PAD: u8 = b'=';

/// How a decoder treats `=` padding. Padding that is present must be correct in both modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodePadding {
    /// The last group must be padded to 4 symbols (the `base64` crate's `RequireCanonical`).
    Canonical,
    /// The last group may or may not be padded (the `base64` crate's `Indifferent`).
    Indifferent,
}

/// An alphabet with its padding rules for encoding and decoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Engine {
    symbols: &'static [u8; 64],
    /// Whether [`encode`](Self::encode) pads the last group with `=`.
    encode_padding: bool,
    decode_padding: DecodePadding,
}

/// Standard alphabet; pads when encoding and requires padding when decoding (the `base64`
/// crate's `general_purpose::STANDARD`). PEM bodies and, when encoding, publishable keys.
pub(crate) const STANDARD: Engine = Engine { symbols: STANDARD_SYMBOLS, encode_padding: true, decode_padding: DecodePadding::Canonical };

/// Standard alphabet, padding optional when decoding: clerk-js emits and accepts publishable
/// keys with or without it.
pub(crate) const STANDARD_INDIFFERENT: Engine =
    Engine { symbols: STANDARD_SYMBOLS, encode_padding: true, decode_padding: DecodePadding::Indifferent };

/// base64url without padding when encoding, padding tolerated when decoding (like
/// @clerk/backend's loose parser): JWT segments and JWK numbers.
pub(crate) const URL_SAFE_NO_PAD_INDIFFERENT: Engine =
    Engine { symbols: URL_SAFE_SYMBOLS, encode_padding: false, decode_padding: DecodePadding::Indifferent };

/// Why input is not base64 under an engine's rules. Positions are left out so that the error
/// stays a plain value with static messages (no formatting in the wasm library's decode path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A byte outside the alphabet (including whitespace, or `=` before the end).
    InvalidSymbol,
    /// One symbol left over at the end: 6 bits, not a byte.
    InvalidLength,
    /// `=` padding where none fits, too much of it, or missing where the engine requires it.
    InvalidPadding,
    /// The last symbol has bits set beyond the last whole byte (a non-canonical encoding).
    TrailingBits,
}

impl DecodeError {
    /// A short description, for callers that build their own error messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InvalidSymbol => "a byte outside the base64 alphabet",
            Self::InvalidLength => "invalid length (one symbol left over)",
            Self::InvalidPadding => "invalid '=' padding",
            Self::TrailingBits => "the last symbol has unused bits set (non-canonical)",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for DecodeError {}

impl Engine {
    /// The 6-bit value of a symbol, or `None` outside the alphabet. The two alphabets share
    /// their first 62 symbols (`A-Z`, `a-z`, `0-9`, in ranges); only 62 and 63 differ.
    fn value(&self, byte: u8) -> Option<u8> {
        match byte {
            b'A'..=b'Z' => Some(byte - b'A'),
            b'a'..=b'z' => Some(byte - b'a' + 26),
            b'0'..=b'9' => Some(byte - b'0' + 52),
            _ if byte == self.symbols[62] => Some(62),
            _ if byte == self.symbols[63] => Some(63),
            _ => None,
        }
    }

    /// Decodes `input` (see the module documentation for what is accepted).
    pub(crate) fn decode(&self, input: &[u8]) -> Result<Vec<u8>, DecodeError> {
        // Split off the trailing run of `=`; any other `=` is an invalid symbol below. (A slice
        // pattern rather than indexing: no bounds check, so no panic path in wasm.)
        let mut symbols = input;
        while let [rest @ .., PAD] = symbols {
            symbols = rest;
        }
        let padding = input.len() - symbols.len();
        // Symbols in the last group: 0 (none, or a full group of 4), 2 or 3 (1 or 2 bytes).
        let last_group = symbols.len() % 4;
        if last_group == 1 {
            return Err(DecodeError::InvalidLength);
        }
        // Padding only completes a short last group to 4: `xx=`, `xx==`, `xxx=`.
        if padding > 0 && (last_group == 0 || last_group + padding > 4) {
            return Err(DecodeError::InvalidPadding);
        }
        // Canonical: the padding above must be all there, so whole groups of 4 in total.
        if self.decode_padding == DecodePadding::Canonical && !input.len().is_multiple_of(4) {
            return Err(DecodeError::InvalidPadding);
        }

        let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + 2);
        // `bits` (always < 8 between symbols) low bits of `acc` are decoded but not yet output.
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &byte in symbols {
            let value = self.value(byte).ok_or(DecodeError::InvalidSymbol)?;
            acc = (acc << 6) | u32::from(value);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        // Left over: 4 bits after 2 symbols, 2 after 3, none after full groups. They must be 0.
        if acc != 0 {
            return Err(DecodeError::TrailingBits);
        }
        Ok(out)
    }

    /// Encodes `input`, with `=` padding if the engine pads.
    pub(crate) fn encode(&self, input: impl AsRef<[u8]>) -> String {
        let input = input.as_ref();
        let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
        let symbol = |value: u32| char::from(self.symbols[(value & 63) as usize]);
        for chunk in input.chunks(3) {
            // The chunk's 1-3 bytes as the high bits of 24; missing bytes read as zero.
            let group = chunk.iter().enumerate().fold(0u32, |group, (i, &b)| group | u32::from(b) << (16 - 8 * i));
            // 1 byte needs 2 symbols, 2 bytes 3, 3 bytes 4.
            let needed = chunk.len() + 1;
            for i in 0..4 {
                if i < needed {
                    out.push(symbol(group >> (18 - 6 * i)));
                } else if self.encode_padding {
                    out.push(PAD as char);
                }
            }
        }
        out
    }
}
