//! Archives: `tar`, `gzip`, `gunzip`, `unzip`. Fetched stand-ins carry no bytes, so unpacking one
//! fails the way a truncated download does; packing produces a stand-in of plausible size.

use super::{bin, Ctx, Spec};
use crate::vfs::{Kind, Node};

pub(crate) static SPECS: &[Spec] = &[bin("tar", tar), bin("gzip", gzip), bin("gunzip", gunzip), bin("unzip", unzip)];

fn stand_in(ctx: &mut Ctx<'_>, path: &str, size: u64) -> Result<(), String> {
    let abs = ctx.abs(path);
    let node = Node { kind: Kind::Fetched { size, script: false }, mode: 0o644, uid: ctx.st.uid, gid: ctx.st.gid, mtime: ctx.now(), attrs: 0 };
    let uid = ctx.uid();
    ctx.st.vfs.replace(&abs, node, uid).map_err(|e| e.message().to_owned())
}

fn size_of(ctx: &Ctx<'_>, path: &str) -> Option<u64> {
    let abs = ctx.abs(path);
    let (_, n) = ctx.st.vfs.stat(&abs).ok()?;
    if n.is_dir() {
        Some(ctx.st.vfs.walk(&abs, 10_000).iter().map(|(_, n)| n.size()).sum())
    } else {
        Some(n.size())
    }
}

fn tar(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(first) = args.get(1) else {
        ctx.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n");
        return 2;
    };
    if first == "--version" {
        ctx.out("tar (GNU tar) 1.34\nCopyright (C) 2021 Free Software Foundation, Inc.\n");
        return 0;
    }
    let flags: String = first.trim_start_matches('-').to_owned();
    let mut file = None;
    let mut rest = Vec::new();
    let mut i = 2;
    if flags.contains('f') {
        file = args.get(2).cloned();
        i = 3;
    }
    while i < args.len() {
        let a = &args[i];
        if a == "-f" {
            file = args.get(i + 1).cloned();
            i += 1;
        } else if a == "-C" {
            i += 1;
        } else if !a.starts_with('-') {
            rest.push(a.clone());
        }
        i += 1;
    }
    let create = flags.contains('c');
    let extract = flags.contains('x') || flags.contains('t');
    if !create && !extract {
        ctx.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n");
        return 2;
    }
    let Some(file) = file else {
        ctx.err("tar: Refusing to read archive contents from terminal (missing -f option?)\ntar: Error is not recoverable: exiting now\n");
        return 2;
    };
    if create {
        if rest.is_empty() {
            ctx.err("tar: Cowardly refusing to create an empty archive\nTry 'tar --help' or 'tar --usage' for more information.\n");
            return 2;
        }
        let mut total = 10_240u64;
        let mut status = 0;
        for r in &rest {
            match size_of(ctx, r) {
                Some(s) => total += s,
                None => {
                    ctx.err(format!("tar: {r}: Cannot stat: No such file or directory\n"));
                    status = 2;
                }
            }
            if flags.contains('v') {
                ctx.out(format!("{r}\n"));
            }
        }
        let size = if flags.contains('z') || flags.contains('j') || flags.contains('J') { total * 3 / 10 + 200 } else { total.div_ceil(10_240) * 10_240 };
        if let Err(e) = stand_in(ctx, &file, size) {
            ctx.err(format!("tar: {file}: Cannot open: {e}\ntar: Error is not recoverable: exiting now\n"));
            return 2;
        }
        if status != 0 {
            ctx.err("tar: Exiting with failure status due to previous errors\n");
        }
        return status;
    }
    match ctx.read(&file) {
        Err(e) if flags.contains('z') || flags.contains('j') || flags.contains('J') => {
            ctx.err(format!("tar (child): {file}: Cannot open: {}\ntar (child): Error is not recoverable: exiting now\ntar: Child returned status 2\ntar: Error is not recoverable: exiting now\n", e.message()));
            2
        }
        Err(e) => {
            ctx.err(format!("tar: {file}: Cannot open: {}\ntar: Error is not recoverable: exiting now\n", e.message()));
            2
        }
        Ok(_) => {
            if flags.contains('z') {
                ctx.err("\ngzip: stdin: unexpected end of file\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n");
            } else {
                ctx.err("tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n");
            }
            2
        }
    }
}

fn gzip(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let decompress = args.iter().any(|a| a == "-d" || a == "--decompress");
    if decompress {
        return gunzip(ctx, args);
    }
    let files: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if files.is_empty() {
        if ctx.st.tty_out {
            ctx.err("gzip: compressed data not written to a terminal. Use -f to force compression.\nFor help, type: gzip -h\n");
            return 1;
        }
        return 0;
    }
    let mut status = 0;
    for f in files {
        match size_of(ctx, &f) {
            Some(s) => {
                if f.ends_with(".gz") {
                    ctx.err(format!("gzip: {f} already has .gz suffix -- unchanged\n"));
                    status = 2;
                    continue;
                }
                let gz = format!("{f}.gz");
                if stand_in(ctx, &gz, s * 4 / 10 + 30).is_ok() {
                    let abs = ctx.abs(&f);
                    let uid = ctx.uid();
                    let _ = ctx.st.vfs.remove(&abs, false, uid);
                }
            }
            None => {
                ctx.err(format!("gzip: {f}: No such file or directory\n"));
                status = 1;
            }
        }
    }
    status
}

fn gunzip(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let files: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    let mut status = 0;
    for f in files {
        let abs = ctx.abs(&f);
        match ctx.st.vfs.stat(&abs).map(|(_, n)| n.clone()) {
            Ok(n) => {
                let Some(stem) = f.strip_suffix(".gz").or_else(|| f.strip_suffix(".tgz")) else {
                    ctx.err(format!("gzip: {f}: unknown suffix -- ignored\n"));
                    status = 2;
                    continue;
                };
                if matches!(n.kind, Kind::Fetched { .. }) && n.size() > 64 {
                    let out = if f.ends_with(".tgz") { format!("{stem}.tar") } else { stem.to_owned() };
                    if stand_in(ctx, &out, n.size() * 5 / 2).is_ok() {
                        let uid = ctx.uid();
                        let _ = ctx.st.vfs.remove(&abs, false, uid);
                    }
                } else {
                    ctx.err(format!("gzip: {f}: not in gzip format\n"));
                    status = 1;
                }
            }
            Err(_) => {
                ctx.err(format!("gzip: {f}: No such file or directory\n"));
                status = 1;
            }
        }
    }
    status
}

fn unzip(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(f) = args[1..].iter().find(|a| !a.starts_with('-')).cloned() else {
        ctx.out("UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.\n\nUsage: unzip [-Z] [-opts[modifiers]] file[.zip] [list] [-x xlist] [-d exdir]\n");
        return 0;
    };
    match ctx.read(&f) {
        Ok(_) => {
            ctx.out(format!("Archive:  {f}\n"));
            ctx.err(format!("  End-of-central-directory signature not found.  Either this file is not\n  a zipfile, or it constitutes one disk of a multi-part archive.  In the\n  latter case the central directory and zipfile comment will be found on\n  the last disk(s) of this archive.\nunzip:  cannot find zipfile directory in one of {f} or\n        {f}.zip, and cannot find {f}.ZIP, period.\n"));
            9
        }
        Err(_) => {
            ctx.err(format!("unzip:  cannot find or open {f}, {f}.zip or {f}.ZIP.\n"));
            9
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn archives() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "tar xf /nope.tar").0, "tar: /nope.tar: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n");
        assert_eq!(run(&mut sh, "tar czf /tmp/e.tgz /etc && ls /tmp").0, "e.tgz\n");
        assert_eq!(run(&mut sh, "unzip /nope.zip").0, "unzip:  cannot find or open /nope.zip, /nope.zip.zip or /nope.zip.ZIP.\n");
    }
}
