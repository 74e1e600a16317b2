//! `sort` (`-n -r -u -f -k -t -h`) and `uniq` (`-c -d -u -i`).

use super::{bin, getopt, lines, Ctx, Spec};
use std::cmp::Ordering;

pub(crate) static SPECS: &[Spec] = &[bin("sort", sort), bin("uniq", uniq)];

fn key(line: &[u8], k: Option<(usize, Option<usize>)>, sep: Option<u8>) -> &[u8] {
    let Some((start, end)) = k else { return line };
    // Field boundaries: with -t, split on the byte; without, fields begin at blank runs.
    let mut bounds = Vec::new();
    match sep {
        Some(s) => {
            let mut st = 0;
            for (i, b) in line.iter().enumerate() {
                if *b == s {
                    bounds.push((st, i));
                    st = i + 1;
                }
            }
            bounds.push((st, line.len()));
        }
        None => {
            let mut i = 0;
            while i < line.len() {
                let st = i;
                while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
                    i += 1;
                }
                while i < line.len() && line[i] != b' ' && line[i] != b'\t' {
                    i += 1;
                }
                bounds.push((st, i));
            }
        }
    }
    let Some(&(s, _)) = bounds.get(start.saturating_sub(1)) else { return &[] };
    let e = match end {
        Some(e) => bounds.get(e.saturating_sub(1)).map(|b| b.1).unwrap_or(line.len()),
        None => line.len(),
    };
    &line[s..e.max(s)]
}

fn num(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    let end = t.char_indices().take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')).map(|(i, c)| i + c.len_utf8()).last().unwrap_or(0);
    t[..end].parse().unwrap_or(0.0)
}

fn human_num(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim();
    let mult = match t.chars().last() {
        Some('K') | Some('k') => 1e3,
        Some('M') => 1e6,
        Some('G') => 1e9,
        Some('T') => 1e12,
        _ => 1.0,
    };
    num(b) * mult
}

fn sort(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "nrufbhVsdcgM", "ktoST", &["numeric-sort", "reverse", "unique", "ignore-case", "human-numeric-sort", "key=", "field-separator=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("sort", &e, 2),
    };
    let mut inputs = Vec::new();
    let mut ok = true;
    if o.args.is_empty() {
        inputs.push(ctx.io.stdin.clone());
    }
    for f in &o.args {
        if f == "-" {
            inputs.push(ctx.io.stdin.clone());
            continue;
        }
        match ctx.read(f) {
            Ok(d) => inputs.push(d),
            Err(e) => {
                ctx.err(format!("sort: cannot read: {f}: {}\n", e.message()));
                ok = false;
            }
        }
    }
    let mut all: Vec<Vec<u8>> = Vec::new();
    for d in &inputs {
        all.extend(lines(d).into_iter().map(<[u8]>::to_vec));
    }
    let k = o.value('k').or(o.long_value("key")).and_then(|k| {
        let mut parts = k.split(',');
        let a = parts.next()?.trim_end_matches(|c: char| c.is_ascii_alphabetic()).split('.').next()?.parse().ok()?;
        let b = parts.next().and_then(|b| b.trim_end_matches(|c: char| c.is_ascii_alphabetic()).split('.').next()?.parse().ok());
        Some((a, b))
    });
    let sep = o.value('t').or(o.long_value("field-separator")).and_then(|t| t.bytes().next());
    let numeric = o.has('n') || o.has('g') || o.long("numeric-sort");
    let human = o.has('h') || o.long("human-numeric-sort");
    let fold = o.has('f') || o.long("ignore-case");
    let cmp = |a: &Vec<u8>, b: &Vec<u8>| -> Ordering {
        let (ka, kb) = (key(a, k, sep), key(b, k, sep));
        if numeric {
            num(ka).partial_cmp(&num(kb)).unwrap_or(Ordering::Equal)
        } else if human {
            human_num(ka).partial_cmp(&human_num(kb)).unwrap_or(Ordering::Equal)
        } else if fold {
            ka.to_ascii_uppercase().cmp(&kb.to_ascii_uppercase())
        } else {
            ka.cmp(kb)
        }
    };
    all.sort_by(|a, b| cmp(a, b).then_with(|| if numeric || human || fold || k.is_some() { a.cmp(b) } else { Ordering::Equal }));
    if o.has('r') || o.long("reverse") {
        all.reverse();
    }
    if o.has('u') || o.long("unique") {
        all.dedup_by(|a, b| cmp(a, b) == Ordering::Equal);
    }
    let mut out = Vec::new();
    for l in all {
        out.extend(l);
        out.push(b'\n');
    }
    ctx.out(out);
    if ok { 0 } else { 2 }
}

fn uniq(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "cdui", "fsw", &["count", "repeated", "unique", "ignore-case", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("uniq", &e, 1),
    };
    let input = o.args.first().cloned();
    let data = match input.as_deref() {
        None | Some("-") => ctx.io.stdin.clone(),
        Some(f) => match ctx.read(f) {
            Ok(d) => d,
            Err(e) => {
                ctx.err(format!("uniq: {f}: {}\n", e.message()));
                return 1;
            }
        },
    };
    let icase = o.has('i') || o.long("ignore-case");
    let eq = |a: &[u8], b: &[u8]| if icase { a.eq_ignore_ascii_case(b) } else { a == b };
    let mut groups: Vec<(&[u8], usize)> = Vec::new();
    for l in lines(&data) {
        match groups.last_mut() {
            Some((g, n)) if eq(g, l) => *n += 1,
            _ => groups.push((l, 1)),
        }
    }
    let mut out = Vec::new();
    for (l, n) in groups {
        if (o.has('d') || o.long("repeated")) && n < 2 {
            continue;
        }
        if (o.has('u') || o.long("unique")) && n > 1 {
            continue;
        }
        if o.has('c') || o.long("count") {
            out.extend(format!("{n:>7} ").into_bytes());
        }
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    match o.args.get(1) {
        Some(outfile) => {
            if let Err(e) = ctx.write(outfile, &out, false) {
                ctx.err(format!("uniq: {outfile}: {}\n", e.message()));
                return 1;
            }
        }
        None => ctx.out(out),
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn sort_and_uniq() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "printf '10\\n9\\n100\\n' | sort -n").0, "9\n10\n100\n");
        assert_eq!(run(&mut sh, "printf 'b\\na\\nb\\n' | sort | uniq -c").0, "      1 a\n      2 b\n");
        assert_eq!(run(&mut sh, "printf 'x:3\\ny:1\\n' | sort -t: -k2 -n").0, "y:1\nx:3\n");
    }
}
