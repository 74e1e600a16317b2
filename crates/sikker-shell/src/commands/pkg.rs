//! Package managers: `apt`, `apt-get`, `dpkg` on Debian/Ubuntu; `yum`, `dnf`, `rpm` on EL;
//! `apk` on Alpine. Installs never happen: the answer is what a host without network to its
//! mirrors prints, which is what a firewalled server shows.

use super::{Ctx, Place, Spec};
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[
    Spec { name: "apt", place: Place::Bin, builtin: false, present: super::debian_like, run: apt },
    Spec { name: "apt-get", place: Place::Bin, builtin: false, present: super::debian_like, run: apt },
    Spec { name: "dpkg", place: Place::Bin, builtin: false, present: super::debian_like, run: dpkg },
    Spec { name: "yum", place: Place::Bin, builtin: false, present: super::rhel_like, run: yum },
    Spec { name: "dnf", place: Place::Bin, builtin: false, present: |p| super::rhel_like(p) && p.os.version_id != "7", run: yum },
    Spec { name: "rpm", place: Place::Bin, builtin: false, present: super::rhel_like, run: rpm },
    Spec { name: "apk", place: Place::Sbin, builtin: false, present: |p| p.os.family == Family::Alpine, run: apk },
];

fn mirror(ctx: &Ctx<'_>) -> (&'static str, String) {
    let p = &ctx.st.sys.persona;
    match p.os.family {
        Family::Ubuntu => ("archive.ubuntu.com", p.os.codename.clone()),
        _ => ("deb.debian.org", p.os.codename.clone()),
    }
}

fn apt(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let name = crate::vfs::base_name(&args[0]).to_owned();
    let sub = args[1..].iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
    let pkgs: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-') && **a != sub).cloned().collect();
    let warn = if name == "apt" && !ctx.st.tty_out { "\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n" } else { "" };
    match sub.as_str() {
        "" if args[1..].iter().any(|a| a == "-v" || a == "--version") => {
            ctx.out("apt 2.6.1 (amd64)\n");
            0
        }
        "" => {
            ctx.out(format!("apt 2.6.1 (amd64)\nUsage: {name} [options] command\n\n{name} is a commandline package manager and provides commands for\nsearching and managing as well as querying information about packages.\n"));
            1
        }
        "update" | "upgrade" | "install" | "remove" | "purge" | "dist-upgrade" | "full-upgrade" | "autoremove" if ctx.uid() != 0 => {
            ctx.err(format!("{warn}E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n"));
            100
        }
        "update" => {
            let (host, code) = mirror(ctx);
            let ip = super::fetch::fake_ip(host);
            ctx.err(warn);
            ctx.out(format!("Err:1 http://{host}/debian {code} InRelease\n  Temporary failure resolving '{host}'\nErr:2 http://{host}/debian {code}-updates InRelease\n  Temporary failure resolving '{host}'\nReading package lists... Done\n"));
            let _ = ip;
            ctx.err(format!("W: Failed to fetch http://{host}/debian/dists/{code}/InRelease  Temporary failure resolving '{host}'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n"));
            0
        }
        "install" | "reinstall" => {
            ctx.err(warn);
            ctx.out("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n");
            let mut missing = Vec::new();
            for pk in &pkgs {
                match ctx.st.sys.persona.package(pk).cloned() {
                    Some(found) => ctx.out(format!("{pk} is already the newest version ({}).\n", found.version)),
                    None => missing.push(pk.clone()),
                }
            }
            if missing.is_empty() {
                ctx.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
                return 0;
            }
            let (host, code) = mirror(ctx);
            ctx.out(format!("The following NEW packages will be installed:\n  {}\n0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.\nNeed to get 1,284 kB of archives.\nAfter this operation, 4,410 kB of additional disk space will be used.\n", missing.join(" "), missing.len()));
            for (i, m) in missing.iter().enumerate() {
                ctx.out(format!("Err:{} http://{host}/debian {code}/main amd64 {m} amd64\n  Temporary failure resolving '{host}'\n", i + 1));
            }
            ctx.err(format!("E: Failed to fetch http://{host}/debian/pool/main/{}/{}  Temporary failure resolving '{host}'\nE: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?\n", missing[0].chars().next().unwrap_or('x'), missing[0]));
            100
        }
        "remove" | "purge" | "autoremove" => {
            ctx.err(warn);
            ctx.out("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n");
            for pk in &pkgs {
                if ctx.st.sys.persona.package(pk).is_none() {
                    ctx.out(format!("Package '{pk}' is not installed, so not removed\n"));
                }
            }
            ctx.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
            0
        }
        "upgrade" | "dist-upgrade" | "full-upgrade" => {
            ctx.err(warn);
            ctx.out("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\nCalculating upgrade... Done\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
            0
        }
        "list" => {
            ctx.err(warn);
            let mut out = String::from("Listing... Done\n");
            let code = ctx.st.sys.persona.os.codename.clone();
            for p in ctx.st.sys.persona.packages.clone() {
                out.push_str(&format!("{}/{code},now {} {} [installed]\n", p.name, p.version, p.arch));
            }
            ctx.out(out);
            0
        }
        "search" | "show" | "policy" | "cache" | "clean" | "autoclean" => {
            ctx.err(warn);
            0
        }
        other => {
            ctx.err(format!("E: Invalid operation {other}\n"));
            100
        }
    }
}

fn dpkg(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args.get(1).map(String::as_str) {
        Some("-l") | Some("--list") => {
            let mut out = String::from("Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n||/ Name                  Version                        Architecture Description\n+++-=====================-==============================-============-=================================================\n");
            let filter = args.get(2).cloned();
            for p in ctx.st.sys.persona.packages.clone() {
                if filter.as_ref().is_some_and(|f| !super::super::interp::glob_match(&f.chars().collect::<Vec<_>>(), &p.name.chars().collect::<Vec<_>>())) {
                    continue;
                }
                out.push_str(&format!("ii  {:<21} {:<30} {:<12} {}\n", p.name, p.version, p.arch, p.summary));
            }
            ctx.out(out);
            0
        }
        Some("-s") | Some("--status") => {
            let Some(name) = args.get(2) else {
                ctx.err("dpkg-query: --status needs at least one package name argument\n");
                return 2;
            };
            match ctx.st.sys.persona.package(name).cloned() {
                Some(p) => {
                    ctx.out(format!("Package: {}\nStatus: install ok installed\nPriority: optional\nArchitecture: {}\nVersion: {}\nDescription: {}\n", p.name, p.arch, p.version, p.summary));
                    0
                }
                None => {
                    ctx.err(format!("dpkg-query: package '{name}' is not installed and no information is available\nUse dpkg --info (= dpkg-deb --info) to examine archive files.\n"));
                    1
                }
            }
        }
        Some("--print-architecture") => {
            ctx.out("amd64\n");
            0
        }
        Some("-i") | Some("--install") => {
            let f = args.get(2).cloned().unwrap_or_default();
            if ctx.uid() != 0 {
                ctx.err("dpkg: error: requested operation requires superuser privilege\n");
                return 2;
            }
            ctx.err(format!("dpkg-deb: error: '{f}' is not a Debian format archive\ndpkg: error processing archive {f} (--install):\n dpkg-deb --control subprocess returned error exit status 2\nErrors were encountered while processing:\n {f}\n"));
            1
        }
        Some("--version") => {
            ctx.out("Debian 'dpkg' package management program version 1.21.22 (amd64).\n");
            0
        }
        _ => {
            ctx.err("dpkg: error: need an action option\n\nType dpkg --help for help about installing and deinstalling packages [*];\nUse 'apt' or 'aptitude' for user-friendly package management;\nType dpkg -Dhelp for a list of dpkg debug flag values;\nType dpkg --force-help for a list of forcing options;\nType dpkg-deb --help for help about manipulating *.deb files;\n\nOptions marked [*] produce a lot of output - pipe it through 'less' or 'more' !\n");
            2
        }
    }
}

fn yum(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let sub = args[1..].iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
    let pkgs: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-') && **a != sub).cloned().collect();
    let el7 = ctx.st.sys.persona.os.version_id == "7";
    if ctx.uid() != 0 && matches!(sub.as_str(), "install" | "update" | "remove" | "upgrade") {
        ctx.err("You need to be root to perform this command.\n");
        return 1;
    }
    match sub.as_str() {
        "install" | "update" | "upgrade" => {
            if el7 {
                ctx.out("Loaded plugins: fastestmirror\nDetermining fastest mirrors\n");
                ctx.err("Could not retrieve mirrorlist http://mirrorlist.centos.org/?release=7&arch=x86_64&repo=os&infra=stock error was\n14: curl#6 - \"Could not resolve host: mirrorlist.centos.org; Unknown error\"\n\n\n One of the configured repositories failed (Unknown),\n and yum doesn't have enough cached data to continue.\n");
            } else {
                ctx.err("Errors during downloading metadata for repository 'baseos':\n  - Curl error (6): Couldn't resolve host name for https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=BaseOS-9 [Could not resolve host: mirrors.rockylinux.org]\nError: Failed to download metadata for repo 'baseos': Cannot prepare internal mirrorlist: Curl error (6): Couldn't resolve host name\n");
            }
            let _ = pkgs;
            1
        }
        "list" => {
            let wanted: Vec<&String> = pkgs.iter().filter(|p| !matches!(p.as_str(), "installed" | "available" | "all" | "updates")).collect();
            let found: Vec<_> = ctx.st.sys.persona.packages.iter().filter(|p| wanted.is_empty() || wanted.iter().any(|w| **w == p.name)).cloned().collect();
            if found.is_empty() {
                ctx.err("Error: No matching Packages to list\n");
                return 1;
            }
            let mut out = String::from("Installed Packages\n");
            for p in found {
                out.push_str(&format!("{:<40} {:<30} @anaconda\n", format!("{}.{}", p.name, p.arch), p.version));
            }
            ctx.out(out);
            0
        }
        "remove" | "erase" => {
            ctx.out("No Match for argument\nNo Packages marked for removal\n");
            0
        }
        _ => {
            ctx.err("usage: yum [options] COMMAND\n");
            1
        }
    }
}

fn rpm(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let opts = args[1..].iter().filter(|a| a.starts_with('-')).cloned().collect::<String>();
    if opts.contains('q') {
        if opts.contains('a') {
            let text: String = ctx.st.sys.persona.packages.iter().map(|p| format!("{}-{}.{}\n", p.name, p.version, p.arch)).collect();
            ctx.out(text);
            return 0;
        }
        // rpm's status is the number of packages that were not found.
        let mut status = 0;
        for name in args[1..].iter().filter(|a| !a.starts_with('-')) {
            match ctx.st.sys.persona.package(name).cloned() {
                Some(p) => ctx.out(format!("{}-{}.{}\n", p.name, p.version, p.arch)),
                None => {
                    ctx.out(format!("package {name} is not installed\n"));
                    status = (status + 1).min(255);
                }
            }
        }
        return status;
    }
    if args.iter().any(|a| a == "--version") {
        let v = if ctx.st.sys.persona.os.version_id == "7" { "4.11.3" } else { "4.16.1.3" };
        ctx.out(format!("RPM version {v}\n"));
        return 0;
    }
    if opts.contains('i') || opts.contains('U') {
        let f = args[1..].iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
        ctx.err(format!("error: {f}: not an rpm package (or package manifest)\n"));
        return 1;
    }
    ctx.err("RPM version 4.16.1.3\nCopyright (C) 1998-2002 - Red Hat, Inc.\nThis program may be freely redistributed under the terms of the GNU GPL\n\nUsage: rpm [-afgpcdLAlsiv?] [-a|--all] [-f|--file] [-g|--group] [-p|--package]\n");
    1
}

fn apk(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args.get(1).map(String::as_str) {
        Some("update") | Some("add") | Some("upgrade") => {
            ctx.out("fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz\n");
            ctx.err("WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.19/main: temporary error (try again later)\n");
            if args.get(1).map(String::as_str) == Some("add") {
                for p in &args[2..] {
                    if !p.starts_with('-') && ctx.st.sys.persona.package(p).is_none() {
                        ctx.err(format!("ERROR: unable to select packages:\n  {p} (no such package):\n    required by: world[{p}]\n"));
                        return 1;
                    }
                }
            }
            0
        }
        Some("info") => {
            let text: String = ctx.st.sys.persona.packages.iter().map(|p| format!("{}\n", p.name)).collect();
            ctx.out(text);
            0
        }
        _ => {
            ctx.out("apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn apt_on_debian_and_not_yum() {
        let mut sh = shell("debian12");
        let (o, c) = run(&mut sh, "apt-get install -y masscan");
        assert_eq!(c, 100);
        assert!(o.contains("Temporary failure resolving"), "{o}");
        assert_eq!(run(&mut sh, "yum install x").0, "-bash: yum: command not found\n");
        assert!(run(&mut sh, "dpkg -l | grep openssh").0.contains("openssh-server"));
    }
}
