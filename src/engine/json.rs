//! The library's JSON: a value type, a strict parser and a writer, and nothing else.
//!
//! Why not serde_json: in the wasm bundle serde's generic visitors, serde_json and the float
//! formatting its error messages pull in cost about 60 KB, a fifth of the library. The core
//! reads a handful of fields from a few resources; the rest is handed to JS as it came.
//!
//! Numbers keep their JSON text ([`Json::Number`]): the core only ever reads integers
//! (timestamps, claims) and JS parses the others, so no float parsing or printing is linked.
//! Objects keep their keys in document order, like `JSON.parse`; a repeated key's last value
//! wins, as in `JSON.parse`.

use super::text::decimal;
use std::fmt;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    /// The number as written, already checked against JSON's number grammar.
    Number(Box<str>),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Where and why a text is not JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub reason: &'static str,
    /// Byte offset in the text.
    pub at: usize,
}

impl JsonError {
    /// What `Display` shows, without `core::fmt` (see [`super::text`]).
    pub fn message(&self) -> String {
        [self.reason, " at byte ", &decimal(self.at as u64)].concat()
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for JsonError {}

impl Json {
    /// Parses a complete JSON text (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut parser = Parser { bytes: text.as_bytes(), pos: 0 };
        let value = parser.value(0)?;
        parser.skip_whitespace();
        if parser.pos != parser.bytes.len() {
            return Err(parser.error("trailing characters"));
        }
        Ok(value)
    }

    /// The value of `key` when this is an object that has it (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The `index`th item when this is an array that long.
    pub fn at(&self, index: usize) -> Option<&Json> {
        self.as_array()?.get(index)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// An integer number (no fraction, no exponent) that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// A string value, or `Null` for `None`.
    pub fn string_or_null(value: Option<&str>) -> Json {
        value.map_or(Json::Null, |s| Json::String(s.to_owned()))
    }

    /// The compact JSON text of this value.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

pub(crate) fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError { reason, at: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_word("null", Json::Null),
            Some(b't') => self.expect_word("true", Json::Bool(true)),
            Some(b'f') => self.expect_word("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected , or ] in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.pos += 1; // {
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(entries));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected : after key"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                _ => return Err(self.error("expected , or } in object")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        // The grammar above only admits ASCII, so this slice is on char boundaries.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| self.error("invalid number"))?;
        Ok(Json::Number(text.into()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut value = 0;
        for &d in digits {
            let nibble = (d as char).to_digit(16).ok_or_else(|| self.error("invalid \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go. The input is a &str and the run
            // stops only at ASCII bytes, so it is valid UTF-8 on its own.
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| self.error("invalid UTF-8"))?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair. A lone surrogate cannot be held
    /// in a Rust string and becomes U+FFFD, as `TextDecoder` does.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            self.pos = save; // not a pair: the second escape stands on its own
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

/// Builds a JSON object from `(key, value)` pairs.
pub fn object<const N: usize>(entries: [(&str, Json); N]) -> Json {
    Json::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Why a JSON value is not the resource it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub field: &'static str,
    pub expected: &'static str,
}

impl DecodeError {
    /// What `Display` shows, without `core::fmt` (see [`super::text`]).
    pub fn message(&self) -> String {
        ["`", self.field, "` should be ", self.expected].concat()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for DecodeError {}

/// Typed reads of an object's fields. Absent and `null` are the same (`None`); a value of
/// the wrong type is an error, so a protocol mismatch is reported rather than ignored.
pub trait Fields {
    fn required_str(&self, field: &'static str) -> Result<String, DecodeError>;
    fn optional_str(&self, field: &'static str) -> Result<Option<String>, DecodeError>;
    fn optional_i64(&self, field: &'static str) -> Result<Option<i64>, DecodeError>;
    /// An object or array kept as JSON.
    fn optional_json(&self, field: &'static str) -> Option<Json>;
}

impl Fields for Json {
    fn required_str(&self, field: &'static str) -> Result<String, DecodeError> {
        self.optional_str(field)?.ok_or(DecodeError { field, expected: "a string" })
    }

    fn optional_str(&self, field: &'static str) -> Result<Option<String>, DecodeError> {
        match self.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(DecodeError { field, expected: "a string" }),
        }
    }

    fn optional_i64(&self, field: &'static str) -> Result<Option<i64>, DecodeError> {
        match self.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(DecodeError { field, expected: "an integer" }),
        }
    }

    fn optional_json(&self, field: &'static str) -> Option<Json> {
        self.get(field).filter(|v| !v.is_null()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back_every_kind_of_value() {
        let text = r#"{"a":[1,-2.5e3,true,false,null],"b":{"c":"d\"\\\n\u00e9\ud83d\ude00"},"e":0}"#;
        let value = Json::parse(text).unwrap();
        assert_eq!(value.get("e").and_then(Json::as_i64), Some(0));
        assert_eq!(value.get("a").and_then(|a| a.at(1)), Some(&Json::Number("-2.5e3".into())));
        assert_eq!(value.get("b").and_then(|b| b.get("c")).and_then(Json::as_str), Some("d\"\\\né😀"));
        let again = Json::parse(&value.to_text()).unwrap();
        assert_eq!(again, value);
    }

    #[test]
    fn refuses_what_json_parse_refuses() {
        for bad in
            ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "1e", "\"\u{1}\"", "\"\\x\"", "nul", "{} x", "[1 2]", "{1:2}", "\"\\u12\""]
        {
            assert!(Json::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(Json::parse(&deep).unwrap_err().reason, "nesting too deep");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_ok());
    }

    #[test]
    fn repeated_keys_last_wins_like_json_parse() {
        let value = Json::parse(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(value.get("k").and_then(Json::as_i64), Some(2));
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let value = Json::parse(r#""\ud800x\udc00""#).unwrap();
        assert_eq!(value.as_str(), Some("\u{FFFD}x\u{FFFD}"));
    }

    #[test]
    fn integers_only_when_they_fit() {
        assert_eq!(Json::parse("1700000000000").unwrap().as_i64(), Some(1_700_000_000_000));
        assert_eq!(Json::parse("1.5").unwrap().as_i64(), None);
        assert_eq!(Json::parse("99999999999999999999").unwrap().as_i64(), None);
    }

    #[test]
    fn escapes_control_characters_when_writing() {
        assert_eq!(Json::String("a\u{1}\t\"".into()).to_text(), r#""a\u0001\t\"""#);
    }
}
