//! Calendar arithmetic and strftime-style formatting in UTC (the personas run in Etc/UTC), so
//! `date`, `ls -l`, `uptime` and `last` agree with each other without a time-zone database.

pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
    /// 1-based day of the year
    pub yday: u32,
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const DAYS_LONG: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_LONG: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn civil(ts: i64) -> Civil {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = if m <= 2 { y + 1 } else { y };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cum[(m - 1) as usize] + d + u32::from(leap && m > 2);
    Civil {
        year,
        month: m,
        day: d,
        hour: (secs / 3600) as u32,
        minute: ((secs % 3600) / 60) as u32,
        second: (secs % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday,
    }
}

/// strftime in UTC for the conversions attackers' scripts and our commands use.
pub(crate) fn format_date(ts: i64, fmt: &str) -> String {
    let c = civil(ts);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        let h12 = if c.hour.is_multiple_of(12) {
            12
        } else {
            c.hour % 12
        };
        match spec {
            'a' => out.push_str(DAYS[c.weekday as usize]),
            'A' => out.push_str(DAYS_LONG[c.weekday as usize]),
            'b' | 'h' => out.push_str(MONTHS[(c.month - 1) as usize]),
            'B' => out.push_str(MONTHS_LONG[(c.month - 1) as usize]),
            'c' => out.push_str(&format_date(ts, "%a %b %e %H:%M:%S %Y")),
            'C' => out.push_str(&format!("{:02}", c.year / 100)),
            'd' => out.push_str(&format!("{:02}", c.day)),
            'D' => out.push_str(&format_date(ts, "%m/%d/%y")),
            'e' => out.push_str(&format!("{:2}", c.day)),
            'F' => out.push_str(&format_date(ts, "%Y-%m-%d")),
            'H' => out.push_str(&format!("{:02}", c.hour)),
            'I' => out.push_str(&format!("{h12:02}")),
            'j' => out.push_str(&format!("{:03}", c.yday)),
            'k' => out.push_str(&format!("{:2}", c.hour)),
            'l' => out.push_str(&format!("{h12:2}")),
            'm' => out.push_str(&format!("{:02}", c.month)),
            'M' => out.push_str(&format!("{:02}", c.minute)),
            'n' => out.push('\n'),
            'N' => out.push_str("000000000"),
            'p' => out.push_str(if c.hour < 12 { "AM" } else { "PM" }),
            'P' => out.push_str(if c.hour < 12 { "am" } else { "pm" }),
            'r' => out.push_str(&format_date(ts, "%I:%M:%S %p")),
            'R' => out.push_str(&format_date(ts, "%H:%M")),
            's' => out.push_str(&ts.to_string()),
            'S' => out.push_str(&format!("{:02}", c.second)),
            't' => out.push('\t'),
            'T' => out.push_str(&format_date(ts, "%H:%M:%S")),
            'u' => out.push_str(&(if c.weekday == 0 { 7 } else { c.weekday }).to_string()),
            'w' => out.push_str(&c.weekday.to_string()),
            'y' => out.push_str(&format!("{:02}", c.year % 100)),
            'Y' => out.push_str(&c.year.to_string()),
            'z' => out.push_str("+0000"),
            'Z' => out.push_str("UTC"),
            '%' => out.push('%'),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

/// `ls -l` style time: `Mon DD HH:MM` within six months, else `Mon DD  YYYY`.
pub(crate) fn ls_time(ts: i64, now: i64) -> String {
    if (now - ts).abs() < 180 * 86_400 {
        format_date(ts, "%b %e %H:%M")
    } else {
        format_date(ts, "%b %e  %Y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(
            format_date(0, "%a %b %e %H:%M:%S %Z %Y"),
            "Thu Jan  1 00:00:00 UTC 1970"
        );
        assert_eq!(
            format_date(1_709_251_200, "%F %T %j %u"),
            "2024-03-01 00:00:00 061 5"
        );
        assert_eq!(format_date(1_732_433_497, "%c"), "Sun Nov 24 07:31:37 2024");
    }
}
