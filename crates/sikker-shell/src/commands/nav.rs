//! Moving around: `cd` and `pwd`.

use super::{both, builtin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[builtin("cd", cd), both("pwd", pwd)];

fn cd(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let operands: Vec<&String> = args[1..].iter().filter(|a| !matches!(a.as_str(), "-L" | "-P" | "--")).collect();
    if operands.len() > 1 {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}cd: too many arguments\n"));
        return 1;
    }
    let target = match operands.first().map(|s| s.as_str()) {
        None | Some("") => ctx.st.get_var("HOME").unwrap_or("/").to_owned(),
        Some("-") => {
            let old = ctx.st.oldpwd.clone();
            ctx.out(format!("{old}\n"));
            old
        }
        Some(t) => t.to_owned(),
    };
    let abs = ctx.abs(&target);
    match ctx.st.vfs.stat(&abs) {
        Ok((_, node)) if node.is_dir() => {
            if ctx.uid() != 0 && node.uid != ctx.uid() && node.mode & 0o001 == 0 {
                let p = ctx.st.err_prefix();
                ctx.err(format!("{p}cd: {target}: Permission denied\n"));
                return 1;
            }
            ctx.st.oldpwd = std::mem::replace(&mut ctx.st.cwd, abs.clone());
            let old = ctx.st.oldpwd.clone();
            ctx.st.set_var("OLDPWD", &old);
            ctx.st.set_var("PWD", &abs);
            0
        }
        Ok(_) => {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}cd: {target}: Not a directory\n"));
            1
        }
        Err(e) => {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}cd: {target}: {}\n", e.message()));
            1
        }
    }
}

fn pwd(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let cwd = ctx.st.cwd.clone();
    ctx.out(format!("{cwd}\n"));
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn cd_and_pwd() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "cd /tmp; pwd").0, "/tmp\n");
        assert_eq!(run(&mut sh, "cd ../etc && pwd").0, "/etc\n");
        assert_eq!(run(&mut sh, "cd -").0, "/tmp\n");
        let (o, c) = run(&mut sh, "cd /nope");
        assert_eq!((o.as_str(), c), ("-bash: cd: /nope: No such file or directory\n", 1));
        assert_eq!(run(&mut sh, "cd; pwd").0, "/root\n");
    }
}
