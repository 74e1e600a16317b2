//! Small text tools: `wc`, `cut`, `tr`, `basename`, `dirname`, `tee`, `rev`, `seq`, `yes`,
//! `xargs`, `nl`.

use super::{bin, getopt, lines, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[
    bin("wc", wc),
    bin("cut", cut),
    bin("tr", tr),
    bin("basename", basename),
    bin("dirname", dirname),
    bin("tee", tee),
    bin("rev", rev),
    bin("seq", seq),
    bin("yes", yes),
    bin("xargs", xargs),
    bin("nl", nl),
];

fn wc(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "lwcmL", "", &["lines", "words", "bytes", "chars", "max-line-length", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("wc", &e, 1),
    };
    let mut want = [o.has('l') || o.long("lines"), o.has('w') || o.long("words"), o.has('m') || o.long("chars"), o.has('c') || o.long("bytes"), o.has('L') || o.long("max-line-length")];
    if !want.iter().any(|w| *w) {
        want = [true, true, false, true, false];
    }
    let (inputs, ok) = ctx.inputs("wc", &o.args);
    let counts: Vec<(String, [u64; 5])> = inputs
        .iter()
        .map(|(name, d)| {
            let l = d.iter().filter(|b| **b == b'\n').count() as u64;
            let w = d.split(|b| b.is_ascii_whitespace()).filter(|s| !s.is_empty()).count() as u64;
            let m = String::from_utf8_lossy(d).chars().count() as u64;
            let maxlen = lines(d).iter().map(|l| l.len()).max().unwrap_or(0) as u64;
            (name.clone(), [l, w, m, d.len() as u64, maxlen])
        })
        .collect();
    let nwant = want.iter().filter(|w| **w).count();
    // coreutils: one number for one input needs no padding; stdin forces width 7; otherwise the
    // width of the total byte count of regular files.
    let stdin = o.args.is_empty() || o.args.iter().any(|a| a == "-");
    let width = if nwant == 1 && counts.len() == 1 && (!stdin || o.args.is_empty()) {
        1
    } else {
        let total: u64 = counts.iter().filter(|(n, _)| n != "-").map(|(_, c)| c[3]).sum();
        let w = total.to_string().len();
        if stdin { w.max(7) } else { w }
    };
    let mut out = String::new();
    let mut totals = [0u64; 5];
    let fmt = |c: &[u64; 5], name: Option<&str>| -> String {
        let cols: Vec<String> = (0..5).filter(|i| want[*i]).map(|i| format!("{:>width$}", c[i])).collect();
        match name {
            Some(n) => format!("{} {n}\n", cols.join(" ")),
            None => format!("{}\n", cols.join(" ")),
        }
    };
    for (name, c) in &counts {
        for i in 0..5 {
            totals[i] = if i == 4 { totals[i].max(c[i]) } else { totals[i] + c[i] };
        }
        out.push_str(&fmt(c, if o.args.is_empty() { None } else { Some(name.as_str()) }));
    }
    if o.args.len() > 1 {
        out.push_str(&fmt(&totals, Some("total")));
    }
    ctx.out(out);
    i32::from(!ok)
}

/// Parses `1,3-5,7-` into inclusive 1-based ranges.
fn ranges(spec: &str) -> Option<Vec<(usize, usize)>> {
    let mut v = Vec::new();
    for part in spec.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (if a.is_empty() { 1 } else { a.parse().ok()? }, if b.is_empty() { usize::MAX } else { b.parse().ok()? }),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        if a == 0 || b < a {
            return None;
        }
        v.push((a, b));
    }
    Some(v)
}

fn cut(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "sn", "dfcb", &["delimiter=", "fields=", "characters=", "bytes=", "only-delimited", "complement", "output-delimiter=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("cut", &e, 1),
    };
    let fields = o.value('f').or(o.long_value("fields"));
    let chars = o.value('c').or(o.value('b')).or(o.long_value("characters")).or(o.long_value("bytes"));
    let spec = match (fields, chars) {
        (Some(f), None) => f,
        (None, Some(c)) => c,
        (None, None) => {
            ctx.err("cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.\n");
            return 1;
        }
        _ => {
            ctx.err("cut: only one type of list may be specified\nTry 'cut --help' for more information.\n");
            return 1;
        }
    };
    let Some(rs) = ranges(spec) else {
        ctx.err(format!("cut: invalid field value '{spec}'\nTry 'cut --help' for more information.\n"));
        return 1;
    };
    let delim = o.value('d').or(o.long_value("delimiter")).map(|d| d.as_bytes().first().copied().unwrap_or(b'\t')).unwrap_or(b'\t');
    let out_delim: Vec<u8> = o.long_value("output-delimiter").map(|s| s.as_bytes().to_vec()).unwrap_or(vec![delim]);
    let inside = |i: usize| rs.iter().any(|(a, b)| i >= *a && i <= *b);
    let (inputs, ok) = ctx.inputs("cut", &o.args);
    let mut out = Vec::new();
    for (_, d) in inputs {
        for line in lines(&d) {
            if fields.is_some() {
                if !line.contains(&delim) {
                    if !(o.has('s') || o.long("only-delimited")) {
                        out.extend_from_slice(line);
                        out.push(b'\n');
                    }
                    continue;
                }
                let parts: Vec<&[u8]> = line.split(|b| *b == delim).collect();
                let picked: Vec<&[u8]> = parts.iter().enumerate().filter(|(i, _)| inside(i + 1)).map(|(_, p)| *p).collect();
                out.extend(picked.join(&out_delim[..]));
            } else {
                out.extend(line.iter().enumerate().filter(|(i, _)| inside(i + 1)).map(|(_, b)| *b));
            }
            out.push(b'\n');
        }
    }
    ctx.out(out);
    i32::from(!ok)
}

/// Expands a `tr` set: ranges, classes, escapes.
fn tr_set(s: &str) -> Vec<u8> {
    let (bytes, _) = super::echo::escapes(s, true);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' && bytes.get(i + 1) == Some(&b':') {
            if let Some(end) = bytes[i + 2..].windows(2).position(|w| w == b":]") {
                let class = &bytes[i + 2..i + 2 + end];
                let set: Vec<u8> = match class {
                    b"lower" => (b'a'..=b'z').collect(),
                    b"upper" => (b'A'..=b'Z').collect(),
                    b"digit" => (b'0'..=b'9').collect(),
                    b"alpha" => (b'A'..=b'Z').chain(b'a'..=b'z').collect(),
                    b"alnum" => (b'0'..=b'9').chain(b'A'..=b'Z').chain(b'a'..=b'z').collect(),
                    b"space" => vec![b' ', b'\t', b'\n', 11, 12, b'\r'],
                    b"blank" => vec![b' ', b'\t'],
                    b"punct" => (33u8..=126).filter(|c| c.is_ascii_punctuation()).collect(),
                    b"xdigit" => b"0123456789ABCDEFabcdef".to_vec(),
                    b"cntrl" => (0u8..32).chain(std::iter::once(127)).collect(),
                    b"print" => (32u8..=126).collect(),
                    _ => Vec::new(),
                };
                out.extend(set);
                i += end + 4;
                continue;
            }
        }
        if i + 2 < bytes.len() && bytes[i + 1] == b'-' && bytes[i + 2] >= bytes[i] {
            out.extend(bytes[i]..=bytes[i + 2]);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn tr(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "dscC", "", &["delete", "squeeze-repeats", "complement", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("tr", &e, 1),
    };
    let delete = o.has('d');
    let squeeze = o.has('s');
    let complement = o.has('c') || o.has('C');
    let need = if delete || (squeeze && o.args.len() == 1) { 1 } else { 2 };
    if o.args.len() < need {
        if o.args.is_empty() {
            ctx.err("tr: missing operand\nTry 'tr --help' for more information.\n");
        } else {
            ctx.err(format!("tr: missing operand after '{}'\nTry 'tr --help' for more information.\n", o.args[0]));
        }
        return 1;
    }
    let mut set1 = tr_set(&o.args[0]);
    if complement {
        set1 = (0u8..=255).filter(|b| !set1.contains(b)).collect();
    }
    let set2 = o.args.get(1).map(|s| tr_set(s)).unwrap_or_default();
    let mut out = Vec::with_capacity(ctx.io.stdin.len());
    let mut last: Option<u8> = None;
    let squeeze_set = if delete || set2.is_empty() { set1.clone() } else { set2.clone() };
    for &b in &ctx.io.stdin {
        let mapped = if delete {
            if set1.contains(&b) {
                continue;
            }
            b
        } else if !set2.is_empty() {
            match set1.iter().rposition(|x| *x == b) {
                Some(i) => *set2.get(i).or(set2.last()).unwrap_or(&b),
                None => b,
            }
        } else {
            b
        };
        if squeeze && last == Some(mapped) && squeeze_set.contains(&mapped) {
            continue;
        }
        last = Some(mapped);
        out.push(mapped);
    }
    ctx.out(out);
    0
}

fn basename(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-') || a.len() == 1).collect();
    let multiple = args.iter().any(|a| a == "-a");
    let Some(path) = ops.first() else {
        ctx.err("basename: missing operand\nTry 'basename --help' for more information.\n");
        return 1;
    };
    let strip = |p: &str| -> String {
        let t = p.trim_end_matches('/');
        if t.is_empty() {
            return if p.is_empty() { String::new() } else { "/".into() };
        }
        t.rsplit('/').next().unwrap_or(t).to_owned()
    };
    if multiple {
        for p in &ops {
            let b = strip(p);
            ctx.out(format!("{b}\n"));
        }
        return 0;
    }
    let mut b = strip(path);
    if let Some(suffix) = ops.get(1) {
        if b.len() > suffix.len() && b.ends_with(suffix.as_str()) {
            b.truncate(b.len() - suffix.len());
        }
    }
    ctx.out(format!("{b}\n"));
    0
}

fn dirname(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() < 2 {
        ctx.err("dirname: missing operand\nTry 'dirname --help' for more information.\n");
        return 1;
    }
    for p in &args[1..] {
        let t = p.trim_end_matches('/');
        let d = match t.rfind('/') {
            Some(0) => "/".to_owned(),
            Some(i) => t[..i].trim_end_matches('/').to_owned(),
            None if p.starts_with('/') => "/".to_owned(),
            None => ".".to_owned(),
        };
        let d = if d.is_empty() { "/".to_owned() } else { d };
        ctx.out(format!("{d}\n"));
    }
    0
}

fn tee(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let append = args.iter().any(|a| a == "-a" || a == "--append");
    let data = ctx.io.stdin.clone();
    let mut status = 0;
    for f in args[1..].iter().filter(|a| !a.starts_with('-')) {
        if let Err(e) = ctx.write(f, &data, append) {
            ctx.err(format!("tee: {f}: {}\n", e.message()));
            status = 1;
        }
    }
    ctx.out(data);
    status
}

fn rev(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (inputs, ok) = ctx.inputs("rev", &args[1..]);
    let mut out = String::new();
    for (_, d) in inputs {
        for l in lines(&d) {
            out.extend(String::from_utf8_lossy(l).chars().rev());
            out.push('\n');
        }
    }
    ctx.out(out);
    i32::from(!ok)
}

fn seq(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut sep = "\n".to_owned();
    let mut width = false;
    let mut nums = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-s" => {
                sep = args.get(i + 1).cloned().unwrap_or_default();
                i += 1;
            }
            "-w" => width = true,
            a if a.starts_with("-s") && a.len() > 2 => sep = a[2..].to_owned(),
            a => match a.parse::<f64>() {
                Ok(n) => nums.push(n),
                Err(_) => {
                    ctx.err(format!("seq: invalid floating point argument: '{a}'\nTry 'seq --help' for more information.\n"));
                    return 1;
                }
            },
        }
        i += 1;
    }
    let (first, step, last) = match nums.as_slice() {
        [l] => (1.0, 1.0, *l),
        [f, l] => (*f, 1.0, *l),
        [f, s, l] => (*f, *s, *l),
        _ => {
            ctx.err("seq: missing operand\nTry 'seq --help' for more information.\n");
            return 1;
        }
    };
    if step == 0.0 {
        ctx.err("seq: invalid Zero increment value: '0'\nTry 'seq --help' for more information.\n");
        return 1;
    }
    let w = if width { format!("{}", last.abs() as i64).len() } else { 0 };
    let mut parts = Vec::new();
    let mut x = first;
    let limit = ctx.limit();
    let mut bytes = 0;
    while (step > 0.0 && x <= last) || (step < 0.0 && x >= last) {
        let s = if x.fract() == 0.0 { format!("{:0w$}", x as i64) } else { format!("{x}") };
        bytes += s.len() + sep.len();
        parts.push(s);
        if bytes > limit {
            break;
        }
        x += step;
    }
    if !parts.is_empty() {
        ctx.out(format!("{}\n", parts.join(&sep)));
    }
    0
}

fn yes(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let word = if args.len() > 1 { args[1..].join(" ") } else { "y".to_owned() };
    let line = format!("{word}\n");
    // Bounded by the output cap: the stream simply ends where a real pipe would be cut.
    let n = (ctx.limit() / line.len().max(1)).max(1);
    ctx.out(line.repeat(n));
    0
}

fn xargs(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut i = 1;
    let mut per: Option<usize> = None;
    let mut replace: Option<String> = None;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-n" => {
                per = args.get(i + 1).and_then(|v| v.parse().ok());
                i += 1;
            }
            "-I" => {
                replace = args.get(i + 1).cloned();
                i += 1;
            }
            a if a.starts_with("-n") => per = a[2..].parse().ok(),
            a if a.starts_with("-I") => replace = Some(a[2..].to_owned()),
            _ => {}
        }
        i += 1;
    }
    let cmd: Vec<String> = if i < args.len() { args[i..].to_vec() } else { vec!["echo".into()] };
    let input = String::from_utf8_lossy(&ctx.io.stdin).into_owned();
    ctx.io.stdin.clear();
    let mut status = 0;
    if let Some(r) = replace {
        for line in input.lines().filter(|l| !l.is_empty()).take(256) {
            let argv: Vec<String> = cmd.iter().map(|a| a.replace(&r, line)).collect();
            status = ctx.run_argv(argv).max(status);
        }
        return status;
    }
    let items: Vec<String> = input.split_whitespace().map(str::to_owned).collect();
    let chunk = per.unwrap_or(items.len().max(1)).max(1);
    if items.is_empty() {
        return ctx.run_argv(cmd);
    }
    for group in items.chunks(chunk).take(256) {
        let mut argv = cmd.clone();
        argv.extend(group.iter().cloned());
        let s = ctx.run_argv(argv);
        if s != 0 {
            status = 123;
        }
    }
    status
}

fn nl(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (inputs, ok) = ctx.inputs("nl", &args[1..]);
    let mut out = Vec::new();
    let mut n = 0;
    for (_, d) in inputs {
        for l in lines(&d) {
            if l.is_empty() {
                out.extend_from_slice(b"       \n");
                continue;
            }
            n += 1;
            out.extend(format!("{n:>6}\t").into_bytes());
            out.extend_from_slice(l);
            out.push(b'\n');
        }
    }
    ctx.out(out);
    i32::from(!ok)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn text_tools() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "echo 'a b c' | wc").0, "      1       3       6\n");
        assert_eq!(run(&mut sh, "echo 'a b c' | wc -l").0, "1\n");
        assert_eq!(run(&mut sh, "echo root:x:0 | cut -d: -f1,3").0, "root:0\n");
        assert_eq!(run(&mut sh, "echo Hello | tr a-z A-Z; echo aabb | tr -s ab; echo abc | tr -d b").0, "HELLO\nab\nac\n");
        assert_eq!(run(&mut sh, "basename /a/b.sh .sh; dirname /a/b/c; dirname x").0, "b\n/a/b\n.\n");
        assert_eq!(run(&mut sh, "seq 3; seq -s, 2 4").0, "1\n2\n3\n2,3,4\n");
        assert_eq!(run(&mut sh, "echo a b | xargs -n1 echo x").0, "x a\nx b\n");
        let (o, _) = run(&mut sh, "yes | head -n 2");
        assert_eq!(o, "y\ny\n");
    }
}
