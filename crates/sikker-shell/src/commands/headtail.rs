//! `head` and `tail`: line and byte counts, `-N`, `+N`, `==> file <==` headers.

use super::{bin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("head", head), bin("tail", tail)];

struct Count {
    n: i64,
    bytes: bool,
    from_start: bool,
    quiet: bool,
    verbose: bool,
    files: Vec<String>,
}

fn parse(ctx: &mut Ctx<'_>, args: &[String], cmd: &str) -> Option<Count> {
    let mut c = Count { n: 10, bytes: false, from_start: false, quiet: false, verbose: false, files: Vec::new() };
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        let value = |i: &mut usize, inline: &str| -> Option<String> {
            if !inline.is_empty() {
                Some(inline.to_owned())
            } else {
                *i += 1;
                args.get(*i).cloned()
            }
        };
        if a == "--" {
            c.files.extend(args[i + 1..].iter().cloned());
            break;
        } else if let Some(rest) = a.strip_prefix("-n").or_else(|| a.strip_prefix("--lines=")) {
            let v = value(&mut i, rest)?;
            set_count(ctx, &mut c, &v, false, cmd)?;
        } else if let Some(rest) = a.strip_prefix("-c").or_else(|| a.strip_prefix("--bytes=")) {
            let v = value(&mut i, rest)?;
            set_count(ctx, &mut c, &v, true, cmd)?;
        } else if a == "-q" || a == "--quiet" || a == "--silent" {
            c.quiet = true;
        } else if a == "-v" || a == "--verbose" {
            c.verbose = true;
        } else if a == "-f" || a == "-F" || a == "--follow" {
        } else if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|ch| ch.is_ascii_digit()) {
            c.n = a[1..].parse().unwrap_or(10);
        } else if cmd == "tail" && a.len() > 1 && a.starts_with('+') && a[1..].chars().all(|ch| ch.is_ascii_digit()) {
            c.n = a[1..].parse().unwrap_or(1);
            c.from_start = true;
        } else if a.starts_with('-') && a.len() > 1 {
            let ch = a.chars().nth(1).unwrap_or('-');
            ctx.err(format!("{cmd}: invalid option -- '{ch}'\nTry '{cmd} --help' for more information.\n"));
            return None;
        } else {
            c.files.push(a.clone());
        }
        i += 1;
    }
    Some(c)
}

fn set_count(ctx: &mut Ctx<'_>, c: &mut Count, v: &str, bytes: bool, cmd: &str) -> Option<()> {
    c.bytes = bytes;
    let (sign, digits) = if let Some(d) = v.strip_prefix('+') { (1, d) } else if let Some(d) = v.strip_prefix('-') { (-1, d) } else { (0, v) };
    match digits.parse::<i64>() {
        Ok(n) => {
            c.n = if sign == -1 && cmd == "head" { -n } else { n };
            c.from_start = sign == 1 && cmd == "tail";
            Some(())
        }
        Err(_) => {
            let what = if bytes { "bytes" } else { "lines" };
            ctx.err(format!("{cmd}: invalid number of {what}: '{v}'\n"));
            None
        }
    }
}

fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            v.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        v.push(&data[start..]);
    }
    v
}

fn each(ctx: &mut Ctx<'_>, cmd: &str, c: &Count, f: impl Fn(&Count, &[u8]) -> Vec<u8>) -> i32 {
    let files = if c.files.is_empty() { vec!["-".to_owned()] } else { c.files.clone() };
    let headers = (files.len() > 1 && !c.quiet) || c.verbose;
    let mut status = 0;
    let mut first = true;
    for name in &files {
        let data = if name == "-" {
            ctx.io.stdin.clone()
        } else {
            match ctx.read(name) {
                Ok(d) => d,
                Err(e) => {
                    let msg = if e == crate::vfs::FsError::IsDir { format!("{cmd}: error reading '{name}': Is a directory\n") } else { format!("{cmd}: cannot open '{name}' for reading: {}\n", e.message()) };
                    ctx.err(msg);
                    status = 1;
                    continue;
                }
            }
        };
        if headers {
            let shown = if name == "-" { "standard input" } else { name };
            ctx.out(format!("{}==> {shown} <==\n", if first { "" } else { "\n" }));
        }
        first = false;
        ctx.out(f(c, &data));
    }
    status
}

fn head(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(c) = parse(ctx, args, "head") else { return 1 };
    each(ctx, "head", &c, |c, data| {
        if c.bytes {
            let n = if c.n < 0 { data.len().saturating_sub((-c.n) as usize) } else { (c.n as usize).min(data.len()) };
            return data[..n].to_vec();
        }
        let ls = split_lines(data);
        let n = if c.n < 0 { ls.len().saturating_sub((-c.n) as usize) } else { (c.n as usize).min(ls.len()) };
        ls[..n].concat()
    })
}

fn tail(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(c) = parse(ctx, args, "tail") else { return 1 };
    each(ctx, "tail", &c, |c, data| {
        let n = c.n.max(0) as usize;
        if c.bytes {
            return if c.from_start { data[(n.max(1) - 1).min(data.len())..].to_vec() } else { data[data.len().saturating_sub(n)..].to_vec() };
        }
        let ls = split_lines(data);
        if c.from_start {
            ls[(n.max(1) - 1).min(ls.len())..].concat()
        } else {
            ls[ls.len().saturating_sub(n)..].concat()
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn head_tail_forms() {
        let mut sh = shell("debian12");
        run(&mut sh, "printf '1\\n2\\n3\\n4\\n' > /tmp/n");
        assert_eq!(run(&mut sh, "head -n 2 /tmp/n; head -1 /tmp/n; tail -n1 /tmp/n; tail -n +3 /tmp/n").0, "1\n2\n1\n4\n3\n4\n");
        assert_eq!(run(&mut sh, "head -n -3 /tmp/n; head -c 3 /tmp/n").0, "1\n1\n2");
        assert_eq!(run(&mut sh, "head -n1 /tmp/n /tmp/n").0, "==> /tmp/n <==\n1\n\n==> /tmp/n <==\n1\n");
    }
}
