//! Control builtins: `true`, `false`, `:`, `break`, `continue`, `return`, `eval`, `source`/`.`,
//! `exec`, `shift`, `read`, `wait`, `jobs`, `ulimit`, `umask`, `let`, `hash`.

use super::{both, builtin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[
    both("true", |_, _| 0),
    both("false", |_, _| 1),
    builtin(":", |_, _| 0),
    builtin("break", brk),
    builtin("continue", cont),
    builtin("return", ret),
    builtin("eval", eval),
    builtin("source", source),
    builtin(".", source),
    builtin("exec", exec),
    builtin("shift", shift),
    builtin("read", read),
    builtin("wait", |_, _| 0),
    builtin("jobs", |_, _| 0),
    builtin("ulimit", ulimit),
    builtin("umask", umask),
    builtin("let", let_),
    builtin("hash", |_, _| 0),
];

fn levels(args: &[String]) -> u32 {
    args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1).max(1)
}

fn brk(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.loop_depth == 0 {
        return 0;
    }
    ctx.st.loop_ctl = Some((levels(args).min(ctx.st.loop_depth), false));
    0
}

fn cont(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.loop_depth == 0 {
        return 0;
    }
    ctx.st.loop_ctl = Some((levels(args).min(ctx.st.loop_depth), true));
    0
}

fn ret(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let code = args.get(1).and_then(|a| a.parse::<i32>().ok()).unwrap_or(ctx.st.status);
    if ctx.st.depth > 0 {
        ctx.st.returning = Some(code);
    } else {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}return: can only `return' from a function or sourced script\n"));
        return 1;
    }
    code
}

fn eval(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let src = args[1..].join(" ");
    ctx.run_here(&src)
}

fn source(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(file) = args.get(1) else {
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}source: filename argument required\nsource: usage: source filename [arguments]\n"));
        return 2;
    };
    match ctx.read(file) {
        Ok(data) => {
            let text = String::from_utf8_lossy(&data).into_owned();
            ctx.run_here(&text)
        }
        Err(e) => {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}{file}: {}\n", e.message()));
            1
        }
    }
}

fn exec(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() < 2 {
        return 0;
    }
    let status = ctx.run_argv(args[1..].to_vec());
    if ctx.st.depth == 0 {
        ctx.st.exit_requested = Some(status);
    }
    status
}

fn shift(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    if n >= ctx.st.positional.len() {
        return 1;
    }
    ctx.st.positional.drain(1..=n);
    0
}

fn read(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut names = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-p" | "-t" | "-n" | "-d" | "-u" => i += 1,
            a if a.starts_with('-') => {}
            a => names.push(a.to_owned()),
        }
        i += 1;
    }
    if names.is_empty() {
        names.push("REPLY".into());
    }
    let stdin = std::mem::take(&mut ctx.io.stdin);
    let Some(pos) = stdin.iter().position(|b| *b == b'\n').or(if stdin.is_empty() { None } else { Some(stdin.len()) }) else {
        return 1;
    };
    let line = String::from_utf8_lossy(&stdin[..pos]).into_owned();
    ctx.io.stdin = stdin.get(pos + 1..).map(<[u8]>::to_vec).unwrap_or_default();
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let mut status = 0;
    for (k, n) in names.iter().enumerate() {
        let v = if k + 1 == names.len() { std::mem::take(&mut words).join(" ") } else if words.is_empty() { String::new() } else { words.remove(0).to_owned() };
        if !ctx.st.assign(n, &v, &mut ctx.io.out, false) {
            status = 1;
        }
    }
    status
}

fn ulimit(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args.get(1).map(String::as_str) {
        None | Some("-f") => ctx.out("unlimited\n"),
        Some("-n") if args.len() == 2 => ctx.out("1024\n"),
        Some("-c") if args.len() == 2 => ctx.out("0\n"),
        Some("-a") => ctx.out("real-time non-blocking time  (microseconds, -R) unlimited\ncore file size              (blocks, -c) 0\ndata seg size               (kbytes, -d) unlimited\nscheduling priority                 (-e) 0\nfile size                   (blocks, -f) unlimited\npending signals                     (-i) 15446\nmax locked memory           (kbytes, -l) 502616\nmax memory size             (kbytes, -m) unlimited\nopen files                          (-n) 1024\npipe size                (512 bytes, -p) 8\nPOSIX message queues         (bytes, -q) 819200\nreal-time priority                  (-r) 0\nstack size                  (kbytes, -s) 8192\ncpu time                   (seconds, -t) unlimited\nmax user processes                  (-u) 15446\nvirtual memory              (kbytes, -v) unlimited\nfile locks                          (-x) unlimited\n"),
        _ => {}
    }
    0
}

fn umask(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() == 1 {
        ctx.out("0022\n");
    } else if args[1] == "-S" {
        ctx.out("u=rwx,g=rx,o=rx\n");
    }
    0
}

fn let_(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut last = 0;
    for a in &args[1..] {
        if let Some((n, expr)) = a.split_once('=') {
            let mut out = crate::interp::Out::new(1024);
            let v = crate::interp::arith(ctx.st, expr, &mut out).unwrap_or(0);
            ctx.st.set_var(n.trim(), &v.to_string());
            last = v;
        } else {
            let mut out = crate::interp::Out::new(1024);
            last = crate::interp::arith(ctx.st, a, &mut out).unwrap_or(0);
        }
    }
    i32::from(last == 0)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn loops_and_control() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "for i in 1 2 3 4; do if [ $i = 3 ]; then break; fi; echo $i; done").0, "1\n2\n");
        assert_eq!(run(&mut sh, "false || echo no; true && echo yes").0, "no\nyes\n");
        assert_eq!(run(&mut sh, "eval 'X=7'; echo $X").0, "7\n");
        assert_eq!(run(&mut sh, "echo 'a b' | { read x y; echo $y; }").0, "b\n");
        let (o, _) = run(&mut sh, "while true; do echo x; done");
        assert!(o.len() < 2_000_000);
        assert_eq!(run(&mut sh, "f() { echo in $1; return 3; }; f z; echo $?").0, "in z\n3\n");
    }
}
