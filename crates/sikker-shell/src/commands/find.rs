//! `find`: paths, `-name -iname -path -type -perm -user -size -empty -maxdepth -mindepth
//! -newer -mtime -print -print0 -delete -exec … {} \;`, with `!`/`-not` and implicit `-and`.

use super::{bin, Ctx, Spec};
use crate::interp::glob_match;
use crate::vfs::{Kind, Node};

pub(crate) static SPECS: &[Spec] = &[bin("find", run)];

enum Test {
    Name(String, bool),
    Path(String),
    Type(char),
    Perm(u32, char),
    User(u32),
    Size(i64, char, u64),
    Empty,
    True,
    Not(Box<Test>),
    Or(Box<Test>, Box<Test>),
}

fn matches(t: &Test, path: &str, n: &Node) -> bool {
    match t {
        Test::Name(p, icase) => {
            let name = crate::vfs::base_name(path);
            let (p, name) = if *icase { (p.to_lowercase(), name.to_lowercase()) } else { (p.clone(), name.to_owned()) };
            glob_match(&p.chars().collect::<Vec<_>>(), &name.chars().collect::<Vec<_>>())
        }
        Test::Path(p) => glob_match(&p.chars().collect::<Vec<_>>(), &path.chars().collect::<Vec<_>>()),
        Test::Type(c) => match c {
            'f' => matches!(n.kind, Kind::File(_) | Kind::Binary { .. } | Kind::Fetched { .. } | Kind::Dynamic(_)),
            'd' => n.is_dir(),
            'l' => n.is_link(),
            'c' => matches!(n.kind, Kind::Dev(_)),
            _ => false,
        },
        Test::Perm(m, how) => match how {
            '-' => n.mode & m == *m,
            '/' => n.mode & m != 0,
            _ => n.mode & 0o7777 == *m,
        },
        Test::User(u) => n.uid == *u,
        Test::Size(v, cmp, unit) => {
            let units = (n.size() as i64 + *unit as i64 - 1) / *unit as i64;
            match cmp {
                '+' => units > *v,
                '-' => units < *v,
                _ => units == *v,
            }
        }
        Test::Empty => n.size() == 0,
        Test::True => true,
        Test::Not(t) => !matches(t, path, n),
        Test::Or(a, b) => matches(a, path, n) || matches(b, path, n),
    }
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut i = 1;
    let mut roots = Vec::new();
    while i < args.len() && !args[i].starts_with('-') && args[i] != "!" && args[i] != "(" {
        roots.push(args[i].clone());
        i += 1;
    }
    if roots.is_empty() {
        roots.push(".".into());
    }
    let mut tests: Vec<Test> = Vec::new();
    let mut maxdepth = usize::MAX;
    let mut mindepth = 0;
    let mut exec: Option<Vec<String>> = None;
    let mut delete = false;
    let mut print0 = false;
    let mut negate = false;
    let mut pending_or = false;
    while i < args.len() {
        let a = args[i].as_str();
        let val = args.get(i + 1).cloned();
        let mut test = None;
        match a {
            "!" | "-not" => {
                negate = true;
                i += 1;
                continue;
            }
            "-o" | "-or" => {
                pending_or = true;
                i += 1;
                continue;
            }
            "-a" | "-and" | "(" | ")" | "-print" | "-xdev" | "-mount" | "-follow" | "-depth" | "-ls" => {}
            "-print0" => print0 = true,
            "-delete" => delete = true,
            "-empty" => test = Some(Test::Empty),
            "-writable" | "-readable" | "-executable" => test = Some(if a == "-executable" { Test::Perm(0o111, '/') } else { Test::True }),
            "-name" | "-iname" | "-path" | "-wholename" | "-type" | "-perm" | "-user" | "-size" | "-maxdepth" | "-mindepth" | "-mtime" | "-mmin" | "-newer" | "-group" | "-uid" | "-atime" | "-ctime" => {
                let Some(v) = val else {
                    ctx.err(format!("find: missing argument to `{a}'\n"));
                    return 1;
                };
                i += 1;
                match a {
                    "-name" => test = Some(Test::Name(v, false)),
                    "-iname" => test = Some(Test::Name(v, true)),
                    "-path" | "-wholename" => test = Some(Test::Path(v)),
                    "-type" => test = Some(Test::Type(v.chars().next().unwrap_or('f'))),
                    "-perm" => {
                        let (how, digits) = match v.chars().next() {
                            Some(c @ ('-' | '/')) => (c, v[1..].to_owned()),
                            _ => ('=', v.clone()),
                        };
                        let m = u32::from_str_radix(&digits, 8).ok().or_else(|| super::perms::apply_mode(&digits, 0, false));
                        match m {
                            Some(m) => test = Some(Test::Perm(m, how)),
                            None => {
                                ctx.err(format!("find: invalid mode `{v}'\n"));
                                return 1;
                            }
                        }
                    }
                    "-user" | "-uid" => {
                        let uid = super::lookup_user(&ctx.st.sys.persona, &v).map(|(_, u, _)| u);
                        match uid {
                            Some(u) => test = Some(Test::User(u)),
                            None => {
                                ctx.err(format!("find: '{v}' is not the name of a known user\n"));
                                return 1;
                            }
                        }
                    }
                    "-size" => {
                        let (cmp, rest) = match v.chars().next() {
                            Some(c @ ('+' | '-')) => (c, &v[1..]),
                            _ => ('=', v.as_str()),
                        };
                        let (num, unit) = match rest.chars().last() {
                            Some('c') => (&rest[..rest.len() - 1], 1),
                            Some('k') => (&rest[..rest.len() - 1], 1024),
                            Some('M') => (&rest[..rest.len() - 1], 1 << 20),
                            Some('G') => (&rest[..rest.len() - 1], 1 << 30),
                            _ => (rest, 512),
                        };
                        match num.parse::<i64>() {
                            Ok(n) => test = Some(Test::Size(n, cmp, unit)),
                            Err(_) => {
                                ctx.err(format!("find: invalid argument `{v}' to `-size'\n"));
                                return 1;
                            }
                        }
                    }
                    "-maxdepth" => maxdepth = v.parse().unwrap_or(usize::MAX),
                    "-mindepth" => mindepth = v.parse().unwrap_or(0),
                    _ => {}
                }
            }
            "-exec" | "-execdir" | "-ok" => {
                let end = args[i + 1..].iter().position(|x| x == ";" || x == "+").map(|p| p + i + 1);
                match end {
                    Some(e) => {
                        exec = Some(args[i + 1..e].to_vec());
                        i = e;
                    }
                    None => {
                        ctx.err(format!("find: missing argument to `{a}'\n"));
                        return 1;
                    }
                }
            }
            other => {
                ctx.err(format!("find: unknown predicate `{other}'\n"));
                return 1;
            }
        }
        if let Some(mut t) = test {
            if negate {
                t = Test::Not(Box::new(t));
                negate = false;
            }
            if pending_or {
                if let Some(prev) = tests.pop() {
                    t = Test::Or(Box::new(prev), Box::new(t));
                }
                pending_or = false;
            }
            tests.push(t);
        }
        i += 1;
    }
    let mut status = 0;
    let mut hits: Vec<String> = Vec::new();
    for root in &roots {
        let abs = ctx.abs(root);
        let Ok((_, rnode)) = ctx.st.vfs.stat(&abs) else {
            ctx.err(format!("find: ‘{root}’: No such file or directory\n"));
            status = 1;
            continue;
        };
        let rnode = rnode.clone();
        let mut entries = vec![(abs.clone(), rnode.clone(), 0usize)];
        if rnode.is_dir() && maxdepth > 0 {
            for (p, n) in ctx.st.vfs.walk(&abs, 20_000) {
                let depth = p[abs.len()..].matches('/').count() + usize::from(abs == "/");
                if depth <= maxdepth {
                    entries.push((p, n, depth));
                }
            }
        }
        // walk() is depth-first but visits siblings in reverse; sort like find's readdir order.
        entries[1..].sort_by(|a, b| a.0.cmp(&b.0));
        for (p, n, depth) in entries {
            if depth < mindepth {
                continue;
            }
            if ctx.uid() != 0 && n.is_dir() && n.uid != ctx.uid() && n.mode & 0o005 == 0 {
                let shown = display(root, &abs, &p);
                ctx.err(format!("find: ‘{shown}’: Permission denied\n"));
                status = 1;
            }
            if tests.iter().all(|t| matches(t, &p, &n)) {
                hits.push(display(root, &abs, &p));
            }
            if hits.len() > 20_000 {
                break;
            }
        }
    }
    if let Some(cmd) = exec {
        for h in hits.iter().take(256) {
            let argv: Vec<String> = cmd.iter().map(|a| a.replace("{}", h)).collect();
            ctx.run_argv(argv);
        }
        return status;
    }
    if delete {
        for h in hits.iter().rev() {
            let abs = ctx.abs(h);
            let uid = ctx.uid();
            let _ = ctx.st.vfs.remove(&abs, true, uid);
        }
        return status;
    }
    let sep = if print0 { '\0' } else { '\n' };
    let text: String = hits.into_iter().map(|h| format!("{h}{sep}")).collect();
    ctx.out(text);
    status
}

fn display(root: &str, abs_root: &str, path: &str) -> String {
    if path == abs_root {
        return root.to_owned();
    }
    let rest = &path[abs_root.len()..];
    let rest = if abs_root == "/" { format!("/{rest}") } else { rest.to_owned() };
    format!("{}{}", root.trim_end_matches('/'), rest)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn find_forms() {
        let mut sh = shell("debian12");
        run(&mut sh, "mkdir -p /tmp/f/a; touch /tmp/f/a/x.sh /tmp/f/y.txt; chmod 4755 /tmp/f/a/x.sh");
        assert_eq!(run(&mut sh, "find /tmp/f").0, "/tmp/f\n/tmp/f/a\n/tmp/f/a/x.sh\n/tmp/f/y.txt\n");
        assert_eq!(run(&mut sh, "find /tmp/f -name '*.sh'").0, "/tmp/f/a/x.sh\n");
        assert_eq!(run(&mut sh, "find /tmp/f -type d").0, "/tmp/f\n/tmp/f/a\n");
        assert_eq!(run(&mut sh, "cd /tmp/f; find . -perm -4000").0, "./a/x.sh\n");
        assert_eq!(run(&mut sh, "find /tmp/f -name '*.txt' -exec cat {} \\;").0, "");
        assert_eq!(run(&mut sh, "find /nope").1, 1);
    }
}
