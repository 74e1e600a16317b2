//! `cat` (`-n -b -s -E -T -A -v`) and `tac`.

use super::{bin, getopt, lines, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("cat", cat), bin("tac", tac)];

fn show_nonprinting(line: &[u8], tabs: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(line.len());
    for &b in line {
        match b {
            b'\t' if !tabs => v.push(b'\t'),
            b'\t' => v.extend_from_slice(b"^I"),
            b'\n' => v.push(b'\n'),
            0..=31 => {
                v.push(b'^');
                v.push(b + 64);
            }
            127 => v.extend_from_slice(b"^?"),
            128..=255 => {
                v.extend_from_slice(b"M-");
                let c = b - 128;
                if c < 32 {
                    v.push(b'^');
                    v.push(c + 64);
                } else if c == 127 {
                    v.extend_from_slice(b"^?");
                } else {
                    v.push(c);
                }
            }
            _ => v.push(b),
        }
    }
    v
}

fn cat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "AbeEnstTuv", "", &["show-all", "number-nonblank", "show-ends", "number", "squeeze-blank", "show-tabs", "show-nonprinting", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("cat", &e, 1),
    };
    if o.long("version") {
        ctx.out("cat (GNU coreutils) 9.1\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n\nWritten by Torbjorn Granlund and Richard M. Stallman.\n");
        return 0;
    }
    let number_nonblank = o.has('b') || o.long("number-nonblank");
    let number = o.has('n') || o.long("number") || number_nonblank;
    let ends = o.has('E') || o.has('A') || o.has('e') || o.long("show-ends") || o.long("show-all");
    let tabs = o.has('T') || o.has('A') || o.has('t') || o.long("show-tabs") || o.long("show-all");
    let nonprint = o.has('v') || o.has('A') || o.has('e') || o.has('t') || o.long("show-all") || o.long("show-nonprinting");
    let squeeze = o.has('s') || o.long("squeeze-blank");
    let plain = !(number || ends || tabs || nonprint || squeeze);
    let mut status = 0;
    let mut n = 0usize;
    let mut last_blank = false;
    let operands = if o.args.is_empty() { vec!["-".to_owned()] } else { o.args.clone() };
    for f in &operands {
        let data = if f == "-" {
            ctx.io.stdin.clone()
        } else {
            match ctx.read(f) {
                Ok(d) => d,
                Err(e) => {
                    ctx.err(format!("cat: {f}: {}\n", e.message()));
                    status = 1;
                    continue;
                }
            }
        };
        if plain {
            ctx.out(&data);
            continue;
        }
        let mut out = Vec::new();
        let complete = data.ends_with(b"\n");
        let ls = lines(&data);
        let count = ls.len();
        for (i, line) in ls.into_iter().enumerate() {
            let blank = line.is_empty();
            if squeeze && blank && last_blank {
                continue;
            }
            last_blank = blank;
            if number && !(number_nonblank && blank) {
                n += 1;
                out.extend(format!("{n:>6}\t").into_bytes());
            }
            if nonprint || tabs {
                out.extend(show_nonprinting(line, tabs).into_iter().filter(|_| true));
            } else {
                out.extend_from_slice(line);
            }
            if i + 1 < count || complete {
                if ends {
                    out.push(b'$');
                }
                out.push(b'\n');
            }
        }
        ctx.out(out);
    }
    status
}

fn tac(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (inputs, ok) = ctx.inputs("tac", &args[1..]);
    for (_, data) in inputs {
        let mut out = Vec::new();
        for l in lines(&data).into_iter().rev() {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        ctx.out(out);
    }
    i32::from(!ok)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn cat_files_and_errors() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "cat /etc/hostname");
        assert_eq!(o, format!("{}\n", sh_hostname(&mut sh)));
        let (o, c) = run(&mut sh, "cat /nope /etc/hostname > /dev/null");
        assert_eq!((o.as_str(), c), ("cat: /nope: No such file or directory\n", 1));
        assert_eq!(run(&mut sh, "printf 'a\\tb\\n\\nc' | cat -A").0, "a^Ib$\n$\nc");
        assert_eq!(run(&mut sh, "printf 'a\\n\\n\\nb\\n' | cat -sn").0, "     1\ta\n     2\t\n     3\tb\n");
    }

    fn sh_hostname(sh: &mut crate::Shell) -> String {
        run(sh, "hostname").0.trim().to_owned()
    }
}
