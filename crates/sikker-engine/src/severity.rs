//! Behavior severity and what it means downstream (score weights live in `score`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a behavior is. Ordered: `Info < Low < Medium < High < VeryHigh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::VeryHigh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::VeryHigh => "very_high",
        }
    }

    /// The STIX 2.1 `indicator_types` value (from the indicator-type-ov vocabulary) for an
    /// IP whose worst behavior has this severity: `medium` and up are deliberate attacks
    /// (brute force, exploitation, persistence) → `malicious-activity`; `low` and `info` are
    /// reconnaissance a benign party could also do → `anomalous-activity`.
    pub fn indicator_type(self) -> &'static str {
        match self {
            Severity::Medium | Severity::High | Severity::VeryHigh => "malicious-activity",
            Severity::Low | Severity::Info => "anomalous-activity",
        }
    }
}

/// `indicator_types` for an IP: `["benign"]` when it is a known-benign source, else the type of
/// its worst behavior, else `["anomalous-activity"]` (seen, but nothing classified).
pub fn indicator_types(
    severities: impl IntoIterator<Item = Severity>,
    known_benign: bool,
) -> Vec<&'static str> {
    if known_benign {
        return vec!["benign"];
    }
    let worst = severities.into_iter().max();
    vec![worst.map_or("anomalous-activity", Severity::indicator_type)]
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity {s:?}: expected info, low, medium, high or very_high")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_types_follow_the_worst_severity() {
        assert_eq!(
            indicator_types([Severity::Low, Severity::High], false),
            ["malicious-activity"]
        );
        assert_eq!(
            indicator_types([Severity::Info], false),
            ["anomalous-activity"]
        );
        assert_eq!(indicator_types([], false), ["anomalous-activity"]);
        assert_eq!(indicator_types([Severity::VeryHigh], true), ["benign"]);
        assert!("critical".parse::<Severity>().is_err());
        assert_eq!("very_high".parse::<Severity>().unwrap(), Severity::VeryHigh);
    }
}
