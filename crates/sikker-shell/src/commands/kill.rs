//! Signals: `kill`, `pkill`, `killall`. Killed processes vanish from later `ps` output.

use super::ps::table;
use super::{both, bin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[both("kill", kill), bin("pkill", pkill), bin("killall", killall)];

const SIGNALS: &str = " 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n 6) SIGABRT\t 7) SIGBUS\t 8) SIGFPE\t 9) SIGKILL\t10) SIGUSR1\n11) SIGSEGV\t12) SIGUSR2\t13) SIGPIPE\t14) SIGALRM\t15) SIGTERM\n16) SIGSTKFLT\t17) SIGCHLD\t18) SIGCONT\t19) SIGSTOP\t20) SIGTSTP\n21) SIGTTIN\t22) SIGTTOU\t23) SIGURG\t24) SIGXCPU\t25) SIGXFSZ\n26) SIGVTALRM\t27) SIGPROF\t28) SIGWINCH\t29) SIGIO\t30) SIGPWR\n31) SIGSYS\t34) SIGRTMIN\t35) SIGRTMIN+1\t36) SIGRTMIN+2\t37) SIGRTMIN+3\n";

fn kill(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.get(1).map(String::as_str) == Some("-l") {
        ctx.out(SIGNALS);
        return 0;
    }
    let targets: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-') || a.len() > 1 && a[1..].parse::<i64>().is_ok() && args.iter().position(|x| x == *a) != Some(1)).collect();
    if targets.is_empty() {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n"));
        return 2;
    }
    let procs = table(ctx);
    let mut status = 0;
    for t in targets {
        let p = ctx.st.err_prefix();
        match t.parse::<i64>() {
            Ok(pid) if pid > 0 => match procs.iter().find(|pr| i64::from(pr.pid) == pid) {
                Some(pr) if pr.pid == 1 || (ctx.uid() != 0 && pr.user != ctx.st.user) => {
                    ctx.err(format!("{p}kill: ({pid}) - Operation not permitted\n"));
                    status = 1;
                }
                Some(pr) => {
                    if ctx.st.killed.len() < 256 {
                        ctx.st.killed.push(pr.pid);
                    }
                }
                None => {
                    ctx.err(format!("{p}kill: ({pid}) - No such process\n"));
                    status = 1;
                }
            },
            Ok(_) => {}
            Err(_) => {
                ctx.err(format!("{p}kill: {t}: arguments must be process or job IDs\n"));
                status = 1;
            }
        }
    }
    status
}

fn by_name(ctx: &mut Ctx<'_>, pattern: &str, full: bool, exact: bool) -> usize {
    let procs = table(ctx);
    let mut n = 0;
    for p in procs {
        let hay = if full { p.cmd.clone() } else { p.comm() };
        let hit = if exact { hay == pattern } else { regex::Regex::new(pattern).map(|r| r.is_match(&hay)).unwrap_or(false) };
        if hit && p.pid != 1 && (ctx.uid() == 0 || p.user == ctx.st.user) && !p.cmd.starts_with('[') {
            if ctx.st.killed.len() < 256 {
                ctx.st.killed.push(p.pid);
            }
            n += 1;
        }
    }
    n
}

fn pkill(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let full = args.iter().any(|a| a == "-f");
    let Some(pat) = args[1..].iter().find(|a| !a.starts_with('-')).cloned() else {
        ctx.err("pkill: no matching criteria specified\nTry `pkill --help' for more information.\n");
        return 2;
    };
    i32::from(by_name(ctx, &pat, full, false) == 0)
}

fn killall(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let names: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if names.is_empty() {
        ctx.err("Usage: killall [OPTION]... [--] NAME...\n       killall -l, --list\n       killall -V, --version\n");
        return 1;
    }
    let quiet = args.iter().any(|a| a == "-q");
    let mut status = 0;
    for n in names {
        if by_name(ctx, &n, false, true) == 0 {
            if !quiet {
                ctx.err(format!("{n}: no process found\n"));
            }
            status = 1;
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn killed_processes_disappear() {
        let mut sh = shell("debian12");
        assert!(run(&mut sh, "ps aux").0.contains("/usr/sbin/cron -f"));
        assert_eq!(run(&mut sh, "killall cron").1, 0);
        assert!(!run(&mut sh, "ps aux").0.contains("/usr/sbin/cron -f"));
        assert_eq!(run(&mut sh, "killall nosuch").0, "nosuch: no process found\n");
        assert_eq!(run(&mut sh, "kill -9 999999").0, "-bash: kill: (999999) - No such process\n");
    }
}
