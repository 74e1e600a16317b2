//! Extended attributes bots use to pin their persistence: `chattr` and `lsattr`.

use super::{bin, Ctx, Spec};
use crate::vfs::{ATTR_APPEND, ATTR_IMMUTABLE};

pub(crate) static SPECS: &[Spec] = &[bin("chattr", chattr), bin("lsattr", lsattr)];

fn chattr(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut changes: Vec<(char, String)> = Vec::new();
    let mut files = Vec::new();
    let mut recursive = false;
    for a in &args[1..] {
        match a.chars().next() {
            Some(c @ ('+' | '-' | '=')) if a.len() > 1 && a[1..].chars().all(|c| c.is_ascii_alphabetic()) => {
                if c == '-' && a == "-R" {
                    recursive = true;
                } else if c == '-' && (a == "-V" || a == "-f") {
                } else {
                    changes.push((c, a[1..].to_owned()));
                }
            }
            _ => files.push(a.clone()),
        }
    }
    if changes.is_empty() || files.is_empty() {
        ctx.err("Usage: chattr [-RVf] [-+=aAcCdDeijPsStTuFx] [-p project] [-v version] files...\n");
        return 1;
    }
    for (_, letters) in &changes {
        if let Some(bad) = letters.chars().find(|c| !"aAcCdDeijPsStTuFxm".contains(*c)) {
            ctx.err(format!("chattr: bad attribute flag: {bad}\nUsage: chattr [-RVf] [-+=aAcCdDeijPsStTuFx] [-p project] [-v version] files...\n"));
            return 1;
        }
    }
    let mut status = 0;
    for f in &files {
        let abs = ctx.abs(f);
        if !ctx.st.vfs.exists(&abs) {
            ctx.err(format!("chattr: No such file or directory while trying to stat {f}\n"));
            status = 1;
            continue;
        }
        if ctx.uid() != 0 {
            ctx.err(format!("chattr: Operation not permitted while setting flags on {f}\n"));
            status = 1;
            continue;
        }
        let _ = recursive;
        let _ = ctx.st.vfs.update(&abs, true, |n| {
            for (op, letters) in &changes {
                let mut bits = 0;
                if letters.contains('i') {
                    bits |= ATTR_IMMUTABLE;
                }
                if letters.contains('a') {
                    bits |= ATTR_APPEND;
                }
                match op {
                    '+' => n.attrs |= bits,
                    '-' => n.attrs &= !bits,
                    _ => n.attrs = bits,
                }
            }
        });
    }
    status
}

fn lsattr(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let files: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    let dir_mode = args[1..].iter().any(|a| a == "-d");
    let targets: Vec<String> = if files.is_empty() {
        ctx.st.vfs.list(&ctx.st.cwd.clone()).unwrap_or_default().into_iter().filter(|(n, _)| !n.starts_with('.')).map(|(n, _)| format!("./{n}")).collect()
    } else {
        files
    };
    let mut status = 0;
    for f in targets {
        let abs = ctx.abs(&f);
        match ctx.st.vfs.stat(&abs) {
            Ok((_, n)) => {
                let n = n.clone();
                if n.is_dir() && !dir_mode && !f.starts_with("./") {
                    let children = ctx.st.vfs.list(&abs).unwrap_or_default();
                    for (name, c) in children {
                        ctx.out(format!("{} {}/{name}\n", flags(c.attrs), f.trim_end_matches('/')));
                    }
                    continue;
                }
                ctx.out(format!("{} {f}\n", flags(n.attrs)));
            }
            Err(_) => {
                ctx.err(format!("lsattr: No such file or directory while trying to stat {f}\n"));
                status = 1;
            }
        }
    }
    status
}

fn flags(attrs: u8) -> String {
    let mut s: Vec<char> = "--------------e-------".chars().collect();
    if attrs & ATTR_IMMUTABLE != 0 {
        s[4] = 'i';
    }
    if attrs & ATTR_APPEND != 0 {
        s[5] = 'a';
    }
    s.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn immutable_authorized_keys() {
        let mut sh = shell("debian12");
        run(&mut sh, "echo ssh-rsa AAAA x > ~/.ssh/authorized_keys; chattr +i ~/.ssh/authorized_keys");
        assert_eq!(run(&mut sh, "lsattr /root/.ssh/authorized_keys").0, "----i---------e------- /root/.ssh/authorized_keys\n");
        let (o, c) = run(&mut sh, "echo y >> ~/.ssh/authorized_keys");
        assert_eq!((o.as_str(), c), ("-bash: /root/.ssh/authorized_keys: Operation not permitted\n", 1));
        assert_eq!(run(&mut sh, "chattr -i ~/.ssh/authorized_keys && echo y >> ~/.ssh/authorized_keys").1, 0);
    }
}
