//! `trap`: a table of handlers per shell. The EXIT handler runs when the shell ends (see
//! `interp::run_exit_trap`); signals never arrive in the emulation, so other handlers are only
//! listed.

use super::{builtin, Ctx, Spec};
use crate::interp::Dialect;

pub(crate) static SPECS: &[Spec] = &[builtin("trap", trap)];

/// Signal names by number (1–31) as Linux numbers them; 32 and 33 are the C library's own.
const SIGNALS: [&str; 32] = [
    "EXIT", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
    "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
    "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];
/// bash's pseudo-signals, numbered after the real ones so listings come out in bash's order.
const PSEUDO: [(&str, u8); 3] = [("DEBUG", 65), ("ERR", 66), ("RETURN", 67)];
/// Longest handler kept (a line is at most 16 KiB; handlers are few and short in practice).
const MAX_ACTION: usize = 4096;

/// The number of a signal spec (`INT`, `SIGINT`, `int`, `2`, `EXIT`, `RTMIN+3`), if valid.
fn number(spec: &str) -> Option<u8> {
    if let Ok(n) = spec.parse::<u8>() {
        return (n <= 64 && n != 32 && n != 33).then_some(n);
    }
    let upper = spec.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(i) = SIGNALS.iter().position(|s| *s == name) {
        // `SIGEXIT` is not a name bash accepts.
        return (i != 0 || name == upper).then_some(i as u8);
    }
    if let Some((_, n)) = PSEUDO.iter().find(|(p, _)| *p == upper) {
        return Some(*n);
    }
    let rt = |rest: &str, base: u8, up: bool| -> Option<u8> {
        if rest.is_empty() {
            return Some(base);
        }
        let k: u8 = rest.strip_prefix(if up { '+' } else { '-' })?.parse().ok()?;
        let n = if up { base.checked_add(k)? } else { base.checked_sub(k)? };
        (34..=64).contains(&n).then_some(n)
    };
    if let Some(rest) = name.strip_prefix("RTMIN") {
        return rt(rest, 34, true);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        return rt(rest, 64, false);
    }
    None
}

/// How a listing names signal `n`: bash says `SIGINT`, dash and ash say `INT`.
fn display(n: u8, dialect: Dialect) -> String {
    let plain = match n {
        0..=31 => SIGNALS[n as usize].to_owned(),
        34 => "RTMIN".to_owned(),
        35..=48 => format!("RTMIN+{}", n - 34),
        49..=63 => format!("RTMAX-{}", 64 - n),
        64 => "RTMAX".to_owned(),
        _ => PSEUDO
            .iter()
            .find(|(_, k)| *k == n)
            .map_or_else(|| n.to_string(), |(p, _)| (*p).to_owned()),
    };
    if dialect == Dialect::Bash && (1..=64).contains(&n) {
        format!("SIG{plain}")
    } else {
        plain
    }
}

fn listing(n: u8, action: &str, dialect: Dialect) -> String {
    format!(
        "trap -- '{}' {}\n",
        action.replace('\'', "'\\''"),
        display(n, dialect)
    )
}

fn trap(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let dialect = ctx.st.dialect;
    let mut rest: &[String] = &args[1..];
    let mut print = false;
    while let Some(a) = rest.first() {
        match a.as_str() {
            "--" => {
                rest = &rest[1..];
                break;
            }
            "-l" => {
                ctx.out(SIGNAL_LIST);
                return 0;
            }
            "-p" => print = true,
            "-" => break,
            o if o.starts_with('-') && o.len() > 1 && number(o).is_none() => {
                let p = ctx.st.err_prefix();
                ctx.err(format!(
                    "{p}trap: {o}: invalid option\ntrap: usage: trap [-lp] [[arg] signal_spec ...]\n"
                ));
                return 2;
            }
            _ => break,
        }
        rest = &rest[1..];
    }
    if rest.is_empty() || print {
        let mut text = String::new();
        for (n, action) in &ctx.st.traps {
            let wanted = rest.is_empty() || rest.iter().any(|r| number(r) == Some(*n));
            if wanted {
                text.push_str(&listing(*n, action, dialect));
            }
        }
        ctx.out(text);
        return 0;
    }
    // One operand that names a signal resets it, as `trap - SIG` does.
    let (action, specs) = if rest.len() == 1 && number(&rest[0]).is_some() {
        (None, rest)
    } else if rest[0] == "-" {
        (None, &rest[1..])
    } else {
        let mut a = rest[0].clone();
        if a.len() > MAX_ACTION {
            let mut cut = MAX_ACTION;
            while !a.is_char_boundary(cut) {
                cut -= 1;
            }
            a.truncate(cut);
        }
        (Some(a), &rest[1..])
    };
    let mut status = 0;
    for spec in specs {
        let Some(n) = number(spec) else {
            let p = ctx.st.err_prefix();
            match dialect {
                Dialect::Bash => {
                    ctx.err(format!("{p}trap: {spec}: invalid signal specification\n"));
                    status = 1;
                    continue;
                }
                Dialect::Dash | Dialect::Ash => {
                    ctx.err(format!("{p}trap: {spec}: bad trap\n"));
                    return 1;
                }
            }
        };
        ctx.st.traps.retain(|(k, _)| *k != n);
        if let Some(a) = &action {
            let at = ctx.st.traps.partition_point(|(k, _)| *k < n);
            ctx.st.traps.insert(at, (n, a.clone()));
        }
    }
    status
}

const SIGNAL_LIST: &str = " 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n 6) SIGABRT\t 7) SIGBUS\t 8) SIGFPE\t 9) SIGKILL\t10) SIGUSR1\n11) SIGSEGV\t12) SIGUSR2\t13) SIGPIPE\t14) SIGALRM\t15) SIGTERM\n16) SIGSTKFLT\t17) SIGCHLD\t18) SIGCONT\t19) SIGSTOP\t20) SIGTSTP\n21) SIGTTIN\t22) SIGTTOU\t23) SIGURG\t24) SIGXCPU\t25) SIGXFSZ\n26) SIGVTALRM\t27) SIGPROF\t28) SIGWINCH\t29) SIGIO\t30) SIGPWR\n31) SIGSYS\t34) SIGRTMIN\t35) SIGRTMIN+1\t36) SIGRTMIN+2\t37) SIGRTMIN+3\n38) SIGRTMIN+4\t39) SIGRTMIN+5\t40) SIGRTMIN+6\t41) SIGRTMIN+7\t42) SIGRTMIN+8\n43) SIGRTMIN+9\t44) SIGRTMIN+10\t45) SIGRTMIN+11\t46) SIGRTMIN+12\t47) SIGRTMIN+13\n48) SIGRTMIN+14\t49) SIGRTMIN+15\t50) SIGRTMAX-14\t51) SIGRTMAX-13\t52) SIGRTMAX-12\n53) SIGRTMAX-11\t54) SIGRTMAX-10\t55) SIGRTMAX-9\t56) SIGRTMAX-8\t57) SIGRTMAX-7\n58) SIGRTMAX-6\t59) SIGRTMAX-5\t60) SIGRTMAX-4\t61) SIGRTMAX-3\t62) SIGRTMAX-2\n63) SIGRTMAX-1\t64) SIGRTMAX\t\n";

#[cfg(test)]
mod tests {
    use super::number;
    use crate::commands::testing::{run, shell};
    use crate::Shell;

    #[test]
    fn signal_specs() {
        assert_eq!(number("INT"), Some(2));
        assert_eq!(number("sigterm"), Some(15));
        assert_eq!(number("EXIT"), Some(0));
        assert_eq!(number("SIGEXIT"), None);
        assert_eq!(number("RTMIN+3"), Some(37));
        assert_eq!(number("RTMAX-1"), Some(63));
        assert_eq!(number("RTMAX-99"), None);
        assert_eq!(number("33"), None);
        assert_eq!(number("ERR"), Some(66));
    }

    #[test]
    fn exit_handlers_run_when_the_shell_ends() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "trap 'echo bye' EXIT; trap").0, "trap -- 'echo bye' EXIT\n");
        // A login shell runs it on `exit`, after bash's "logout".
        let o = sh.execute("exit 4");
        assert_eq!(String::from_utf8_lossy(&o.output), "logout\nbye\n");
        assert_eq!(o.exit_code, 4);
        assert!(o.close_session);

        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "(trap 'echo in' EXIT; echo a); echo b").0, "a\nin\nb\n");
        assert_eq!(run(&mut sh, "bash -c 'trap \"echo \\$?\" EXIT; false'").0, "1\n");
        assert_eq!(run(&mut sh, "trap 'echo t; exit 7' EXIT; trap - EXIT; trap").0, "");
        let mut sh: Shell = shell("debian12");
        sh.set_exec_mode(true);
        assert_eq!(run(&mut sh, "trap 'echo t; exit 7' EXIT; echo a"), ("a\nt\n".into(), 7));
    }
}
