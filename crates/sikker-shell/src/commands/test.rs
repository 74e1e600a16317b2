//! `test` and `[`: file tests against the virtual filesystem, string and integer comparisons,
//! `!`, `-a`, `-o`.

use super::{both, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[both("test", test), both("[", bracket)];

fn bracket(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.last().map(String::as_str) != Some("]") {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}[: missing `]'\n"));
        return 2;
    }
    eval(ctx, &args[1..args.len() - 1], "[")
}

fn test(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    eval(ctx, &args[1..], "test")
}

fn eval(ctx: &mut Ctx<'_>, a: &[String], name: &str) -> i32 {
    match expr(ctx, a, 0) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(msg) => {
            let p = ctx.st.err_prefix();
            let msg = msg.trim_start_matches("test: ");
            ctx.err(format!("{p}{name}: {msg}\n"));
            2
        }
    }
}

fn expr(ctx: &Ctx<'_>, a: &[String], depth: usize) -> Result<bool, String> {
    if depth > 32 {
        return Err("test: too many arguments".into());
    }
    if let Some(i) = a.iter().position(|x| x == "-o") {
        return Ok(expr(ctx, &a[..i], depth + 1)? || expr(ctx, &a[i + 1..], depth + 1)?);
    }
    if let Some(i) = a.iter().position(|x| x == "-a") {
        if i > 0 {
            return Ok(expr(ctx, &a[..i], depth + 1)? && expr(ctx, &a[i + 1..], depth + 1)?);
        }
    }
    match a {
        [] => Ok(false),
        [s] => Ok(!s.is_empty()),
        [bang, rest @ ..] if bang == "!" => Ok(!expr(ctx, rest, depth + 1)?),
        [op, v] => unary(ctx, op, v),
        [l, op, r] => binary(l, op, r),
        [open, inner @ .., close] if open == "(" && close == ")" => expr(ctx, inner, depth + 1),
        _ => Err("test: too many arguments".into()),
    }
}

fn unary(ctx: &Ctx<'_>, op: &str, v: &str) -> Result<bool, String> {
    let node = || ctx.st.vfs.stat(&ctx.abs(v)).ok().map(|(_, n)| n.clone());
    Ok(match op {
        "-n" => !v.is_empty(),
        "-z" => v.is_empty(),
        "-e" | "-a" => node().is_some(),
        "-f" => node().is_some_and(|n| !n.is_dir() && !matches!(n.kind, crate::vfs::Kind::Dev(_))),
        "-d" => node().is_some_and(|n| n.is_dir()),
        "-L" | "-h" => ctx.st.vfs.lstat(&ctx.abs(v)).is_ok_and(|(_, n)| n.is_link()),
        "-s" => node().is_some_and(|n| n.size() > 0),
        "-r" => node().is_some_and(|n| ctx.uid() == 0 || n.mode & 0o444 != 0),
        "-w" => node().is_some_and(|n| ctx.uid() == 0 || n.mode & 0o222 != 0),
        "-x" => node().is_some_and(|n| n.mode & 0o111 != 0),
        "-c" => node().is_some_and(|n| matches!(n.kind, crate::vfs::Kind::Dev(_))),
        "-b" | "-p" | "-S" | "-g" | "-u" | "-k" | "-t" => false,
        "-O" | "-G" => node().is_some_and(|n| n.uid == ctx.uid()),
        _ => return Err(format!("{op}: unary operator expected")),
    })
}

fn binary(l: &str, op: &str, r: &str) -> Result<bool, String> {
    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| format!("{s}: integer expression expected"));
    Ok(match op {
        "=" | "==" => l == r,
        "!=" => l != r,
        "<" => l < r,
        ">" => l > r,
        "-eq" => int(l)? == int(r)?,
        "-ne" => int(l)? != int(r)?,
        "-lt" => int(l)? < int(r)?,
        "-le" => int(l)? <= int(r)?,
        "-gt" => int(l)? > int(r)?,
        "-ge" => int(l)? >= int(r)?,
        "-nt" | "-ot" | "-ef" => false,
        _ => return Err(format!("{op}: binary operator expected")),
    })
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn tests_against_vfs() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "[ -f /etc/passwd ] && echo f; [ -d /tmp ] && echo d; [ -e /nope ] || echo n").0, "f\nd\nn\n");
        assert_eq!(run(&mut sh, "[ 3 -gt 2 -a x = x ]; echo $?").0, "0\n");
        assert_eq!(run(&mut sh, "[ a -gt 2 ]; echo $?").0, "-bash: [: a: integer expression expected\n2\n");
        assert_eq!(run(&mut sh, "[ 1 = 1; echo $?").0, "-bash: [: missing `]'\n2\n");
    }
}
