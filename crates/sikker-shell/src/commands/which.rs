//! Finding programs: `which`, `type`, `command`, `whereis`.

use super::{bin, builtin, Ctx, Spec};
use crate::interp::{lookup, Found};

pub(crate) static SPECS: &[Spec] = &[bin("which", which), builtin("type", type_), builtin("command", command), bin("whereis", whereis)];

/// The first executable on PATH named `name` (ignoring builtins and functions).
fn path_of(ctx: &Ctx<'_>, name: &str) -> Option<String> {
    if name.contains('/') {
        return ctx.st.vfs.stat(&ctx.abs(name)).ok().filter(|(_, n)| !n.is_dir() && n.mode & 0o111 != 0).map(|_| name.to_owned());
    }
    let path = ctx.st.get_var("PATH").unwrap_or("").to_owned();
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = format!("{}/{name}", dir.trim_end_matches('/'));
        if let Ok((_, n)) = ctx.st.vfs.stat(&candidate) {
            if !n.is_dir() && n.mode & 0o111 != 0 {
                return Some(candidate);
            }
        }
    }
    None
}

fn which(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let all = args.iter().any(|a| a == "-a");
    let mut status = 0;
    for name in args[1..].iter().filter(|a| !a.starts_with('-')) {
        match path_of(ctx, name) {
            Some(p) => {
                ctx.out(format!("{p}\n"));
                if all && p.starts_with("/usr/") && ctx.st.vfs.lstat("/bin").map(|(_, n)| n.is_link()).unwrap_or(false) {
                    ctx.out(format!("{}\n", p.trim_start_matches("/usr")));
                }
            }
            None => status = 1,
        }
    }
    status
}

fn describe(ctx: &mut Ctx<'_>, name: &str, verbose: bool) -> bool {
    if let Some((_, v)) = ctx.st.aliases.iter().find(|(a, _)| a == name).cloned() {
        ctx.out(if verbose { format!("{name} is aliased to `{v}'\n") } else { format!("alias {name}='{v}'\n") });
        return true;
    }
    const KEYWORDS: &[&str] = &["if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in", "{", "}", "!", "[[", "]]", "function", "select", "time"];
    if KEYWORDS.contains(&name) {
        ctx.out(if verbose { format!("{name} is a shell keyword\n") } else { format!("{name}\n") });
        return true;
    }
    match lookup(ctx.st, name) {
        Found::Function(_) => {
            ctx.out(format!("{name} is a function\n"));
            true
        }
        Found::Builtin(_) => {
            ctx.out(if verbose { format!("{name} is a shell builtin\n") } else { format!("{name}\n") });
            true
        }
        Found::Missing | Found::NotExecutable(_) => false,
        _ => match path_of(ctx, name) {
            Some(p) => {
                ctx.out(if verbose { format!("{name} is {p}\n") } else { format!("{p}\n") });
                true
            }
            None => false,
        },
    }
}

fn type_(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let short = args.iter().any(|a| a == "-p" || a == "-P" || a == "-t");
    let mut status = 0;
    for name in args[1..].iter().filter(|a| !a.starts_with('-')) {
        if !describe(ctx, name, !short) {
            if !short {
                let p = ctx.st.err_prefix();
                ctx.err(format!("{p}type: {name}: not found\n"));
            }
            status = 1;
        }
    }
    status
}

fn command(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args.get(1).map(String::as_str) {
        Some("-v") | Some("-V") => {
            let verbose = args[1] == "-V";
            let mut status = 0;
            for name in &args[2..] {
                if !describe(ctx, name, verbose) {
                    status = 1;
                }
            }
            status
        }
        Some(_) => ctx.run_argv(args[1..].to_vec()),
        None => 0,
    }
}

fn whereis(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    for name in args[1..].iter().filter(|a| !a.starts_with('-')) {
        let mut line = format!("{name}:");
        if let Some(p) = path_of(ctx, name) {
            line.push(' ');
            line.push_str(&p);
            line.push_str(&format!(" /usr/share/man/man1/{name}.1.gz"));
        }
        ctx.out(format!("{line}\n"));
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn which_agrees_with_the_filesystem() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "which ls wget").0, "/usr/bin/ls\n/usr/bin/wget\n");
        assert_eq!(run(&mut sh, "which nosuch; echo $?").0, "1\n");
        assert_eq!(run(&mut sh, "type cd ls").0, "cd is a shell builtin\nls is /usr/bin/ls\n");
        assert_eq!(run(&mut sh, "rm /usr/bin/wget; which wget; wget x").0, "-bash: wget: command not found\n");
    }
}
