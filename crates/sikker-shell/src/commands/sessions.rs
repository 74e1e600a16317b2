//! The session itself: `exit`, `logout`, `clear`, `history`, `enable`.

use super::{bin, builtin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[
    builtin("exit", exit),
    builtin("logout", logout),
    bin("clear", clear),
    bin("reset", reset),
    builtin("history", history),
    builtin("enable", enable),
];

fn exit(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let code = match args.get(1) {
        Some(a) => match a.parse::<i64>() {
            Ok(n) => (n & 0xff) as i32,
            Err(_) => {
                let p = ctx.st.err_prefix();
                ctx.err(format!("{p}exit: {a}: numeric argument required\n"));
                2
            }
        },
        None => ctx.st.status,
    };
    if ctx.st.depth == 0 && !ctx.st.exec_mode {
        ctx.err("logout\n");
    }
    ctx.st.exit_requested = Some(code);
    code
}

fn logout(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.depth > 0 || ctx.st.exec_mode {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}logout: not login shell: use `exit'\n"));
        return 1;
    }
    exit(ctx, args)
}

fn clear(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    ctx.out("\x1b[H\x1b[2J\x1b[3J");
    0
}

/// `reset` needs a terminal: without one (`ssh host reset`) ncurses' reset fails like this.
fn reset(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.exec_mode {
        ctx.err("reset: terminal attributes: No such device or address\n\n");
        return 10;
    }
    clear(ctx, args)
}

fn history(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // Non-interactive shells keep no history.
    if ctx.st.exec_mode {
        return 0;
    }
    match args.get(1).map(String::as_str) {
        Some("-c") => {
            ctx.st.history.clear();
            return 0;
        }
        Some("-w") | Some("-a") => return 0,
        _ => {}
    }
    let n: Option<usize> = args.get(1).and_then(|a| a.parse().ok());
    let total = ctx.st.history.len();
    let skip = n.map(|n| total.saturating_sub(n)).unwrap_or(0);
    let text: String = ctx.st.history.iter().enumerate().skip(skip).map(|(i, l)| format!("{:>5}  {l}\n", i + 1)).collect();
    ctx.out(text);
    0
}

const BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete", "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
];

fn enable(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() > 1 && !args[1].starts_with('-') {
        for a in &args[1..] {
            if !BUILTINS.contains(&a.as_str()) {
                let p = ctx.st.err_prefix();
                ctx.err(format!("{p}enable: {a}: not a shell builtin\n"));
                return 1;
            }
        }
        return 0;
    }
    let text: String = BUILTINS.iter().map(|b| format!("enable {b}\n")).collect();
    ctx.out(text);
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn exit_closes_and_history_lists() {
        let mut sh = shell("debian12");
        run(&mut sh, "echo a");
        assert_eq!(run(&mut sh, "history").0, "    1  echo a\n    2  history\n");
        let o = sh.execute("exit 3");
        assert!(o.close_session);
        assert_eq!(o.exit_code, 3);
        let o = sh.execute("sh -c 'exit 4'; echo $?");
        assert!(!o.close_session);
        assert_eq!(String::from_utf8_lossy(&o.output), "4\n");
        assert!(run(&mut sh, "enable").0.starts_with("enable .\nenable :\nenable [\n"));
    }
}
