//! UTC instants with microsecond resolution, written as RFC 3339 with six fraction digits.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1_000) as i64)
    }

    pub fn from_micros(us: i64) -> Timestamp {
        Timestamp(us)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    pub fn millis(self) -> i64 {
        self.0.div_euclid(1_000)
    }

    /// Parses RFC 3339 with or without a fraction, with `Z` or a numeric offset.
    /// Digits past the microsecond are truncated.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let dt = OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map_err(|e| format!("not an RFC 3339 timestamp ({e}): {s:?}"))?;
        let us = dt.unix_timestamp_nanos().div_euclid(1_000);
        i64::try_from(us)
            .map(Timestamp)
            .map_err(|_| format!("timestamp out of range: {s:?}"))
    }

    /// Civil UTC fields: (year, month, day, hour, minute, second, microsecond).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1_000_000);
        let micro = self.0.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day, sod / 3600, sod / 60 % 60, sod % 60, micro)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (TAXII's form).
    pub fn to_rfc3339_micros(self) -> String {
        self.format(6)
    }

    /// `YYYY-MM-DDTHH:MM:SS.fffZ` (STIX's form for created/modified).
    pub fn to_rfc3339_millis(self) -> String {
        self.format(3)
    }

    /// RFC 3339 with `digits` (3 or 6) fraction digits, written without `format!`: a feed
    /// renders millions of these.
    fn format(self, digits: usize) -> String {
        let (y, mo, d, h, mi, s, us) = self.civil();
        let frac = if digits == 3 { us / 1000 } else { us };
        if !(0..=9999).contains(&y) {
            return format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:0digits$}Z");
        }
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, v: u32, width: usize| {
            let mut v = v;
            for i in (0..width).rev() {
                b[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, y as u32, 4);
        put(5, mo, 2);
        put(8, d, 2);
        put(11, h, 2);
        put(14, mi, 2);
        put(17, s, 2);
        put(20, frac, digits);
        b[20 + digits] = b'Z';
        // Only ASCII digits and separators are in the buffer.
        String::from_utf8_lossy(&b[..21 + digits]).into_owned()
    }

    pub fn saturating_add_micros(self, us: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(us))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_micros())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339_micros())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = Timestamp::parse("2026-02-07T14:22:00.123456Z").unwrap();
        assert_eq!(t.to_rfc3339_micros(), "2026-02-07T14:22:00.123456Z");
        assert_eq!(t.to_rfc3339_millis(), "2026-02-07T14:22:00.123Z");
        assert_eq!(
            Timestamp::parse("2026-02-07T14:22:00Z")
                .unwrap()
                .to_rfc3339_micros(),
            "2026-02-07T14:22:00.000000Z"
        );
        assert_eq!(
            Timestamp::parse("2026-02-07T15:22:00+01:00").unwrap(),
            Timestamp::parse("2026-02-07T14:22:00Z").unwrap()
        );
        assert_eq!(
            Timestamp::parse("2026-02-07T14:22:00.1234569Z").unwrap().0 % 1_000_000,
            123_456
        );
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("2026-02-30T00:00:00Z").is_err());
    }

    #[test]
    fn civil_matches_time_crate_across_eras() {
        for us in [
            0i64,
            -1,
            951_782_400_000_000,
            4_102_444_799_999_999,
            1_771_000_000_123_456,
        ] {
            let ours = Timestamp(us).to_rfc3339_micros();
            let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).unwrap();
            let theirs = dt.format(&Rfc3339).unwrap();
            assert_eq!(
                Timestamp::parse(&theirs).unwrap(),
                Timestamp(us),
                "{ours} {theirs}"
            );
            assert_eq!(Timestamp::parse(&ours).unwrap(), Timestamp(us));
        }
    }
}
