//! Community report categories (ids 1–16, as SikkerAPI numbers them) and the weight each
//! carries in the community score.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! categories {
    ($($variant:ident = $id:literal, $name:literal, $weight:literal, $doc:literal;)*) => {
        /// What a community report says an IP did.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category {
            $(#[doc = $doc] $variant = $id,)*
        }

        impl Category {
            pub const ALL: [Category; 16] = [$(Category::$variant,)*];

            pub fn id(self) -> u8 {
                self as u8
            }

            pub fn name(self) -> &'static str {
                match self { $(Category::$variant => $name,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Category::$variant => $doc,)* }
            }

            /// Points one corroborated report of this category is worth (see `docs/scoring.md`).
            pub fn weight(self) -> f64 {
                match self { $(Category::$variant => $weight,)* }
            }

            pub fn from_id(id: u8) -> Option<Category> {
                match id { $($id => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    BruteForce = 1, "brute_force", 10.0, "Brute force or credential stuffing against a login.";
    PortScan = 2, "port_scan", 4.0, "Port scanning or service reconnaissance.";
    Ddos = 3, "ddos", 12.0, "Denial-of-service traffic or botnet flooding.";
    WebExploit = 4, "web_exploit", 12.0, "Exploitation attempts against a web application.";
    SqlInjection = 5, "sql_injection", 12.0, "SQL injection attempts.";
    Phishing = 6, "phishing", 12.0, "Phishing or social engineering.";
    Spam = 7, "spam", 6.0, "Spam or other e-mail abuse.";
    BadBot = 8, "bad_bot", 4.0, "Abusive bots and scrapers.";
    ExploitedHost = 9, "exploited_host", 14.0, "A compromised host used to attack others.";
    Malware = 10, "malware", 14.0, "Malware distribution or command and control.";
    DnsAbuse = 11, "dns_abuse", 6.0, "DNS abuse: amplification, tunnelling, poisoning attempts.";
    OpenProxy = 12, "open_proxy", 6.0, "An open proxy, VPN exit or relay abused by others.";
    IotTargeted = 13, "iot_targeted", 10.0, "Attacks aimed at IoT devices (routers, cameras, DVRs).";
    Spoofing = 14, "spoofing", 6.0, "Spoofed traffic or impersonation.";
    Fraud = 15, "fraud", 10.0, "Fraud: fake sign-ups, carding, payment abuse.";
    Other = 16, "other", 2.0, "Anything else.";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;
    /// Accepts the name (`brute_force`) or the id (`1`).
    fn from_str(s: &str) -> Result<Category, String> {
        let s = s.trim();
        if let Ok(id) = s.parse::<u8>() {
            return Category::from_id(id).ok_or_else(|| format!("unknown category id {id} (1-16)"));
        }
        Category::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown category {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip() {
        for (i, c) in Category::ALL.into_iter().enumerate() {
            assert_eq!(c.id() as usize, i + 1);
            assert_eq!(c.name().parse::<Category>().unwrap(), c);
            assert_eq!(c.id().to_string().parse::<Category>().unwrap(), c);
        }
        assert!("17".parse::<Category>().is_err());
        assert!("hacking".parse::<Category>().is_err());
        assert_eq!(Category::IotTargeted.name(), "iot_targeted");
    }
}
