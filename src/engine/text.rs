//! Text without `core::fmt`. The shipped wasm never formats: the formatting machinery and the
//! argument tables each `format!` builds cost about 2 KB gzip, for messages and paths that are
//! only strings and small numbers glued together. The library builds them with `[..].concat()`
//! and [`decimal`]; `.ci/build-package` fails if `core::fmt` comes back into the wasm.
//! (Tests, `Display` impls for native callers and debug-only code may format freely.)

/// `n` in decimal, appended to `out` (digits on the stack, no allocation of their own).
pub fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// `n` in decimal.
pub fn decimal(n: u64) -> String {
    let mut text = String::new();
    push_decimal(&mut text, n);
    text
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_agrees_with_display() {
        for n in [0, 1, 9, 10, 99, 100, 404, 429, 65_535, 1_000_000_007, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }
}
