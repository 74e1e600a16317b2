//! Moving files around: `cp`, `mv`, `rm`, `mkdir`, `rmdir`, `touch`, `ln`, `mktemp`.

use super::{bin, getopt, Ctx, Spec};
use crate::vfs::{base_name, FsError, Kind, Node};
use std::sync::Arc;

pub(crate) static SPECS: &[Spec] = &[
    bin("cp", cp),
    bin("mv", mv),
    bin("rm", rm),
    bin("mkdir", mkdir),
    bin("rmdir", rmdir),
    bin("touch", touch),
    bin("ln", ln),
    bin("mktemp", mktemp),
];

/// The destination path for `src` copied/moved to `dst` (into it when it is a directory).
fn target(ctx: &Ctx<'_>, src: &str, dst: &str) -> String {
    let abs = ctx.abs(dst);
    if ctx.st.vfs.is_dir(&abs) {
        format!("{}/{}", abs.trim_end_matches('/'), base_name(src))
    } else {
        abs
    }
}

fn cp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "rRfaipvdPnulsxT", "t", &["recursive", "force", "archive", "verbose", "preserve", "help", "version", "no-preserve="]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("cp", &e, 1),
    };
    let mut ops = o.args.clone();
    let dest = match o.value('t') {
        Some(t) => t.to_owned(),
        None => match ops.pop() {
            Some(d) if !ops.is_empty() => d,
            Some(d) => {
                ctx.err(format!("cp: missing destination file operand after '{d}'\nTry 'cp --help' for more information.\n"));
                return 1;
            }
            None => {
                ctx.err("cp: missing file operand\nTry 'cp --help' for more information.\n");
                return 1;
            }
        },
    };
    if ops.len() > 1 && !ctx.st.vfs.is_dir(&ctx.abs(&dest)) {
        ctx.err(format!("cp: target '{dest}': Not a directory\n"));
        return 1;
    }
    let recursive = o.has('r') || o.has('R') || o.has('a') || o.long("recursive") || o.long("archive");
    let mut status = 0;
    for src in &ops {
        let abs = ctx.abs(src);
        let (canon, node) = match ctx.st.vfs.stat(&abs) {
            Ok((c, n)) => (c, n.clone()),
            Err(e) => {
                ctx.err(format!("cp: cannot stat '{src}': {}\n", e.message()));
                status = 1;
                continue;
            }
        };
        if node.is_dir() && !recursive {
            ctx.err(format!("cp: -r not specified; omitting directory '{src}'\n"));
            status = 1;
            continue;
        }
        let to = target(ctx, src, &dest);
        if node.uid != ctx.uid() && ctx.uid() != 0 && node.mode & 0o004 == 0 {
            ctx.err(format!("cp: cannot open '{src}' for reading: Permission denied\n"));
            status = 1;
            continue;
        }
        let uid = ctx.uid();
        let res = if node.is_dir() {
            ctx.st.vfs.copy_tree(&canon, &to, uid)
        } else {
            let data = ctx.st.vfs.read(&canon, 0, ctx.limit(), ctx.now(), 0);
            match data {
                Ok(d) => {
                    let now = ctx.now();
                    let r = ctx.st.vfs.write(&to, &d, false, uid, now);
                    if r.is_ok() && node.mode & 0o111 != 0 {
                        let _ = ctx.st.vfs.update(&to, true, |n| n.mode = node.mode);
                    }
                    r
                }
                Err(e) => Err(e),
            }
        };
        match res {
            Ok(()) => {
                if o.has('v') {
                    ctx.out(format!("'{src}' -> '{to}'\n"));
                }
            }
            Err(FsError::Exists) => {
                ctx.err(format!("cp: cannot overwrite directory '{to}' with non-directory\n"));
                status = 1;
            }
            Err(e) => {
                ctx.err(format!("cp: cannot create regular file '{dest}': {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn mv(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "fivnuT", "t", &["force", "verbose", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("mv", &e, 1),
    };
    let mut ops = o.args.clone();
    let dest = match ops.pop() {
        Some(d) if !ops.is_empty() => d,
        Some(d) => {
            ctx.err(format!("mv: missing destination file operand after '{d}'\nTry 'mv --help' for more information.\n"));
            return 1;
        }
        None => {
            ctx.err("mv: missing file operand\nTry 'mv --help' for more information.\n");
            return 1;
        }
    };
    let mut status = 0;
    for src in &ops {
        let abs = ctx.abs(src);
        if ctx.st.vfs.lstat(&abs).is_err() {
            ctx.err(format!("mv: cannot stat '{src}': No such file or directory\n"));
            status = 1;
            continue;
        }
        let to = target(ctx, src, &dest);
        let uid = ctx.uid();
        match ctx.st.vfs.rename(&abs, &to, uid) {
            Ok(()) => {
                if o.has('v') {
                    ctx.out(format!("renamed '{src}' -> '{to}'\n"));
                }
            }
            Err(e) => {
                ctx.err(format!("mv: cannot move '{src}' to '{dest}': {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn rm(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "rRfidvI", "", &["recursive", "force", "verbose", "no-preserve-root", "preserve-root", "help", "version", "dir"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("rm", &e, 1),
    };
    let force = o.has('f') || o.long("force");
    let recursive = o.has('r') || o.has('R') || o.long("recursive");
    if o.args.is_empty() && !force {
        ctx.err("rm: missing operand\nTry 'rm --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for f in &o.args {
        let abs = ctx.abs(f);
        if abs == "/" && !o.long("no-preserve-root") {
            ctx.err("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
            status = 1;
            continue;
        }
        let node = match ctx.st.vfs.lstat(&abs) {
            Ok((_, n)) => n.clone(),
            Err(e) => {
                if !force {
                    ctx.err(format!("rm: cannot remove '{f}': {}\n", e.message()));
                    status = 1;
                }
                continue;
            }
        };
        if node.is_dir() && !recursive && !o.has('d') {
            ctx.err(format!("rm: cannot remove '{f}': Is a directory\n"));
            status = 1;
            continue;
        }
        let uid = ctx.uid();
        match ctx.st.vfs.remove(&abs, recursive, uid) {
            Ok(()) => {
                if o.has('v') {
                    ctx.out(format!("removed '{f}'\n"));
                }
            }
            Err(e) => {
                ctx.err(format!("rm: cannot remove '{f}': {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn dir_node(ctx: &Ctx<'_>, mode: u32) -> Node {
    Node { kind: Kind::Dir, mode, uid: ctx.st.uid, gid: ctx.st.gid, mtime: ctx.now(), attrs: 0 }
}

fn mkdir(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "pv", "m", &["parents", "verbose", "mode=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("mkdir", &e, 1),
    };
    if o.args.is_empty() {
        ctx.err("mkdir: missing operand\nTry 'mkdir --help' for more information.\n");
        return 1;
    }
    let mode = o.value('m').and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0o755);
    let parents = o.has('p') || o.long("parents");
    let mut status = 0;
    for d in &o.args {
        let abs = ctx.abs(d);
        if parents {
            let mut cur = String::new();
            for comp in abs.split('/').filter(|c| !c.is_empty()) {
                cur.push('/');
                cur.push_str(comp);
                if ctx.st.vfs.exists(&cur) {
                    if !ctx.st.vfs.is_dir(&cur) {
                        ctx.err(format!("mkdir: cannot create directory ‘{d}’: Not a directory\n"));
                        status = 1;
                        break;
                    }
                    continue;
                }
                let node = dir_node(ctx, mode);
                if let Err(e) = ctx.st.vfs.create(&cur, node) {
                    ctx.err(format!("mkdir: cannot create directory ‘{d}’: {}\n", e.message()));
                    status = 1;
                    break;
                }
                if o.has('v') {
                    ctx.out(format!("mkdir: created directory '{cur}'\n"));
                }
            }
            continue;
        }
        let node = dir_node(ctx, mode);
        match ctx.st.vfs.create(&abs, node) {
            Ok(()) => {
                if o.has('v') {
                    ctx.out(format!("mkdir: created directory '{d}'\n"));
                }
            }
            Err(e) => {
                ctx.err(format!("mkdir: cannot create directory ‘{d}’: {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn rmdir(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "pv", "", &["parents", "verbose", "ignore-fail-on-non-empty", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("rmdir", &e, 1),
    };
    if o.args.is_empty() {
        ctx.err("rmdir: missing operand\nTry 'rmdir --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for d in &o.args {
        let abs = ctx.abs(d);
        match ctx.st.vfs.lstat(&abs).map(|(_, n)| n.is_dir()) {
            Ok(true) => {}
            Ok(false) => {
                ctx.err(format!("rmdir: failed to remove '{d}': Not a directory\n"));
                status = 1;
                continue;
            }
            Err(e) => {
                ctx.err(format!("rmdir: failed to remove '{d}': {}\n", e.message()));
                status = 1;
                continue;
            }
        }
        let uid = ctx.uid();
        if let Err(e) = ctx.st.vfs.remove(&abs, false, uid) {
            if !(e == FsError::NotEmpty && o.long("ignore-fail-on-non-empty")) {
                ctx.err(format!("rmdir: failed to remove '{d}': {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

fn touch(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "acmfh", "dtr", &["no-create", "date=", "reference=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("touch", &e, 1),
    };
    if o.args.is_empty() {
        ctx.err("touch: missing file operand\nTry 'touch --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    let now = ctx.now();
    // `touch -r ref` copies the reference time; `-t`/`-d` are accepted and set to now.
    let when = o.value('r').and_then(|r| ctx.st.vfs.stat(&ctx.abs(r)).ok().map(|(_, n)| n.mtime)).unwrap_or(now);
    for f in &o.args {
        let abs = ctx.abs(f);
        if ctx.st.vfs.exists(&abs) {
            if let Err(e) = ctx.st.vfs.update(&abs, true, |n| n.mtime = when) {
                ctx.err(format!("touch: cannot touch '{f}': {}\n", e.message()));
                status = 1;
            }
            continue;
        }
        if o.has('c') {
            continue;
        }
        let uid = ctx.uid();
        if let Err(e) = ctx.st.vfs.write(&abs, b"", false, uid, when) {
            ctx.err(format!("touch: cannot touch '{f}': {}\n", e.message()));
            status = 1;
        }
    }
    status
}

fn ln(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "sfnvrTi", "t", &["symbolic", "force", "verbose", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("ln", &e, 1),
    };
    let (src, dst) = match o.args.as_slice() {
        [s] => (s.clone(), base_name(s).to_owned()),
        [s, d] => (s.clone(), d.clone()),
        [] => {
            ctx.err("ln: missing file operand\nTry 'ln --help' for more information.\n");
            return 1;
        }
        _ => {
            let d = o.args.last().cloned().unwrap_or_default();
            ctx.err(format!("ln: target '{d}': Not a directory\n"));
            return 1;
        }
    };
    let to = target(ctx, &src, &dst);
    if (o.has('f') || o.long("force")) && ctx.st.vfs.lstat(&to).is_ok() {
        let uid = ctx.uid();
        let _ = ctx.st.vfs.remove(&to, false, uid);
    }
    let symbolic = o.has('s') || o.long("symbolic");
    let node = if symbolic {
        Node { kind: Kind::Link(Arc::from(src.as_str())), mode: 0o777, uid: ctx.st.uid, gid: ctx.st.gid, mtime: ctx.now(), attrs: 0 }
    } else {
        match ctx.st.vfs.stat(&ctx.abs(&src)) {
            Ok((_, n)) if n.is_dir() => {
                ctx.err(format!("ln: {src}: hard link not allowed for directory\n"));
                return 1;
            }
            Ok((_, n)) => n.clone(),
            Err(e) => {
                ctx.err(format!("ln: failed to access '{src}': {}\n", e.message()));
                return 1;
            }
        }
    };
    match ctx.st.vfs.create(&to, node) {
        Ok(()) => {
            if o.has('v') {
                ctx.out(format!("'{dst}' -> '{src}'\n"));
            }
            0
        }
        Err(FsError::Exists) => {
            ctx.err(format!("ln: failed to create {}link '{dst}': File exists\n", if symbolic { "symbolic " } else { "hard " }));
            1
        }
        Err(e) => {
            ctx.err(format!("ln: failed to create {}link '{dst}': {}\n", if symbolic { "symbolic " } else { "hard " }, e.message()));
            1
        }
    }
}

fn mktemp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "dqtu", "p", &["directory", "tmpdir=", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("mktemp", &e, 1),
    };
    let template = o.args.first().cloned().unwrap_or_else(|| "tmp.XXXXXXXXXX".to_owned());
    let mut x = (ctx.now() as u64) ^ ctx.st.sys.persona.seed ^ (ctx.st.steps as u64).wrapping_mul(0x9E37_79B9);
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let name: String = template
        .chars()
        .rev()
        .scan(true, |tail, c| {
            if *tail && c == 'X' {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                Some(ALNUM[((x >> 33) % 62) as usize] as char)
            } else {
                *tail = false;
                Some(c)
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let dir = o.value('p').unwrap_or("/tmp");
    let path = if name.contains('/') { name } else { format!("{}/{name}", dir.trim_end_matches('/')) };
    let res = if o.has('d') { ctx.st.vfs.create(&path, dir_node(ctx, 0o700)) } else {
        let now = ctx.now();
        let uid = ctx.uid();
        ctx.st.vfs.write(&path, b"", false, uid, now)
    };
    match res {
        Ok(()) => {
            ctx.out(format!("{path}\n"));
            0
        }
        Err(e) => {
            ctx.err(format!("mktemp: failed to create file via template '{template}': {}\n", e.message()));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn file_lifecycle() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "mkdir -p /tmp/a/b && echo x > /tmp/a/b/f && cp /tmp/a/b/f /tmp/g && cat /tmp/g").0, "x\n");
        assert_eq!(run(&mut sh, "mv /tmp/g /tmp/a/ && ls /tmp/a").0, "b  g\n");
        let (o, c) = run(&mut sh, "rmdir /tmp/a");
        assert_eq!((o.as_str(), c), ("rmdir: failed to remove '/tmp/a': Directory not empty\n", 1));
        assert_eq!(run(&mut sh, "rm -rf /tmp/a; ls /tmp/a").1, 2);
        assert_eq!(run(&mut sh, "ln -s /etc/hostname /tmp/h; cat /tmp/h").1, 0);
        assert_eq!(run(&mut sh, "rm /tmp").0, "rm: cannot remove '/tmp': Is a directory\n");
    }
}
