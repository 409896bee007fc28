//! Migration versions: compared numerically, never as strings.

use std::cmp::Ordering;
use std::fmt;

/// A migration version such as `20240301120000`, `7` or Flyway's `1.2.3`.
///
/// Versions compare part by part as numbers of any length, so `2 < 10` and a 20-digit ORY
/// version is fine. Leading zeros do not count: `007` and `7` are the same version.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    /// Each numeric part without leading zeros ("0" stays "0").
    parts: Vec<String>,
}

impl Version {
    /// Parses digits optionally separated by `.` or `_` (Flyway's `V1_2__` means 1.2).
    pub fn parse(raw: &str) -> Option<Version> {
        if raw.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for part in raw.split(['.', '_']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let trimmed = part.trim_start_matches('0');
            parts.push(if trimmed.is_empty() { "0" } else { trimmed }.to_string());
        }
        Some(Version {
            raw: raw.to_string(),
            parts,
        })
    }

    /// The version as written in the file name.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Serialised as written (`"20240301120000"`): a string, so long versions keep every digit.
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.parts.iter().zip(&other.parts) {
            // Without leading zeros, a longer number is a larger one.
            let ord = a.len().cmp(&b.len()).then_with(|| a.cmp(b));
            if ord != Ordering::Equal {
                return ord;
            }
        }
        // `1.2` < `1.2.1`; but `1` == `1.0`, as Flyway treats trailing zeros.
        let rest = |v: &Version, n: usize| v.parts[n..].iter().any(|p| p != "0");
        let n = self.parts.len().min(other.parts.len());
        match (rest(self, n), rest(other, n)) {
            (false, false) => Ordering::Equal,
            (true, _) => Ordering::Greater,
            (_, true) => Ordering::Less,
        }
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut parts: &[String] = &self.parts;
        while let [rest @ .., last] = parts {
            if last != "0" || rest.is_empty() {
                break;
            }
            parts = rest;
        }
        parts.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn compares_numerically_not_as_strings() {
        assert!(v("2") < v("10"));
        assert!(v("9") < v("20240101000000"));
        assert!(v("20191100000001000000") > v("20191100000000999999"));
        assert!(v("99999999999999999999999") > v("9999999999999999999999"));
    }

    #[test]
    fn leading_zeros_do_not_count() {
        assert_eq!(v("007"), v("7"));
        assert_eq!(v("0"), v("000"));
        assert_eq!(v("007").to_string(), "007");
    }

    #[test]
    fn dotted_versions_compare_part_by_part() {
        assert!(v("1.2") < v("1.10"));
        assert!(v("1.2") < v("1.2.1"));
        assert_eq!(v("1_2"), v("1.2"));
        assert_eq!(v("1"), v("1.0"));
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in ["", "a1", "1a", "1..2", ".1", "1.", "-1", " 1"] {
            assert!(Version::parse(bad).is_none(), "{bad:?} parsed");
        }
    }
}
