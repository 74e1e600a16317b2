//! Services: `systemctl` and `service`, over the units the persona runs.

use super::{bin, sbin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("systemctl", systemctl), sbin("service", service)];

fn units(ctx: &Ctx<'_>) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("cron", "Regular background program processing daemon"), ("ssh", "OpenBSD Secure Shell server"), ("rsyslog", "System Logging Service"), ("systemd-journald", "Journal Service"), ("systemd-logind", "User Login Management"), ("dbus", "D-Bus System Message Bus"), ("getty@tty1", "Getty on tty1")];
    let p = &ctx.st.sys.persona;
    if super::rhel_like(p) {
        v[0] = ("crond", "Command Scheduler");
        v[1] = ("sshd", "OpenSSH server daemon");
        v.push(("firewalld", "firewalld - dynamic firewall daemon"));
        v.push(("NetworkManager", "Network Manager"));
    }
    if p.package("docker-ce").is_some() || p.package("docker.io").is_some() {
        v.push(("docker", "Docker Application Container Engine"));
        v.push(("containerd", "containerd container runtime"));
    }
    v
}

fn status_text(ctx: &Ctx<'_>, unit: &str, desc: &str) -> String {
    let since = ctx.now() - super::sysinfo::uptime_secs(ctx) + 9;
    let pid = 400 + unit.len() as u32 * 7;
    format!(
        "\u{25cf} {unit}.service - {desc}\n     Loaded: loaded (/lib/systemd/system/{unit}.service; enabled; preset: enabled)\n     Active: active (running) since {}; {} ago\n       Docs: man:{unit}(8)\n   Main PID: {pid} ({unit})\n      Tasks: 1 (limit: {})\n     Memory: {}.{}M\n        CPU: {}ms\n     CGroup: /system.slice/{unit}.service\n             \u{2514}\u{2500}{pid} /usr/sbin/{unit}\n",
        crate::clock::format_date(since, "%a %Y-%m-%d %H:%M:%S UTC"),
        ago(ctx.now() - since),
        ctx.st.sys.persona.mem_kb / 1024 / 8,
        1 + unit.len() % 9,
        unit.len() % 10,
        120 + unit.len() * 13
    )
}

fn ago(secs: i64) -> String {
    let d = secs / 86_400;
    let h = (secs % 86_400) / 3600;
    let m = (secs % 3600) / 60;
    if d > 0 {
        format!("{d} days {h}h")
    } else if h > 0 {
        format!("{h}h {m}min")
    } else {
        format!("{m}min")
    }
}

/// `systemctl --version` (and the other systemd tools'): Debian 12's systemd 252.
pub(crate) const SYSTEMD_VERSION: &str = "systemd 252 (252.38-1~deb12u1)\n+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified\n";

fn systemctl(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.get(1).map(String::as_str) == Some("--version") {
        ctx.out(SYSTEMD_VERSION);
        return 0;
    }
    let ops: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
    let verb = ops.first().cloned().unwrap_or_else(|| "list-units".into());
    let name = ops.get(1).map(|u| u.trim_end_matches(".service").to_owned());
    let known = units(ctx);
    let find = |n: &str| known.iter().find(|(u, _)| *u == n || (n == "sshd" && *u == "ssh")).copied();
    match verb.as_str() {
        "list-units" | "list-unit-files" => {
            let mut out = String::from("  UNIT                              LOAD   ACTIVE SUB     DESCRIPTION\n");
            for (u, d) in &known {
                out.push_str(&format!("  {:<33} loaded active running {d}\n", format!("{u}.service")));
            }
            out.push_str(&format!("\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n{} loaded units listed.\n", known.len()));
            ctx.out(out);
            0
        }
        "status" => match name {
            None => {
                let host = ctx.st.sys.persona.hostname.clone();
                ctx.out(format!("\u{25cf} {host}\n    State: running\n    Units: 241 loaded (incl. loaded aliases)\n     Jobs: 0 queued\n   Failed: 0 units\n"));
                0
            }
            Some(n) => match find(&n) {
                Some((u, d)) => {
                    let text = status_text(ctx, u, d);
                    ctx.out(text);
                    0
                }
                None => {
                    ctx.err(format!("Unit {n}.service could not be found.\n"));
                    4
                }
            },
        },
        "start" | "stop" | "restart" | "reload" | "enable" | "disable" | "mask" | "unmask" | "daemon-reload" | "is-active" | "is-enabled" => {
            if verb == "daemon-reload" {
                return if ctx.uid() == 0 { 0 } else { 1 };
            }
            let Some(n) = name else {
                ctx.err("Too few arguments.\n");
                return 1;
            };
            if verb == "is-active" {
                return if find(&n).is_some() {
                    ctx.out("active\n");
                    0
                } else {
                    ctx.out("inactive\n");
                    3
                };
            }
            if verb == "is-enabled" {
                return if find(&n).is_some() {
                    ctx.out("enabled\n");
                    0
                } else {
                    ctx.err(format!("Failed to get unit file state for {n}.service: No such file or directory\n"));
                    1
                };
            }
            if ctx.uid() != 0 {
                ctx.err(format!("Failed to {verb} {n}.service: Access denied\nSee system logs and 'systemctl status {n}.service' for details.\n"));
                return 1;
            }
            // A unit the attacker wrote under /etc/systemd/system counts as existing.
            let path = format!("/etc/systemd/system/{n}.service");
            if find(&n).is_none() && !ctx.st.vfs.exists(&path) {
                if verb == "enable" || verb == "disable" {
                    ctx.err(format!("Failed to {verb} unit: Unit file {n}.service does not exist.\n"));
                } else {
                    ctx.err(format!("Failed to {verb} {n}.service: Unit {n}.service not found.\n"));
                }
                return if verb == "enable" || verb == "disable" { 1 } else { 5 };
            }
            if verb == "enable" && find(&n).is_none() {
                ctx.err(format!("Created symlink /etc/systemd/system/multi-user.target.wants/{n}.service \u{2192} /etc/systemd/system/{n}.service.\n"));
            }
            0
        }
        other => {
            ctx.err(format!("Unknown command verb {other}.\n"));
            1
        }
    }
}

fn service(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (Some(name), Some(action)) = (args.get(1), args.get(2)) else {
        if matches!(args.get(1).map(String::as_str), Some("--version" | "-V")) {
            ctx.out("service ver. 1.65.2\n");
            return 0;
        }
        if args.get(1).map(String::as_str) == Some("--status-all") {
            let text: String = units(ctx).iter().map(|(u, _)| format!(" [ + ]  {u}\n")).collect();
            ctx.out(text);
            return 0;
        }
        ctx.err("Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n");
        return 1;
    };
    let argv = vec!["systemctl".to_owned(), action.clone(), name.clone()];
    systemctl(ctx, &argv)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn systemctl_forms() {
        let mut sh = shell("debian12");
        assert!(run(&mut sh, "systemctl status ssh").0.starts_with("\u{25cf} ssh.service - OpenBSD Secure Shell server\n"));
        assert_eq!(run(&mut sh, "systemctl start nope").1, 5);
        assert_eq!(run(&mut sh, "echo '[Unit]' > /etc/systemd/system/x.service; systemctl enable x").1, 0);
    }
}
