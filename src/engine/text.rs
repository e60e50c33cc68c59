//! Text without `core::fmt`. The shipped wasm never formats: the formatting machinery and the
//! argument tables each `format!` builds cost about 2 KB gzip, for messages and paths that are
//! only strings and small numbers glued together. The library builds them with `[..].concat()`
//! and [`decimal`]; `.ci/build-package` fails if `core::fmt` comes back into the wasm.
//! (Tests, `Display` impls for native callers and debug-only code may format freely.)

/// `n` in decimal.
pub fn decimal(mut n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
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
