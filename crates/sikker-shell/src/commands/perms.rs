//! Ownership and modes: `chmod` (octal and symbolic), `chown`, `chgrp`.

use super::{bin, getopt, lookup_user, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("chmod", chmod), bin("chown", chown), bin("chgrp", chgrp)];

/// Applies a mode like `755`, `+x`, `u+rwx,go-w`, `a=r` to `old`; `None` if invalid.
pub(crate) fn apply_mode(spec: &str, old: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.chars().all(|c| c.is_digit(8)) {
        return u32::from_str_radix(spec, 8).ok().filter(|m| *m <= 0o7777);
    }
    let mut mode = old;
    for clause in spec.split(',') {
        let who_end = clause.find(['+', '-', '=']).unwrap_or(clause.len());
        let who = &clause[..who_end];
        if who.chars().any(|c| !"ugoa".contains(c)) || who_end == clause.len() {
            return None;
        }
        let mut rest = &clause[who_end..];
        let mask_who = if who.is_empty() || who.contains('a') {
            0o7777
        } else {
            let mut m = 0;
            if who.contains('u') {
                m |= 0o4700;
            }
            if who.contains('g') {
                m |= 0o2070;
            }
            if who.contains('o') {
                m |= 0o1007;
            }
            m
        };
        while !rest.is_empty() {
            let op = rest.chars().next()?;
            rest = &rest[1..];
            let perm_end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
            let perms = &rest[..perm_end];
            rest = &rest[perm_end..];
            let mut bits = 0;
            for c in perms.chars() {
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if is_dir || old & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            let bits = bits & mask_who;
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                '=' => mode = (mode & !mask_who) | bits,
                _ => return None,
            }
        }
    }
    Some(mode)
}

fn chmod(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // Symbolic modes like -x look like options; take the first non-flag operand as the mode.
    let mut recursive = false;
    let mut verbose = false;
    let mut ops: Vec<String> = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-R" | "--recursive" => recursive = true,
            "-v" | "--verbose" | "-c" | "--changes" => verbose = true,
            "-f" | "--silent" | "--quiet" => {}
            "--version" => {
                ctx.out("chmod (GNU coreutils) 9.1\n");
                return 0;
            }
            _ => ops.push(a.clone()),
        }
    }
    if ops.is_empty() {
        ctx.err("chmod: missing operand\nTry 'chmod --help' for more information.\n");
        return 1;
    }
    let spec = ops.remove(0);
    if ops.is_empty() {
        ctx.err(format!("chmod: missing operand after ‘{spec}’\nTry 'chmod --help' for more information.\n"));
        return 1;
    }
    if apply_mode(&spec, 0, false).is_none() {
        ctx.err(format!("chmod: invalid mode: ‘{spec}’\nTry 'chmod --help' for more information.\n"));
        return 1;
    }
    let mut status = 0;
    for f in &ops {
        let abs = ctx.abs(f);
        let mut paths = vec![abs.clone()];
        if recursive && ctx.st.vfs.is_dir(&abs) {
            paths.extend(ctx.st.vfs.walk(&abs, 2000).into_iter().map(|(p, _)| p));
        }
        for p in paths {
            let node = match ctx.st.vfs.stat(&p) {
                Ok((_, n)) => n.clone(),
                Err(e) => {
                    ctx.err(format!("chmod: cannot access '{f}': {}\n", e.message()));
                    status = 1;
                    continue;
                }
            };
            if ctx.uid() != 0 && node.uid != ctx.uid() {
                ctx.err(format!("chmod: changing permissions of '{f}': Operation not permitted\n"));
                status = 1;
                continue;
            }
            if node.attrs & crate::vfs::ATTR_IMMUTABLE != 0 {
                ctx.err(format!("chmod: changing permissions of '{f}': Operation not permitted\n"));
                status = 1;
                continue;
            }
            let new = apply_mode(&spec, node.mode, node.is_dir()).unwrap_or(node.mode);
            if let Err(e) = ctx.st.vfs.update(&p, true, |n| n.mode = new) {
                ctx.err(format!("chmod: changing permissions of '{f}': {}\n", e.message()));
                status = 1;
            } else if verbose {
                ctx.out(format!("mode of '{f}' changed from {:04o} to {new:04o}\n", node.mode));
            }
        }
    }
    status
}

fn chown_common(ctx: &mut Ctx<'_>, args: &[String], cmd: &str, group_only: bool) -> i32 {
    let o = match getopt(args, "RhvcfHLP", "", &["recursive", "verbose", "reference=", "help", "version", "dereference", "no-dereference"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option(cmd, &e, 1),
    };
    let mut ops = o.args.clone();
    if ops.len() < 2 {
        let what = if ops.is_empty() { "missing operand".to_owned() } else { format!("missing operand after '{}'", ops[0]) };
        ctx.err(format!("{cmd}: {what}\nTry '{cmd} --help' for more information.\n"));
        return 1;
    }
    let spec = ops.remove(0);
    let (user, group) = if group_only {
        (None, Some(spec.clone()))
    } else {
        match spec.split_once([':', '.']) {
            Some((u, g)) => (Some(u.to_owned()).filter(|u| !u.is_empty()), Some(g.to_owned()).filter(|g| !g.is_empty())),
            None => (Some(spec.clone()), None),
        }
    };
    let persona = ctx.sys();
    let uid = match &user {
        Some(u) => match lookup_user(persona.persona(), u) {
            Some((_, uid, _)) => Some(uid),
            None => {
                ctx.err(format!("{cmd}: invalid user: ‘{spec}’\n"));
                return 1;
            }
        },
        None => None,
    };
    let gid = match &group {
        Some(g) => match g.as_str() {
            "root" | "wheel" => Some(0),
            "adm" => Some(4),
            "sudo" => Some(27),
            "www-data" => Some(33),
            "users" => Some(100),
            "nogroup" | "nobody" => Some(65534),
            other => match lookup_user(persona.persona(), other) {
                Some((_, _, gid)) => Some(gid),
                None => {
                    if group_only {
                        ctx.err(format!("chgrp: invalid group: ‘{other}’\n"));
                    } else {
                        ctx.err(format!("chown: invalid group: ‘{spec}’\n"));
                    }
                    return 1;
                }
            },
        },
        None => None,
    };
    let mut status = 0;
    for f in &ops {
        let abs = ctx.abs(f);
        if !ctx.st.vfs.exists(&abs) {
            ctx.err(format!("{cmd}: cannot access '{f}': No such file or directory\n"));
            status = 1;
            continue;
        }
        if ctx.uid() != 0 {
            ctx.err(format!("{cmd}: changing ownership of '{f}': Operation not permitted\n"));
            status = 1;
            continue;
        }
        let mut paths = vec![abs.clone()];
        if o.has('R') && ctx.st.vfs.is_dir(&abs) {
            paths.extend(ctx.st.vfs.walk(&abs, 2000).into_iter().map(|(p, _)| p));
        }
        for p in paths {
            let _ = ctx.st.vfs.update(&p, true, |n| {
                if let Some(u) = uid {
                    n.uid = u;
                }
                if let Some(g) = gid {
                    n.gid = g;
                }
            });
        }
    }
    status
}

fn chown(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    chown_common(ctx, args, "chown", false)
}

fn chgrp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    chown_common(ctx, args, "chgrp", true)
}

#[cfg(test)]
mod tests {
    use super::apply_mode;
    use crate::commands::testing::{run, shell};

    #[test]
    fn modes() {
        assert_eq!(apply_mode("755", 0, false), Some(0o755));
        assert_eq!(apply_mode("+x", 0o644, false), Some(0o755));
        assert_eq!(apply_mode("u+x,go-r", 0o644, false), Some(0o700));
        assert_eq!(apply_mode("a=r", 0o777, false), Some(0o444));
        assert_eq!(apply_mode("z+q", 0, false), None);
    }

    #[test]
    fn chmod_and_chown_apply() {
        let mut sh = shell("debian12");
        run(&mut sh, "touch /tmp/f; chmod 4750 /tmp/f; chown nobody:root /tmp/f");
        let (o, _) = run(&mut sh, "ls -l /tmp/f");
        assert!(o.starts_with("-rwsr-x--- 1 nobody root 0 "), "{o}");
        assert_eq!(run(&mut sh, "chmod 999 /tmp/f").0, "chmod: invalid mode: ‘999’\nTry 'chmod --help' for more information.\n");
    }
}
