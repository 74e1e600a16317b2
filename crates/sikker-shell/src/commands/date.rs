//! `date`: `+FORMAT`, `-u`, `-R`, `-I`, `-d @EPOCH`, `-s` (accepted for root).

use super::{bin, Ctx, Spec};
use crate::clock::format_date;

pub(crate) static SPECS: &[Spec] = &[bin("date", run)];

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut ts = ctx.now();
    let mut fmt = "%a %b %e %H:%M:%S %Z %Y".to_owned();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if let Some(f) = a.strip_prefix('+') {
            fmt = f.to_owned();
        } else if a == "-u" || a == "--utc" || a == "--universal" {
        } else if a == "-R" || a == "--rfc-email" {
            fmt = "%a, %d %b %Y %H:%M:%S %z".into();
        } else if a == "-I" || a == "--iso-8601" {
            fmt = "%Y-%m-%d".into();
        } else if a == "-d" || a == "--date" || a.starts_with("--date=") {
            let v = match a.strip_prefix("--date=") {
                Some(v) => v.to_owned(),
                None => {
                    i += 1;
                    args.get(i).cloned().unwrap_or_default()
                }
            };
            match v.strip_prefix('@').and_then(|n| n.parse::<i64>().ok()) {
                Some(n) => ts = n,
                None if v == "now" || v.is_empty() => {}
                None if v == "yesterday" => ts -= 86_400,
                None if v == "tomorrow" => ts += 86_400,
                None => {
                    ctx.err(format!("date: invalid date '{v}'\n"));
                    return 1;
                }
            }
        } else if a == "-s" || a == "--set" {
            if ctx.uid() != 0 {
                ctx.err("date: cannot set date: Operation not permitted\n");
                return 1;
            }
            i += 1;
        } else if a == "--version" {
            ctx.out("date (GNU coreutils) 9.1\n");
            return 0;
        } else {
            ctx.err(format!("date: invalid date '{a}'\n"));
            return 1;
        }
        i += 1;
    }
    ctx.out(format!("{}\n", format_date(ts, &fmt)));
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn date_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "date").0, "Sun Nov 24 07:31:37 UTC 2024\n");
        assert_eq!(run(&mut sh, "date +%s; date -d @0 +%F").0, "1732433497\n1970-01-01\n");
    }
}
