//! Machine identity and load: `uname`, `arch`, `hostname`, `nproc`, `getconf`, `uptime`.

use super::{bin, getopt, Ctx, Spec};
use crate::clock::format_date;
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[
    bin("uname", uname),
    bin("arch", arch),
    bin("hostname", hostname),
    bin("nproc", nproc),
    bin("getconf", getconf),
    bin("uptime", uptime),
];

/// Load averages that drift slowly with time, so repeated `uptime`/`top`/`w` agree.
pub(crate) fn load(ctx: &Ctx<'_>) -> (f64, f64, f64) {
    let seed = ctx.st.sys.persona.seed;
    let t = ctx.now() / 60;
    let base = ((seed % 30) as f64) / 100.0 + ((t % 17) as f64) / 100.0;
    (base, base * 0.8 + 0.01, base * 0.6 + 0.02)
}

pub(crate) fn uptime_secs(ctx: &Ctx<'_>) -> i64 {
    (ctx.now() - ctx.st.sys.persona.boot_at(ctx.now())).max(60)
}

/// `up 12 days,  3:04,` as procps formats it (also used by `w` and `top`).
pub(crate) fn up_text(secs: i64) -> String {
    let days = secs / 86_400;
    let hours = (secs % 86_400) / 3600;
    let mins = (secs % 3600) / 60;
    let mut s = String::from("up ");
    if days > 0 {
        s.push_str(&format!("{days} {}, ", if days > 1 { "days" } else { "day" }));
    }
    if hours > 0 {
        s.push_str(&format!("{hours:2}:{mins:02}, "));
    } else {
        s.push_str(&format!("{mins} min, "));
    }
    s
}

fn uname(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "asnrvmpio", "", &["all", "kernel-name", "nodename", "kernel-release", "kernel-version", "machine", "processor", "hardware-platform", "operating-system", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("uname", &e, 1),
    };
    if o.long("version") {
        ctx.out("uname (GNU coreutils) 9.1\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n\nWritten by David MacKenzie.\n");
        return 0;
    }
    if let Some(extra) = o.args.first() {
        ctx.err(format!("uname: extra operand '{extra}'\nTry 'uname --help' for more information.\n"));
        return 1;
    }
    let p = ctx.sys();
    let p = p.persona();
    let all = o.has('a') || o.long("all");
    let busybox = p.is_busybox();
    let want = |c: char, l: &str| all || o.has(c) || o.long(l);
    let mut fields: Vec<String> = Vec::new();
    let none = o.flags.is_empty() && o.longs.is_empty();
    if none || want('s', "kernel-name") {
        fields.push("Linux".into());
    }
    if want('n', "nodename") {
        fields.push(p.hostname.clone());
    }
    if want('r', "kernel-release") {
        fields.push(p.kernel.release.clone());
    }
    if want('v', "kernel-version") {
        fields.push(p.kernel.version.clone());
    }
    if want('m', "machine") {
        fields.push("x86_64".into());
    }
    // GNU prints "unknown" for -p/-i only when asked explicitly; -a leaves them out.
    if (o.has('p') || o.long("processor")) && !busybox {
        fields.push("unknown".into());
    }
    if (o.has('i') || o.long("hardware-platform")) && !busybox {
        fields.push("unknown".into());
    }
    if want('o', "operating-system") {
        fields.push(if busybox { "Linux" } else { "GNU/Linux" }.into());
    }
    ctx.out(format!("{}\n", fields.join(" ")));
    0
}

fn arch(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    ctx.out("x86_64\n");
    0
}

fn hostname(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "aAbdfFiIsvy", "F", &["all-ip-addresses", "ip-address", "short", "fqdn", "long", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("hostname", &e, 1),
    };
    let p = ctx.sys();
    let p = p.persona();
    if o.has('I') || o.long("all-ip-addresses") {
        ctx.out(format!("{} \n", p.net.ipv4));
    } else if o.has('i') || o.long("ip-address") {
        ctx.out("127.0.1.1\n");
    } else if o.has('d') {
        ctx.out("\n");
    } else if let Some(new) = o.args.first() {
        if !ctx.is_root() {
            ctx.err("hostname: you must be root to change the host name\n");
            return 1;
        }
        let _ = new;
    } else {
        ctx.out(format!("{}\n", p.hostname));
    }
    0
}

fn nproc(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "", "", &["all", "ignore=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("nproc", &e, 1),
    };
    let n = ctx.st.sys.persona.cpu.threads as i64;
    let ignore: i64 = o.long_value("ignore").and_then(|v| v.parse().ok()).unwrap_or(0);
    ctx.out(format!("{}\n", (n - ignore).max(1)));
    0
}

fn getconf(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(name) = args.get(1) else {
        ctx.err("Usage: getconf [-v specification] variable_name [pathname]\n       getconf -a [pathname]\n");
        return 1;
    };
    let threads = ctx.st.sys.persona.cpu.threads;
    let mem_pages = ctx.st.sys.persona.mem_kb / 4;
    let v = match name.as_str() {
        "LONG_BIT" => "64".to_owned(),
        "WORD_BIT" => "32".to_owned(),
        "_NPROCESSORS_ONLN" | "_NPROCESSORS_CONF" => threads.to_string(),
        "PAGESIZE" | "PAGE_SIZE" => "4096".to_owned(),
        "ARG_MAX" => "2097152".to_owned(),
        "CLK_TCK" => "100".to_owned(),
        "OPEN_MAX" => "1024".to_owned(),
        "_PHYS_PAGES" => mem_pages.to_string(),
        "GNU_LIBC_VERSION" => "glibc 2.36".to_owned(),
        "PATH" => "/bin:/usr/bin".to_owned(),
        "HOST_NAME_MAX" => "64".to_owned(),
        "LEVEL1_DCACHE_LINESIZE" => "64".to_owned(),
        other => {
            ctx.err(format!("getconf: Unrecognized variable `{other}'\n"));
            return 2;
        }
    };
    ctx.out(format!("{v}\n"));
    0
}

fn uptime(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "psVh", "", &["pretty", "since", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("uptime", &e, 1),
    };
    let secs = uptime_secs(ctx);
    if o.has('s') || o.long("since") {
        ctx.out(format!("{}\n", format_date(ctx.now() - uptime_secs(ctx), "%Y-%m-%d %H:%M:%S")));
        return 0;
    }
    if o.has('p') || o.long("pretty") {
        let weeks = secs / (7 * 86_400);
        let days = (secs / 86_400) % 7;
        let hours = (secs / 3600) % 24;
        let mins = (secs / 60) % 60;
        let mut parts = Vec::new();
        let plural = |n: i64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        if weeks > 0 {
            parts.push(plural(weeks, "week"));
        }
        if days > 0 {
            parts.push(plural(days, "day"));
        }
        if hours > 0 {
            parts.push(plural(hours, "hour"));
        }
        if mins > 0 || parts.is_empty() {
            parts.push(plural(mins, "minute"));
        }
        ctx.out(format!("up {}\n", parts.join(", ")));
        return 0;
    }
    let (a, b, c) = load(ctx);
    let now = format_date(ctx.now(), "%H:%M:%S");
    if ctx.st.sys.persona.os.family == Family::Alpine {
        ctx.out(format!(" {now} {}load average: {a:.2}, {b:.2}, {c:.2}\n", up_text(secs)));
    } else {
        ctx.out(format!(" {now} {} 1 user,  load average: {a:.2}, {b:.2}, {c:.2}\n", up_text(secs)));
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn uname_reads_the_persona() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "uname -a");
        assert!(o.starts_with("Linux "), "{o}");
        assert!(o.ends_with(" x86_64 GNU/Linux\n"), "{o}");
        assert_eq!(run(&mut sh, "uname").0, "Linux\n");
        assert_eq!(run(&mut sh, "uname -m -p").0, "x86_64 unknown\n");
        let (o, c) = run(&mut sh, "uname -z");
        assert_eq!(c, 1);
        assert!(o.starts_with("uname: invalid option -- 'z'\n"));
    }

    #[test]
    fn uptime_format() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "uptime");
        let re = o.starts_with(" 07:31:37 up ") && o.contains(" 1 user,  load average: ");
        assert!(re, "{o}");
    }
}
