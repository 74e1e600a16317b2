//! Inspecting files: `file`, `stat`, `readlink`, `realpath`.

use super::{bin, group_name, user_name, Ctx, Spec};
use crate::clock::format_date;
use crate::vfs::{Device, Kind, Node};

pub(crate) static SPECS: &[Spec] = &[bin("file", file), bin("stat", stat), bin("readlink", readlink), bin("realpath", realpath)];

const ELF_DESC: &str = "ELF 64-bit LSB pie executable, x86-64, version 1 (SYSV), dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2, BuildID[sha1]=15dfff3239aa7c3b16a71e6b2e3b6e4009dab998, for GNU/Linux 3.2.0, stripped";

fn describe(node: &Node, data: &[u8]) -> String {
    match &node.kind {
        Kind::Dir => "directory".into(),
        Kind::Link(t) => format!("symbolic link to {t}"),
        Kind::Dev(d) => {
            let (a, b) = match d {
                Device::Null => (1, 3),
                Device::Zero => (1, 5),
                Device::Random => (1, 9),
                Device::Tty => (5, 0),
            };
            format!("character special ({a}/{b})")
        }
        Kind::Binary { .. } | Kind::Fetched { script: false, .. } => ELF_DESC.into(),
        Kind::Dynamic(_) => "empty".into(),
        Kind::Fetched { script: true, .. } | Kind::File(_) => {
            if data.is_empty() {
                "empty".into()
            } else if data.starts_with(b"\x7fELF") {
                ELF_DESC.into()
            } else if data.starts_with(b"#!/bin/sh") || data.starts_with(b"#!/bin/bash") || data.starts_with(b"#!/usr/bin/env bash") {
                let kind = if data.starts_with(b"#!/bin/sh") { "POSIX shell script" } else { "Bourne-Again shell script" };
                format!("{kind}, ASCII text executable")
            } else if data.starts_with(b"\x1f\x8b") {
                "gzip compressed data".into()
            } else if data.iter().all(|b| b.is_ascii() && (*b >= 32 || b"\n\t\r".contains(b))) {
                if data.contains(&b'\r') {
                    "ASCII text, with CRLF line terminators".into()
                } else if !data.contains(&b'\n') {
                    "ASCII text, with no line terminators".into()
                } else {
                    "ASCII text".into()
                }
            } else if std::str::from_utf8(data).is_ok() {
                "Unicode text, UTF-8 text".into()
            } else {
                "data".into()
            }
        }
    }
}

fn file(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let names: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if names.is_empty() {
        ctx.err("Usage: file [-bcCdEhikLlNnprsSvzZ0] [--apple] [--extension] [--mime-encoding]\n            [--mime-type] [-e <testname>] [-F <separator>]  [-f <namefile>]\n            [-m <magicfiles>] [-P <parameter=value>] [--exclude-quiet]\n            <file> ...\n       file -C [-m <magicfiles>]\n       file [--help]\n");
        return 1;
    }
    let brief = args.iter().any(|a| a == "-b");
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for n in &names {
        let abs = ctx.abs(n);
        let desc = match ctx.st.vfs.lstat(&abs) {
            Ok((_, node)) => {
                let node = node.clone();
                let data = if matches!(node.kind, Kind::File(_) | Kind::Fetched { .. }) { ctx.st.vfs.read(&abs, 0, 4096, 0, 0).unwrap_or_default() } else { Vec::new() };
                describe(&node, &data)
            }
            Err(e) => format!("cannot open `{n}' ({})", e.message()),
        };
        if brief {
            out.push_str(&format!("{desc}\n"));
        } else {
            out.push_str(&format!("{:<width$} {desc}\n", format!("{n}:")));
        }
    }
    ctx.out(out);
    0
}

fn stat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let names: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if names.is_empty() {
        ctx.err("stat: missing operand\nTry 'stat --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for n in names {
        let abs = ctx.abs(&n);
        let node = match ctx.st.vfs.lstat(&abs) {
            Ok((_, node)) => node.clone(),
            Err(e) => {
                ctx.err(format!("stat: cannot statx '{n}': {}\n", e.message()));
                status = 1;
                continue;
            }
        };
        let kind = match &node.kind {
            Kind::Dir => "directory",
            Kind::Link(_) => "symbolic link",
            Kind::Dev(_) => "character special file",
            _ if node.size() == 0 => "regular empty file",
            _ => "regular file",
        };
        let name = match &node.kind {
            Kind::Link(t) => format!("{n} -> {t}"),
            _ => n.clone(),
        };
        let blocks = node.size().div_ceil(4096) * 8;
        let inode = 131_072 + (abs.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 1_000_000);
        let t = format_date(node.mtime, "%Y-%m-%d %H:%M:%S.000000000 +0000");
        let links = if node.is_dir() { 2 } else { 1 };
        let mode = node.mode & 0o7777;
        ctx.out(format!(
            "  File: {name}\n  Size: {:<10}\tBlocks: {blocks:<10} IO Block: 4096   {kind}\nDevice: 254,1\tInode: {inode:<11} Links: {links}\nAccess: ({mode:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\nAccess: {t}\nModify: {t}\nChange: {t}\n Birth: {t}\n",
            node.size(),
            node.mode_string(),
            node.uid,
            user_name(ctx.st, node.uid),
            node.gid,
            group_name(ctx.st, node.gid)
        ));
    }
    status
}

fn readlink(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let canon = args.iter().any(|a| a == "-f" || a == "-e" || a == "-m");
    let mut status = 0;
    for n in args[1..].iter().filter(|a| !a.starts_with('-')) {
        let abs = ctx.abs(n);
        if canon {
            match ctx.st.vfs.resolve(&abs, true) {
                Ok(p) => ctx.out(format!("{p}\n")),
                Err(_) => status = 1,
            }
        } else {
            match ctx.st.vfs.lstat(&abs).map(|(_, n)| n.kind.clone()) {
                Ok(Kind::Link(t)) => ctx.out(format!("{t}\n")),
                _ => status = 1,
            }
        }
    }
    status
}

fn realpath(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut status = 0;
    for n in args[1..].iter().filter(|a| !a.starts_with('-')) {
        let abs = ctx.abs(n);
        match ctx.st.vfs.resolve(&abs, true) {
            Ok(p) => ctx.out(format!("{p}\n")),
            Err(e) => {
                ctx.err(format!("realpath: {n}: {}\n", e.message()));
                status = 1;
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn file_and_stat() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "file /etc/passwd /bin/ls").0, format!("/etc/passwd: ASCII text\n/bin/ls:     {}\n", super::ELF_DESC));
        assert!(run(&mut sh, "stat /etc/passwd").0.starts_with("  File: /etc/passwd\n  Size: "));
        assert_eq!(run(&mut sh, "readlink /bin; realpath /bin/ls").0, "usr/bin\n/usr/bin/ls\n");
    }
}
