//! `--statement-timeout` values: `30s`, `2m`, `1m30s`, `500ms`, `1h`; `0` for none.

use std::time::Duration;

/// Reads a duration written as numbers with units (`ms`, `s`, `m`, `h`), e.g. `1m30s`; `0`
/// means no limit (`None`).
pub fn parse(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "invalid duration {text:?}: expected a number with a unit, e.g. 500ms, 30s, 2m, 1h \
             or 1m30s, or 0 for no limit"
        )
    };
    if text == "0" {
        return Ok(None);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let millis = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let part = number
            .checked_mul(millis)
            .map(Duration::from_millis)
            .ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    Ok((!total.is_zero()).then_some(total))
}

/// A duration as `parse` reads it back: `1s`, `2m`, `1m30s`, `1500ms`.
pub fn human(duration: Duration) -> String {
    let millis = duration.as_millis();
    if !millis.is_multiple_of(1000) {
        return format!("{millis}ms");
    }
    let (h, m, s) = (millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_and_zero() {
        let ok = |t: &str| parse(t).unwrap();
        assert_eq!(ok("0"), None);
        assert_eq!(ok("0s"), None);
        assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(ok("30s"), Some(Duration::from_secs(30)));
        assert_eq!(ok("2m"), Some(Duration::from_secs(120)));
        assert_eq!(ok("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(ok("1h"), Some(Duration::from_secs(3600)));
        for bad in ["", "30", "s", "1x", "-1s", "1.5s", "99999999999999999999h"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn human_reads_back() {
        for text in ["1s", "2m", "1m30s", "1500ms", "1h", "1h1m1s"] {
            let d = parse(text).unwrap().unwrap();
            assert_eq!(human(d), text);
        }
    }
}
