//! Variables and aliases: `export`, `unset`, `set`, `env`, `printenv`, `alias`, `unalias`.

use super::{bin, builtin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[
    builtin("export", export),
    builtin("unset", unset),
    builtin("set", set),
    bin("env", env),
    bin("printenv", printenv),
    builtin("alias", alias),
    builtin("unalias", unalias),
    builtin("readonly", export),
    builtin("local", local),
];

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) && !n.starts_with(|c: char| c.is_ascii_digit())
}

/// `declare -x` form, as `export -p` prints.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`"))
}

fn export(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if ops.is_empty() {
        let mut vars: Vec<(String, String)> = ctx.st.vars.iter().filter(|v| v.exported).map(|v| (v.name.clone(), v.value.clone())).collect();
        vars.sort();
        let text: String = vars.iter().map(|(n, v)| format!("declare -x {n}={}\n", quoted(v))).collect();
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

fn local(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    for a in &args[1..] {
        match a.split_once('=') {
            Some((n, v)) if valid_name(n) => ctx.st.set_var(n, v),
            _ if valid_name(a) => ctx.st.set_var(a, ""),
            _ => {}
        }
    }
    0
}

fn unset(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    for a in args[1..].iter().filter(|a| !a.starts_with('-')) {
        ctx.st.vars.retain(|v| v.name != *a);
        ctx.st.functions.retain(|(n, _)| n != a);
    }
    0
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
