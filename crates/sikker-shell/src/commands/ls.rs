//! `ls` (and `dir`): GNU column layout with tab stops, `-l` with aligned columns, `-a -A -d -R
//! -1 -t -r -S -h -i -n -F`; BusyBox's fixed-width long format on BusyBox personas.

use super::{bin, getopt, group_name, human, user_name, Ctx, Spec};
use crate::clock::ls_time;
use crate::vfs::{base_name, Device, Kind, Node};

pub(crate) static SPECS: &[Spec] = &[bin("ls", run), bin("dir", run)];

struct Entry {
    name: String,
    node: Node,
    link_target: Option<String>,
}

/// GNU `ls -C`: the most columns that fit in `width`, filled top to bottom, padded with tabs.
pub(crate) fn columns(names: &[String], width: usize) -> String {
    if names.is_empty() {
        return String::new();
    }
    let n = names.len();
    let lens: Vec<usize> = names.iter().map(|s| s.chars().count()).collect();
    let max_cols = (width / 3).max(1).min(n);
    let mut best_cols = 1;
    let mut best_widths = vec![lens.iter().copied().max().unwrap_or(0)];
    for cols in (1..=max_cols).rev() {
        let rows = n.div_ceil(cols);
        let mut widths = vec![0usize; cols];
        for (i, len) in lens.iter().enumerate() {
            let c = i / rows;
            if c >= cols {
                continue;
            }
            let real = len + if c == cols - 1 { 0 } else { 2 };
            widths[c] = widths[c].max(real);
        }
        if widths.iter().sum::<usize>() < width {
            best_cols = cols;
            best_widths = widths;
            break;
        }
    }
    let rows = n.div_ceil(best_cols);
    let mut out = String::new();
    for r in 0..rows {
        let mut pos = 0;
        let mut idx = r;
        let mut col = 0;
        loop {
            out.push_str(&names[idx]);
            let len = lens[idx];
            idx += rows;
            if idx >= n {
                break;
            }
            let to = pos + best_widths[col];
            let mut from = pos + len;
            while from < to {
                if to / 8 > (from + 1) / 8 {
                    out.push('\t');
                    from += 8 - from % 8;
                } else {
                    out.push(' ');
                    from += 1;
                }
            }
            pos = to;
            col += 1;
        }
        out.push('\n');
    }
    out
}

fn nlink(ctx: &Ctx<'_>, path: &str, node: &Node) -> usize {
    if !node.is_dir() {
        return 1;
    }
    ctx.st.vfs.list(path).map(|c| 2 + c.iter().filter(|(_, n)| n.is_dir()).count()).unwrap_or(2)
}

fn blocks(node: &Node) -> u64 {
    match node.kind {
        Kind::File(_) | Kind::Binary { .. } | Kind::Fetched { .. } => node.size().div_ceil(4096) * 4,
        Kind::Dir => 4,
        _ => 0,
    }
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // `dir` is `ls -C -b`: columns even into a pipe.
    let with_c;
    let args = if crate::vfs::base_name(&args[0]) == "dir" {
        with_c = [&args[..1], &["-C".to_owned()], &args[1..]].concat();
        &with_c[..]
    } else {
        args
    };
    let o = match getopt(args, "aAdlhR1tSrinFCxpLsUcuG", "w", &["all", "almost-all", "directory", "human-readable", "recursive", "color", "color=", "help", "version", "full-time", "inode", "classify"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("ls", &e, 2),
    };
    if o.long("version") {
        ctx.out("ls (GNU coreutils) 9.1\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n\nWritten by Richard M. Stallman and David MacKenzie.\n");
        return 0;
    }
    let long = o.has('l') || o.has('n');
    let mut targets = o.args.clone();
    if targets.is_empty() {
        targets.push(".".into());
    }
    let mut status = 0;
    let mut files: Vec<Entry> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    for t in &targets {
        let abs = ctx.abs(t);
        let res = if o.has('d') || long && !t.ends_with('/') && ctx.st.vfs.lstat(&abs).map(|(_, n)| n.is_link()).unwrap_or(false) {
            ctx.st.vfs.lstat(&abs)
        } else {
            ctx.st.vfs.stat(&abs)
        };
        match res {
            Ok((_, node)) => {
                if node.is_dir() && !o.has('d') {
                    dirs.push(t.clone());
                } else {
                    let node = node.clone();
                    let link_target = if let Kind::Link(tg) = &node.kind { Some(tg.to_string()) } else { None };
                    files.push(Entry { name: t.clone(), node, link_target });
                }
            }
            Err(e) => {
                ctx.err(format!("ls: cannot access '{t}': {}\n", e.message()));
                status = 2;
            }
        }
    }
    let multiple = targets.len() > 1 || o.has('R');
    let mut first = true;
    if !files.is_empty() {
        sort(&mut files, &o);
        print(ctx, &files, &o, long, false);
        first = false;
    }
    dirs.sort();
    let mut queue: std::collections::VecDeque<String> = dirs.into();
    let mut shown = 0;
    while let Some(d) = queue.pop_front() {
        shown += 1;
        if shown > 200 || ctx.output_full() {
            break;
        }
        let abs = ctx.abs(&d);
        let (canon, dnode) = match ctx.st.vfs.stat(&abs) {
            Ok((c, n)) => (c, n.clone()),
            Err(e) => {
                ctx.err(format!("ls: cannot access '{d}': {}\n", e.message()));
                status = 2;
                continue;
            }
        };
        if ctx.uid() != 0 && dnode.uid != ctx.uid() && dnode.mode & 0o004 == 0 {
            ctx.err(format!("ls: cannot open directory '{d}': Permission denied\n"));
            status = 2;
            continue;
        }
        let children = ctx.st.vfs.list(&canon).unwrap_or_default();
        let mut entries: Vec<Entry> = Vec::new();
        if o.has('a') || o.long("all") {
            entries.push(Entry { name: ".".into(), node: dnode.clone(), link_target: None });
            let parent = crate::vfs::parent_of(&canon).to_owned();
            let pnode = ctx.st.vfs.stat(&parent).map(|(_, n)| n.clone()).unwrap_or_else(|_| dnode.clone());
            entries.push(Entry { name: "..".into(), node: pnode, link_target: None });
        }
        for (name, node) in children {
            if name.starts_with('.') && !(o.has('a') || o.has('A') || o.long("all") || o.long("almost-all")) {
                continue;
            }
            let link_target = if let Kind::Link(t) = &node.kind { Some(t.to_string()) } else { None };
            entries.push(Entry { name, node, link_target });
        }
        sort(&mut entries, &o);
        if multiple {
            if !first {
                ctx.out("\n");
            }
            ctx.out(format!("{d}:\n"));
        }
        first = false;
        if long {
            let total: u64 = entries.iter().map(|e| blocks(&e.node)).sum();
            ctx.out(format!("total {total}\n"));
        }
        // Entries' paths for nlink counts.
        let base = if d.ends_with('/') { d.clone() } else { format!("{d}/") };
        let with_paths: Vec<Entry> = entries;
        print_in(ctx, &with_paths, &o, long, &base);
        if o.has('R') {
            let mut sub: Vec<String> = with_paths
                .iter()
                .filter(|e| e.node.is_dir() && e.name != "." && e.name != "..")
                .map(|e| format!("{base}{}", e.name))
                .collect();
            sub.sort();
            for (i, s) in sub.into_iter().enumerate() {
                queue.insert(i, s);
            }
        }
    }
    status
}

fn sort(entries: &mut [Entry], o: &super::Opts) {
    if o.has('U') {
        return;
    }
    if o.has('t') {
        entries.sort_by(|a, b| b.node.mtime.cmp(&a.node.mtime).then(a.name.cmp(&b.name)));
    } else if o.has('S') {
        entries.sort_by(|a, b| b.node.size().cmp(&a.node.size()).then(a.name.cmp(&b.name)));
    } else {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if o.has('r') {
        entries.reverse();
    }
}

fn print(ctx: &mut Ctx<'_>, entries: &[Entry], o: &super::Opts, long: bool, _dirs: bool) {
    print_in(ctx, entries, o, long, "");
}

fn decorate(e: &Entry, o: &super::Opts) -> String {
    let mut name = e.name.clone();
    if o.has('F') || o.has('p') || o.long("classify") {
        match &e.node.kind {
            Kind::Dir => name.push('/'),
            Kind::Link(_) if o.has('F') => name.push('@'),
            Kind::File(_) | Kind::Binary { .. } | Kind::Fetched { .. } if o.has('F') && e.node.mode & 0o111 != 0 => name.push('*'),
            _ => {}
        }
    }
    name
}

fn print_in(ctx: &mut Ctx<'_>, entries: &[Entry], o: &super::Opts, long: bool, base: &str) {
    if !long {
        let names: Vec<String> = entries.iter().map(|e| decorate(e, o)).collect();
        let names: Vec<String> = if o.has('i') {
            entries.iter().zip(names).map(|(e, n)| format!("{} {n}", inode(&e.name, e.node.mtime))).collect()
        } else {
            names
        };
        if o.has('1') || (!ctx.st.tty_out && !o.has('C')) {
            for n in names {
                ctx.out(format!("{n}\n"));
            }
        } else {
            let width = ctx.st.get_var("COLUMNS").and_then(|c| c.parse().ok()).unwrap_or(80);
            let text = columns(&names, width);
            ctx.out(text);
        }
        return;
    }
    let now = ctx.now();
    let busybox = ctx.persona_is_busybox();
    let rows: Vec<[String; 6]> = entries
        .iter()
        .map(|e| {
            let path = if e.name == "." || e.name == ".." || base.is_empty() { e.name.clone() } else { format!("{base}{}", e.name) };
            let links = nlink(ctx, &ctx.abs(&path), &e.node).to_string();
            let (owner, group) = if o.has('n') { (e.node.uid.to_string(), e.node.gid.to_string()) } else { (user_name(ctx.st, e.node.uid), group_name(ctx.st, e.node.gid)) };
            let size = match &e.node.kind {
                Kind::Dev(d) => {
                    let (ma, mi) = match d {
                        Device::Null => (1, 3),
                        Device::Zero => (1, 5),
                        Device::Random => (1, 9),
                        Device::Tty => (5, 0),
                    };
                    if busybox { format!("{ma:>3}, {mi:>3}") } else { format!("{ma}, {mi}") }
                }
                _ if o.has('h') => human(e.node.size()),
                _ => e.node.size().to_string(),
            };
            let mut name = decorate(e, o);
            if let Some(t) = &e.link_target {
                name = format!("{} -> {t}", e.name);
            }
            [e.node.mode_string(), links, owner, group, size, format!("{} {name}", ls_time(e.node.mtime, now))]
        })
        .collect();
    let w = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w1, w2, w3, w4) = (w(1), w(2), w(3), w(4));
    let mut out = String::new();
    for (r, e) in rows.iter().zip(entries) {
        if o.has('i') {
            out.push_str(&format!("{} ", inode(&e.name, e.node.mtime)));
        }
        if busybox {
            out.push_str(&format!("{} {:>4} {:<8} {:<8} {:>9} {}\n", r[0], r[1], r[2], r[3], r[4], r[5]));
        } else {
            out.push_str(&format!("{} {:>w1$} {:<w2$} {:<w3$} {:>w4$} {}\n", r[0], r[1], r[2], r[3], r[4], r[5]));
        }
    }
    ctx.out(out);
}

fn inode(name: &str, mtime: i64) -> u64 {
    let h = base_name(name).bytes().fold(1469598103934665603u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211));
    (h ^ mtime as u64) % 2_000_000 + 100_000
}

#[cfg(test)]
mod tests {
    use super::columns;
    use crate::commands::testing::{run, shell};

    #[test]
    fn gnu_columns_use_tab_stops() {
        let names: Vec<String> = "a bb ccc dddddddddd eeeeeeeeeeeeeeeeeeee f1 f2 f3 g h i j k l m n o p q r s t u v w x y z"
            .split(' ')
            .map(str::to_owned)
            .collect();
        // Captured from GNU ls 9.1 (`ls -C` at 80 columns) on Debian 12.
        assert_eq!(
            columns(&names, 80),
            "a   ccc\t\teeeeeeeeeeeeeeeeeeee  f2  g  i\tk  m  o  q  s  u  w  y\nbb  dddddddddd\tf1\t\t      f3  h  j\tl  n  p  r  t  v  x  z\n"
        );
    }

    #[test]
    fn ls_sees_writes_and_errors() {
        let mut sh = shell("debian12");
        run(&mut sh, "cd /tmp; echo hi > x.sh; chmod +x x.sh");
        assert_eq!(run(&mut sh, "ls /tmp").0, "x.sh\n");
        let (o, _) = run(&mut sh, "ls -l /tmp/x.sh");
        assert!(o.starts_with("-rwxr-xr-x 1 root root 3 Nov 24 07:31 /tmp/x.sh"), "{o}");
        let (o, c) = run(&mut sh, "ls /nope");
        assert_eq!((o.as_str(), c), ("ls: cannot access '/nope': No such file or directory\n", 2));
    }
}
