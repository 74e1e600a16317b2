//! Logged-in users: `w`, `who`, `users`, `last`, `lastlog`. The session itself is the one
//! login (pts/0), from a plausible admin address.

use super::sysinfo::{load, up_text, uptime_secs};
use super::{bin, Ctx, Spec};
use crate::clock::format_date;

pub(crate) static SPECS: &[Spec] = &[bin("w", w), bin("who", who), bin("users", users), bin("last", last), bin("lastlog", lastlog)];

/// Where this login "came from", as utmp records it.
fn from_addr(ctx: &Ctx<'_>) -> String {
    let s = ctx.st.sys.persona.seed;
    format!("{}.{}.{}.{}", [81u64, 88, 94, 178, 212, 37][(s % 6) as usize], (s >> 9) % 250 + 2, (s >> 17) % 250 + 1, (s >> 25) % 250 + 3)
}

fn w(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (a, b, c) = load(ctx);
    let now = ctx.now();
    let mut out = String::new();
    if !args.iter().any(|x| x == "-h") {
        out.push_str(&format!(" {} {} 1 user,  load average: {a:.2}, {b:.2}, {c:.2}\n", format_date(now, "%H:%M:%S"), up_text(uptime_secs(ctx))));
        out.push_str("USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n");
    }
    let user: String = ctx.st.user.chars().take(8).collect();
    out.push_str(&format!("{user:<8} pts/0    {:<16} {}    0.00s  0.02s  0.00s w\n", from_addr(ctx), format_date(ctx.st.started, "%H:%M")));
    ctx.out(out);
    0
}

fn who(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-b") {
        let boot = ctx.now() - uptime_secs(ctx);
        ctx.out(format!("         system boot  {}\n", format_date(boot, "%Y-%m-%d %H:%M")));
        return 0;
    }
    if args.iter().any(|a| a == "-r") {
        ctx.out(format!("         run-level 5  {}\n", format_date(ctx.now() - uptime_secs(ctx), "%Y-%m-%d %H:%M")));
        return 0;
    }
    // sshd records a login in utmp only for a session with a terminal; `ssh host who` has none.
    if ctx.st.exec_mode {
        return 0;
    }
    let line = format!("{:<8} pts/0        {} ({})\n", ctx.st.user, format_date(ctx.st.started, "%Y-%m-%d %H:%M"), from_addr(ctx));
    if args.iter().any(|a| a == "am" || a == "-m") {
        ctx.out(line);
        return 0;
    }
    ctx.out(line);
    0
}

fn users(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    if ctx.st.exec_mode {
        return 0;
    }
    let u = ctx.st.user.clone();
    ctx.out(format!("{u}\n"));
    0
}

fn last(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let n: usize = args.iter().position(|a| a == "-n").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let now = ctx.now();
    let seed = ctx.st.sys.persona.seed;
    let admin = ctx.st.sys.persona.users.iter().find(|u| u.uid >= 1000).map(|u| u.name.clone()).unwrap_or_else(|| "root".into());
    let boot = now - uptime_secs(ctx);
    let kernel = ctx.st.sys.persona.kernel.release.clone();
    let mut rows = Vec::new();
    if !ctx.st.exec_mode {
        rows.push(format!("{:<8} {:<12} {:<16} {}   still logged in\n", ctx.st.user, "pts/0", from_addr(ctx), format_date(ctx.st.started, "%a %b %e %H:%M")));
    }
    for i in 0..4u64 {
        let t = now - 86_400 * (i as i64 * 3 + 1) - ((seed >> i) % 30_000) as i64;
        if t < boot {
            break;
        }
        let dur = 300 + (seed >> (i + 3)) % 5000;
        let end = t + dur as i64;
        rows.push(format!("{:<8} {:<12} {:<16} {} - {}  ({:02}:{:02})\n", admin, "pts/0", from_addr(ctx), format_date(t, "%a %b %e %H:%M"), format_date(end, "%H:%M"), dur / 3600, (dur / 60) % 60));
    }
    rows.push(format!("{:<8} {:<12} {:<16} {}   still running\n", "reboot", "system boot", kernel, format_date(boot, "%a %b %e %H:%M")));
    let mut out: String = rows.into_iter().take(n).collect();
    out.push_str(&format!("\nwtmp begins {}\n", format_date(boot - 86_400 * 30, "%a %b %e %H:%M:%S %Y")));
    ctx.out(out);
    0
}

fn lastlog(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let mut out = String::from("Username         Port     From                                       Latest\n");
    let from = from_addr(ctx);
    for u in ctx.st.sys.persona.users.clone() {
        if u.name == ctx.st.user {
            out.push_str(&format!("{:<16} pts/0    {:<42} {}\n", u.name, from, format_date(ctx.st.started, "%a %b %e %H:%M:%S +0000 %Y")));
        } else {
            out.push_str(&format!("{:<16}                                            **Never logged in**\n", u.name));
        }
    }
    ctx.out(out);
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn w_and_who() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "w");
        assert!(o.contains("\nUSER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\nroot     pts/0    "), "{o}");
        assert!(run(&mut sh, "who").0.starts_with("root     pts/0        "));
        assert!(run(&mut sh, "last").0.contains("still logged in"));
        // `ssh host who` has no terminal, so sshd wrote no utmp record for it.
        sh.set_exec_mode(true);
        assert_eq!(run(&mut sh, "who; users").0, "");
        assert!(!run(&mut sh, "last").0.contains("still logged in"));
    }
}
