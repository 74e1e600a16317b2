//! Variables and aliases: `export`, `unset`, `set`, `env`, `printenv`, `alias`, `unalias`,
//! `readonly`, `local`.

use super::{bin, builtin, Ctx, Spec};
use crate::interp::Dialect;

pub(crate) static SPECS: &[Spec] = &[
    builtin("export", export),
    builtin("unset", unset),
    builtin("set", set),
    bin("env", env),
    bin("printenv", printenv),
    builtin("alias", alias),
    builtin("unalias", unalias),
    builtin("readonly", readonly),
    builtin("local", local),
];

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) && !n.starts_with(|c: char| c.is_ascii_digit())
}

/// `declare -x` form, as `export -p` prints.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`"))
}

/// A builtin's error in the running shell's words. dash and ash leave a non-interactive shell
/// (status 2) on such errors, as they do for a special builtin; bash carries on.
fn builtin_error(ctx: &mut Ctx<'_>, cmd: &str, msg: &str) -> i32 {
    let p = ctx.st.err_prefix();
    match ctx.st.dialect {
        Dialect::Bash => {
            ctx.err(format!("{p}{cmd}: {msg}\n"));
            1
        }
        Dialect::Dash | Dialect::Ash => {
            let line = if ctx.st.dialect == Dialect::Ash { "line 0: " } else { "" };
            ctx.err(format!("{p}{cmd}: {line}{msg}\n"));
            if ctx.st.non_interactive() {
                ctx.st.exit_requested = Some(2);
            }
            2
        }
    }
}

/// Refuses to change readonly `name`; `Some(status)` when it was refused.
fn refuse_readonly(ctx: &mut Ctx<'_>, cmd: &str, name: &str) -> Option<i32> {
    if !ctx.st.is_readonly(name) {
        return None;
    }
    Some(match ctx.st.dialect {
        Dialect::Bash => {
            let p = ctx.st.err_prefix();
            let cmd = if cmd == "export" || cmd == "readonly" { String::new() } else { format!("{cmd}: ") };
            ctx.err(format!("{p}{cmd}{name}: readonly variable\n"));
            1
        }
        Dialect::Dash | Dialect::Ash => builtin_error(ctx, cmd, &format!("{name}: is read only")),
    })
}

fn export(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if ops.is_empty() {
        let mut vars: Vec<(String, String, bool)> = ctx.st.vars.iter().filter(|v| v.exported).map(|v| (v.name.clone(), v.value.clone(), v.readonly)).collect();
        vars.sort();
        let text: String = vars.iter().map(|(n, v, r)| format!("declare -{}x {n}={}\n", if *r { "r" } else { "" }, quoted(v))).collect();
        ctx.out(text);
        return 0;
    }
    let mut status = 0;
    for a in ops {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (a.as_str(), None),
        };
        if !valid_name(name) {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}export: `{a}': not a valid identifier\n"));
            status = 1;
            continue;
        }
        if let Some(v) = value {
            if let Some(code) = refuse_readonly(ctx, "export", name) {
                status = code;
                if ctx.st.exit_requested.is_some() {
                    return code;
                }
                continue;
            }
            ctx.st.set_var(name, v);
        } else if ctx.st.get_var(name).is_none() {
            ctx.st.set_var(name, "");
        }
        if let Some(var) = ctx.st.vars.iter_mut().find(|v| v.name == name) {
            var.exported = true;
        }
    }
    status
}

/// `readonly [-p] [NAME[=VALUE]…]`: marks variables so assignments and `unset` are refused.
fn readonly(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if ops.is_empty() {
        let text = readonly_listing(ctx);
        ctx.out(text);
        return 0;
    }
    let mut status = 0;
    for a in ops {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (a.as_str(), None),
        };
        if !valid_name(name) {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}readonly: `{a}': not a valid identifier\n"));
            status = 1;
            continue;
        }
        if let Some(v) = value {
            if let Some(code) = refuse_readonly(ctx, "readonly", name) {
                status = code;
                if ctx.st.exit_requested.is_some() {
                    return code;
                }
                continue;
            }
            ctx.st.set_var(name, v);
        }
        if !ctx.st.vars.iter().any(|v| v.name == name) {
            ctx.st.set_var(name, "");
            // `readonly X` without a value leaves X unset but readonly; close enough as empty.
        }
        if let Some(var) = ctx.st.vars.iter_mut().find(|v| v.name == name) {
            var.readonly = true;
        }
    }
    status
}

/// What `readonly -p` prints: bash adds its own readonly variables, sorted in with the user's.
fn readonly_listing(ctx: &Ctx<'_>) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let dialect = ctx.st.dialect;
    for v in ctx.st.vars.iter().filter(|v| v.readonly) {
        let row = match dialect {
            Dialect::Bash => format!("declare -r{} {}={}\n", if v.exported { "x" } else { "" }, v.name, quoted(&v.value)),
            Dialect::Dash | Dialect::Ash => format!("readonly {}='{}'\n", v.name, v.value.replace('\'', "'\"'\"'")),
        };
        rows.push((v.name.clone(), row));
    }
    if dialect == Dialect::Bash {
        let version = crate::interp::bash_version(ctx.st);
        let (num, rest) = version.split_once('(').unwrap_or((version, "1)-release"));
        let mut parts = num.split('.');
        let (major, minor, patch) = (parts.next().unwrap_or("5"), parts.next().unwrap_or("0"), parts.next().unwrap_or("0"));
        let (build, status) = rest.split_once(")-").unwrap_or(("1", "release"));
        let interactive = !ctx.st.non_interactive();
        let shellopts = if interactive { "braceexpand:emacs:hashall:histexpand:history:interactive-comments:monitor" } else { "braceexpand:hashall:interactive-comments" };
        let uid = ctx.st.uid;
        rows.push(("BASHOPTS".into(), format!("declare -r BASHOPTS=\"{}\"\n", crate::commands::shopt::bashopts(ctx.st.shopt))));
        rows.push(("BASH_VERSINFO".into(), format!("declare -ar BASH_VERSINFO=([0]=\"{major}\" [1]=\"{minor}\" [2]=\"{patch}\" [3]=\"{build}\" [4]=\"{status}\" [5]=\"x86_64-pc-linux-gnu\")\n")));
        rows.push(("EUID".into(), format!("declare -ir EUID=\"{uid}\"\n")));
        rows.push(("PPID".into(), "declare -ir PPID=\"1\"\n".into()));
        rows.push(("SHELLOPTS".into(), format!("declare -r SHELLOPTS=\"{shellopts}\"\n")));
        rows.push(("UID".into(), format!("declare -ir UID=\"{uid}\"\n")));
    }
    rows.sort();
    rows.into_iter().map(|(_, r)| r).collect()
}

/// `local NAME[=VALUE]…`: shadows variables until the running function returns.
fn local(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.frames.is_empty() {
        return match ctx.st.dialect {
            Dialect::Bash => {
                let p = ctx.st.err_prefix();
                ctx.err(format!("{p}local: can only be used in a function\n"));
                1
            }
            Dialect::Dash | Dialect::Ash => builtin_error(ctx, "local", "not in a function"),
        };
    }
    let mut status = 0;
    for a in args[1..].iter().filter(|a| !a.starts_with('-')) {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (a.as_str(), None),
        };
        if !valid_name(name) {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}local: `{a}': not a valid identifier\n"));
            status = 1;
            continue;
        }
        if let Some(code) = refuse_readonly(ctx, "local", name) {
            status = code;
            continue;
        }
        let old = ctx.st.vars.iter().find(|v| v.name == name).cloned();
        if let Some(frame) = ctx.st.frames.last_mut() {
            // The first `local` of a name in a call saves the outer value; the frame stays
            // within the variable budget's count.
            if !frame.iter().any(|(n, _)| n == name) {
                if frame.len() >= 512 {
                    continue;
                }
                frame.push((name.to_owned(), old));
            }
        }
        match value {
            Some(v) => ctx.st.set_var(name, v),
            // bash: a fresh local is unset until assigned.
            None => ctx.st.vars.retain(|v| v.name != name),
        }
    }
    status
}

fn unset(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut status = 0;
    for a in args[1..].iter().filter(|a| !a.starts_with('-')) {
        if ctx.st.is_readonly(a) {
            status = match ctx.st.dialect {
                Dialect::Bash => builtin_error(ctx, "unset", &format!("{a}: cannot unset: readonly variable")),
                Dialect::Dash | Dialect::Ash => builtin_error(ctx, "unset", &format!("{a}: is read only")),
            };
            if ctx.st.exit_requested.is_some() {
                return status;
            }
            continue;
        }
        ctx.st.vars.retain(|v| v.name != *a);
        ctx.st.functions.retain(|(n, _)| n != a);
    }
    status
}

fn set(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() == 1 {
        let mut vars: Vec<(String, String)> = ctx.st.vars.iter().map(|v| (v.name.clone(), v.value.clone())).collect();
        let version = crate::interp::bash_version(ctx.st);
        vars.push(("BASH_VERSION".into(), version.into()));
        vars.push(("BASH".into(), "/bin/bash".into()));
        vars.push(("PS1".into(), "${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ ".into()));
        vars.push(("IFS".into(), " \t\n".into()));
        vars.sort();
        vars.dedup_by(|a, b| a.0 == b.0);
        let text: String = vars
            .into_iter()
            .map(|(n, v)| {
                if v.chars().all(|c| c.is_ascii_alphanumeric() || "/._-:".contains(c)) && !v.is_empty() {
                    format!("{n}={v}\n")
                } else {
                    format!("{n}='{}'\n", v.replace('\'', "'\\''"))
                }
            })
            .collect();
        ctx.out(text);
        return 0;
    }
    // `set -- a b` sets positional parameters; option letters are accepted silently.
    if let Some(pos) = args.iter().position(|a| a == "--") {
        let mut p = vec![ctx.st.positional.first().cloned().unwrap_or_default()];
        p.extend(args[pos + 1..].iter().cloned());
        ctx.st.positional = p;
    } else if !args[1].starts_with(['-', '+']) {
        let mut p = vec![ctx.st.positional.first().cloned().unwrap_or_default()];
        p.extend(args[1..].iter().cloned());
        ctx.st.positional = p;
    }
    0
}

fn env(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut i = 1;
    let mut overrides: Vec<(String, String)> = Vec::new();
    let mut clear = false;
    while i < args.len() {
        let a = &args[i];
        if a == "-i" || a == "-" || a == "--ignore-environment" {
            clear = true;
        } else if a == "-u" && i + 1 < args.len() {
            i += 1;
        } else if let Some((n, v)) = a.split_once('=') {
            overrides.push((n.to_owned(), v.to_owned()));
        } else {
            break;
        }
        i += 1;
    }
    if i < args.len() {
        return ctx.run_argv(args[i..].to_vec());
    }
    let mut text = String::new();
    if !clear {
        for v in ctx.st.vars.iter().filter(|v| v.exported) {
            text.push_str(&format!("{}={}\n", v.name, v.value));
        }
    }
    for (n, v) in overrides {
        text.push_str(&format!("{n}={v}\n"));
    }
    ctx.out(text);
    0
}

fn printenv(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() == 1 {
        return env(ctx, &args[..1]);
    }
    let mut status = 0;
    for n in &args[1..] {
        match ctx.st.vars.iter().find(|v| v.name == *n && v.exported) {
            Some(v) => {
                let value = v.value.clone();
                ctx.out(format!("{value}\n"));
            }
            None => status = 1,
        }
    }
    status
}

fn alias(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() == 1 || args[1] == "-p" {
        let mut list = ctx.st.aliases.clone();
        list.sort();
        let text: String = list.iter().map(|(a, v)| format!("alias {a}='{v}'\n")).collect();
        ctx.out(text);
        return 0;
    }
    let mut status = 0;
    for a in &args[1..] {
        match a.split_once('=') {
            Some((n, v)) => {
                ctx.st.aliases.retain(|(x, _)| x != n);
                if ctx.st.aliases.len() < 64 && v.len() <= 1024 {
                    ctx.st.aliases.push((n.to_owned(), v.to_owned()));
                }
            }
            None => match ctx.st.aliases.iter().find(|(x, _)| x == a).cloned() {
                Some((n, v)) => ctx.out(format!("alias {n}='{v}'\n")),
                None => {
                    let p = ctx.st.err_prefix();
                    ctx.err(format!("{p}alias: {a}: not found\n"));
                    status = 1;
                }
            },
        }
    }
    status
}

fn unalias(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.get(1).map(String::as_str) == Some("-a") {
        ctx.st.aliases.clear();
        return 0;
    }
    let mut status = 0;
    for a in &args[1..] {
        let before = ctx.st.aliases.len();
        ctx.st.aliases.retain(|(x, _)| x != a);
        if ctx.st.aliases.len() == before {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}unalias: {a}: not found\n"));
            status = 1;
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn variables_and_aliases() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "export A=1; B=2; echo $A$B; env | grep ^A=").0, "12\nA=1\n");
        assert_eq!(run(&mut sh, "unset A; echo \"[$A]\"").0, "[]\n");
        assert_eq!(run(&mut sh, "alias ll='ls -1'; alias ll").0, "alias ll='ls -1'\n");
        assert_eq!(run(&mut sh, "X=5 env | grep ^X=; echo \"[$X]\"").0, "X=5\n[]\n");
    }
}
