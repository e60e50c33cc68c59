//! The claims of a Clerk session token (v2 format).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The payload of a Clerk session token.
///
/// Field names are Clerk's wire names. Unknown claims (JWT-template custom claims, `jti`,
/// `pla`, ...) are kept in [`extra`](Self::extra), so decoding and re-encoding is lossless.
///
/// `iss`, `iat` and `nbf` default to `""`/`0` when absent, because @clerk/backend treats them as
/// optional too (and an `nbf` of 0 means exactly "no lower bound"). `sub` and `exp` are required.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct SessionClaims {
    /// The user id (`user_...`).
    pub sub: String,
    /// The session id (`sess_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The Frontend API URL of the instance.
    #[serde(default)]
    pub iss: String,
    /// The authorized party: the Origin of the Frontend API request that minted the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: i64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: i64,
    /// Token format version: `2` for Clerk's current format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    /// Factor verification age: minutes since the first and second factor were last verified;
    /// `-1` means never (or no second factor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fva: Option<[i64; 2]>,
    /// Session status; only present for sessions that are not simply active (e.g. `"pending"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<String>,
    /// Actor, when impersonating: `{iss, sid, sub}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Value>,
    /// The active organization, in v2's compact form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<OrgClaim>,
    /// Enabled features with their scope, comma-separated (`"o:posts,u:beta"`). Clerk's SDKs need
    /// the org-scoped ones to turn `o.per`/`o.fpm` into permission keys; see [`OrgPermissions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// Every other claim, e.g. custom claims from a JWT template. Entries named like one of the
    /// fields above are not serialized: like Clerk, templates cannot override default claims.
    #[serde(flatten, serialize_with = "serialize_extra")]
    pub extra: Map<String, Value>,
}

/// The claims [`SessionClaims`] has fields for.
const DEFAULT_CLAIMS: [&str; 13] = ["sub", "sid", "iss", "azp", "exp", "iat", "nbf", "v", "fva", "sts", "act", "o", "fea"];

// Without this filter a template claim such as `"sub"` would be written after the real one, and
// JSON parsers keep the last duplicate: it would replace the user id.
fn serialize_extra<S: serde::Serializer>(extra: &Map<String, Value>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(extra.iter().filter(|(name, _)| !DEFAULT_CLAIMS.contains(&name.as_str())))
}

impl SessionClaims {
    /// The active organization's role in its full form (`"org:admin"`), as Clerk's SDKs report it.
    pub fn org_role(&self) -> Option<String> {
        let rol = &self.o.as_ref()?.rol;
        (!rol.is_empty()).then(|| format!("org:{rol}"))
    }

    /// The active organization's permission keys (`"org:posts:read"`), decoded the way
    /// `@clerk/shared` does from `o.per`, `o.fpm` and the org-scoped entries of `fea`.
    /// Empty without an active organization.
    pub fn org_permissions(&self) -> Vec<String> {
        match &self.o {
            Some(o) => OrgPermissions { per: o.per.clone(), fpm: o.fpm.clone(), fea: self.fea.clone().unwrap_or_default() }.decode(),
            None => Vec::new(),
        }
    }
}

/// The `o` claim: the active organization in Clerk's compact v2 form.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct OrgClaim {
    /// Organization id (`org_...`).
    pub id: String,
    /// Role without the `org:` prefix (`"admin"`).
    #[serde(default)]
    pub rol: String,
    /// Organization slug.
    #[serde(default)]
    pub slg: String,
    /// Permission names without their `org:<feature>:` prefix, comma-separated (`"read,manage"`).
    #[serde(default)]
    pub per: String,
    /// Feature-permission map: one decimal bitmask per org-scoped feature in `fea` (in order),
    /// comma-separated; bit `i` (least significant first) grants the `i`-th name in `per`.
    #[serde(default)]
    pub fpm: String,
}

/// Clerk v2's compact encoding of organization permissions, spread over `o.per`, `o.fpm` and
/// `fea`. Build it from permission keys with [`OrgPermissions::encode`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OrgPermissions {
    /// For [`OrgClaim::per`].
    pub per: String,
    /// For [`OrgClaim::fpm`].
    pub fpm: String,
    /// The org-scoped features (`"o:posts,o:billing"`), for [`SessionClaims::fea`].
    pub fea: String,
}

impl OrgPermissions {
    /// Encodes permission keys of the form `org:<feature>:<permission>`. Keys not of that form
    /// cannot be expressed in a v2 token and are skipped.
    pub fn encode<S: AsRef<str>>(permission_keys: &[S]) -> Self {
        let mut features: Vec<&str> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        let mut grants: Vec<(usize, usize)> = Vec::new();
        for key in permission_keys {
            let Some((feature, name)) = split_permission_key(key.as_ref()) else {
                continue;
            };
            let f = index_of_or_push(&mut features, feature);
            let n = index_of_or_push(&mut names, name);
            grants.push((f, n));
        }
        let fpm = (0..features.len())
            .map(|f| {
                let bits: Vec<bool> = (0..names.len()).map(|n| grants.contains(&(f, n))).collect();
                bits_to_decimal(&bits)
            })
            .collect::<Vec<_>>()
            .join(",");
        let fea = features.iter().map(|f| format!("o:{f}")).collect::<Vec<_>>().join(",");
        Self { per: names.join(","), fpm, fea }
    }

    /// Decodes back to permission keys, mirroring `@clerk/shared`'s `parsePermissions` and
    /// `buildOrgPermissions`: only `o`/`ou`/`uo`-scoped features count, and malformed parts are
    /// ignored rather than rejected.
    pub fn decode(&self) -> Vec<String> {
        if self.per.is_empty() || self.fpm.is_empty() {
            return Vec::new();
        }
        let names: Vec<&str> = self.per.split(',').map(str::trim).collect();
        let features = self.fea.split(',').filter_map(|part| {
            let (scope, value) = part.trim().split_once(':')?;
            matches!(scope, "o" | "ou" | "uo").then_some(value)
        });
        let mut keys = Vec::new();
        for (feature, mask) in features.zip(self.fpm.split(',')) {
            let bits = decimal_to_bits(mask.trim()).unwrap_or_default();
            for (name, granted) in names.iter().zip(bits) {
                if granted {
                    keys.push(format!("org:{feature}:{name}"));
                }
            }
        }
        keys
    }
}

fn split_permission_key(key: &str) -> Option<(&str, &str)> {
    let (feature, name) = key.strip_prefix("org:")?.split_once(':')?;
    let valid = |s: &str| !s.is_empty() && !s.contains([',', ':']);
    (valid(feature) && valid(name)).then_some((feature, name))
}

fn index_of_or_push<'a>(items: &mut Vec<&'a str>, item: &'a str) -> usize {
    items.iter().position(|i| *i == item).unwrap_or_else(|| {
        items.push(item);
        items.len() - 1
    })
}

/// Bits (least significant first) to a decimal string of any length: the masks grow with the
/// number of distinct permission names, which has no fixed bound.
fn bits_to_decimal(bits: &[bool]) -> String {
    // Little-endian base-10 digits; Horner's scheme from the most significant bit.
    let mut digits: Vec<u8> = vec![0];
    for &bit in bits.iter().rev() {
        let mut carry = u8::from(bit);
        for d in digits.iter_mut() {
            let v = *d * 2 + carry;
            *d = v % 10;
            carry = v / 10;
        }
        if carry > 0 {
            digits.push(carry);
        }
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// A decimal string of any length to bits, least significant first; `None` if not all digits.
fn decimal_to_bits(decimal: &str) -> Option<Vec<bool>> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: Vec<u8> = decimal.bytes().map(|b| b - b'0').collect();
    let mut bits = Vec::new();
    while digits.iter().any(|&d| d != 0) {
        // Long division by two, most significant digit first.
        let mut remainder = 0;
        for d in digits.iter_mut() {
            let v = remainder * 10 + *d;
            *d = v / 2;
            remainder = v % 2;
        }
        bits.push(remainder == 1);
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversions_round_trip() {
        assert_eq!(bits_to_decimal(&[]), "0");
        assert_eq!(bits_to_decimal(&[true, true]), "3");
        assert_eq!(bits_to_decimal(&[false, true]), "2");
        let mut many = vec![false; 130];
        many[129] = true;
        many[0] = true;
        let decimal = bits_to_decimal(&many);
        assert_eq!(decimal, "680564733841876926926749214863536422913"); // 2^129 + 1
        let back = decimal_to_bits(&decimal).unwrap();
        assert_eq!(back.len(), 130);
        assert!(back[0] && back[129] && back[1..129].iter().all(|b| !b));
        assert_eq!(decimal_to_bits("12x"), None);
        assert_eq!(decimal_to_bits("0"), Some(vec![]));
    }
}
