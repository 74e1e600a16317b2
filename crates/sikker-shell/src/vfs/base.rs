//! Builds the base tree of a persona: the files an attacker reads first (/etc/passwd,
//! /etc/os-release, /proc/cpuinfo …) and an executable under /usr/bin or /usr/sbin for every
//! emulated command, so `which`, `ls /usr/bin` and command lookup agree.

use super::{BaseFs, Device, Dynamic, Kind, Node};
use crate::commands::{self, Place};
use crate::persona::{Family, Persona};
use std::sync::Arc;

/// What reading an emulated executable returns: an x86-64 ELF header, so `file` and `head -c4`
/// look right, and nothing that runs.
pub(crate) const ELF_STUB: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00\x01\x00\x00\x00\x60\x61\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00";

struct Builder {
    fs: BaseFs,
    mtime: i64,
}

impl Builder {
    fn node(&mut self, path: &str, kind: Kind, mode: u32, uid: u32, gid: u32) {
        let node = Node { kind, mode, uid, gid, mtime: self.mtime, attrs: 0 };
        // Parents first, so every path has a directory above it.
        let mut p = String::new();
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            let parent = if p.is_empty() { "/".to_owned() } else { p.clone() };
            self.fs.nodes.entry(parent.into_boxed_str()).or_insert_with(|| Node {
                kind: Kind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: self.mtime,
                attrs: 0,
            });
            p.push('/');
            p.push_str(comp);
        }
        self.fs.nodes.insert(path.into(), node);
    }
    fn dir(&mut self, path: &str, mode: u32) {
        self.node(path, Kind::Dir, mode, 0, 0);
    }
    fn dir_owned(&mut self, path: &str, mode: u32, uid: u32) {
        self.node(path, Kind::Dir, mode, uid, uid);
    }
    fn file(&mut self, path: &str, content: impl Into<Vec<u8>>) {
        self.node(path, Kind::File(Arc::from(content.into())), 0o644, 0, 0);
    }
    fn file_mode(&mut self, path: &str, content: impl Into<Vec<u8>>, mode: u32, uid: u32, gid: u32) {
        self.node(path, Kind::File(Arc::from(content.into())), mode, uid, gid);
    }
    fn link(&mut self, path: &str, target: &str) {
        self.node(path, Kind::Link(Arc::from(target)), 0o777, 0, 0);
    }
}

fn binary_size(name: &str) -> u64 {
    // Stable per name, in the range real coreutils-to-systemd binaries have.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    14_000 + h % 300_000
}

pub(crate) fn build(p: &Persona) -> BaseFs {
    let mut b = Builder { fs: BaseFs::default(), mtime: p.boot_time - 86_400 * 40 };
    let alpine = p.os.family == Family::Alpine;
    for (d, m) in [
        ("/", 0o755), ("/boot", 0o755), ("/dev", 0o755), ("/dev/shm", 0o1777), ("/etc", 0o755),
        ("/home", 0o755), ("/media", 0o755), ("/mnt", 0o755), ("/opt", 0o755), ("/proc", 0o555),
        ("/root", 0o700), ("/run", 0o755), ("/srv", 0o755), ("/sys", 0o555), ("/tmp", 0o1777),
        ("/usr", 0o755), ("/usr/bin", 0o755), ("/usr/sbin", 0o755), ("/usr/lib", 0o755),
        ("/usr/local/bin", 0o755), ("/usr/local/sbin", 0o755), ("/usr/share", 0o755),
        ("/usr/share/doc", 0o755), ("/usr/src", 0o755), ("/usr/include", 0o755),
        ("/var", 0o755), ("/var/log", 0o755), ("/var/tmp", 0o1777), ("/var/lib", 0o755),
        ("/var/cache", 0o755), ("/var/spool", 0o755), ("/var/mail", 0o2775), ("/var/www", 0o755),
        ("/var/backups", 0o755), ("/var/run", 0o755), ("/etc/ssh", 0o755), ("/etc/cron.d", 0o755),
        ("/etc/cron.daily", 0o755), ("/etc/cron.hourly", 0o755), ("/etc/init.d", 0o755),
        ("/etc/profile.d", 0o755), ("/etc/sudoers.d", 0o750), ("/etc/security", 0o755),
        ("/etc/skel", 0o755), ("/etc/systemd/system", 0o755), ("/lib/modules", 0o755),
        ("/sys/class/net", 0o755), ("/sys/block", 0o755), ("/proc/net", 0o555), ("/proc/1", 0o555),
        ("/proc/self", 0o555), ("/root/.ssh", 0o700), ("/root/.cache", 0o700),
    ] {
        b.dir(d, m);
    }
    match p.os.family {
        Family::Alpine => {
            b.dir("/bin", 0o755);
            b.dir("/sbin", 0o755);
            b.dir("/lib", 0o755);
        }
        _ => {
            // Merged /usr: the top-level directories are symlinks, as on current Debian/Ubuntu/EL.
            b.link("/bin", "usr/bin");
            b.link("/sbin", "usr/sbin");
            b.link("/lib", "usr/lib");
            b.link("/lib64", "usr/lib64");
            b.dir("/usr/lib64", 0o755);
        }
    }
    b.link("/var/run", "/run");
    b.dir_owned("/var/spool/cron", 0o755, 0);
    match p.os.family {
        Family::Rhel => b.dir("/var/spool/cron", 0o700),
        Family::Alpine => b.dir("/var/spool/cron/crontabs", 0o755),
        _ => b.node("/var/spool/cron/crontabs", Kind::Dir, 0o1730, 0, 101),
    }

    // Devices.
    for (path, dev) in [
        ("/dev/null", Device::Null), ("/dev/zero", Device::Zero), ("/dev/random", Device::Random),
        ("/dev/urandom", Device::Random), ("/dev/tty", Device::Tty), ("/dev/console", Device::Tty),
        ("/dev/ptmx", Device::Tty),
    ] {
        b.node(path, Kind::Dev(dev), 0o666, 0, 0);
    }
    b.dir("/dev/pts", 0o755);
    for d in &p.disks {
        b.node(&format!("/dev/{}", d.name), Kind::Dev(Device::Null), 0o660, 0, 6);
        b.dir(&format!("/sys/block/{}", d.name), 0o755);
    }
    b.node(&format!("/dev/{}", p.root_partition()), Kind::Dev(Device::Null), 0o660, 0, 6);
    if let Some(g) = &p.gpu {
        for i in 0..g.count {
            b.node(&format!("/dev/nvidia{i}"), Kind::Dev(Device::Null), 0o666, 0, 0);
        }
        b.node("/dev/nvidiactl", Kind::Dev(Device::Null), 0o666, 0, 0);
    }

    // Commands: one executable per emulated program, where this persona has it installed.
    let (bin, sbin) = if alpine { ("/bin", "/sbin") } else { ("/usr/bin", "/usr/sbin") };
    if alpine {
        b.node("/bin/busybox", Kind::Binary { size: 808_712 }, 0o755, 0, 0);
    }
    for spec in commands::all() {
        if !(spec.present)(p) {
            continue;
        }
        let dir = match spec.place {
            Place::Builtin => continue,
            Place::Bin => bin,
            Place::Sbin => sbin,
        };
        let path = format!("{dir}/{}", spec.name);
        if alpine && spec.name != "busybox" {
            b.link(&path, "/bin/busybox");
        } else if !alpine || spec.name != "busybox" {
            b.node(&path, Kind::Binary { size: binary_size(spec.name) }, 0o755, 0, 0);
        }
    }
    if !alpine {
        b.link("/usr/bin/sh", "dash");
        b.node("/usr/bin/dash", Kind::Binary { size: 125_560 }, 0o755, 0, 0);
        b.node("/usr/bin/bash", Kind::Binary { size: 1_265_648 }, 0o755, 0, 0);
        b.node("/usr/bin/sudo", Kind::Binary { size: 281_624 }, 0o4755, 0, 0);
        b.node("/usr/bin/passwd", Kind::Binary { size: 68_248 }, 0o4755, 0, 0);
        b.node("/usr/bin/su", Kind::Binary { size: 72_000 }, 0o4755, 0, 0);
    }

    etc(&mut b, p);
    proc_files(&mut b, p);
    homes(&mut b, p);
    logs(&mut b, p);
    b.fs
}

fn etc(b: &mut Builder, p: &Persona) {
    let (passwd, group, shadow) = accounts(p);
    b.file("/etc/passwd", passwd);
    b.file("/etc/group", group);
    let shadow_gid = if p.os.family == Family::Rhel { 0 } else { 42 };
    let shadow_mode = if p.os.family == Family::Rhel { 0o000 } else { 0o640 };
    b.file_mode("/etc/shadow", shadow, shadow_mode, 0, shadow_gid);
    b.file("/etc/hostname", format!("{}\n", p.hostname));
    b.file(
        "/etc/hosts",
        format!("127.0.0.1\tlocalhost\n127.0.1.1\t{}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n", p.hostname),
    );
    b.file("/etc/os-release", os_release(p));
    if p.os.family != Family::Alpine {
        b.link("/etc/os-release", "../usr/lib/os-release");
        b.file("/usr/lib/os-release", os_release(p));
    }
    b.file("/etc/issue", p.issue());
    b.file("/etc/issue.net", p.issue_net());
    b.file("/etc/motd", match p.os.family {
        Family::Debian => "\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n".to_owned(),
        Family::Alpine => p.motd(0),
        _ => String::new(),
    });
    b.file("/etc/resolv.conf", match p.os.family {
        Family::Ubuntu => "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n# Do not edit.\n\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n".to_owned(),
        _ => format!("nameserver {}\nnameserver 1.1.1.1\n", p.net.gateway),
    });
    b.file("/etc/shells", if p.os.family == Family::Alpine {
        "# valid login shells\n/bin/sh\n/bin/ash\n"
    } else {
        "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n"
    });
    b.file("/etc/crontab", "# /etc/crontab: system-wide crontab\n# Unlike any other crontab you don't have to run the `crontab'\n# command to install the new version when you edit this file\n# and files in /etc/cron.d. These files also have username fields,\n# that none of the other crontabs do.\n\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n# Example of job definition:\n# .---------------- minute (0 - 59)\n# |  .------------- hour (0 - 23)\n# |  |  .---------- day of month (1 - 31)\n# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...\n# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat\n# |  |  |  |  |\n# *  *  *  *  * user-name command to be executed\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }\n52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }\n#\n");
    b.file("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n\n#Port 22\n#AddressFamily any\n#ListenAddress 0.0.0.0\n\nPermitRootLogin yes\n#PubkeyAuthentication yes\n\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\nUsePAM yes\n\nX11Forwarding yes\nPrintMotd no\n\nAcceptEnv LANG LC_*\n\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n");
    b.file("/etc/fstab", format!("# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID={} /               ext4    errors=remount-ro 0       1\n", fake_uuid(p.seed)));
    b.file_mode("/etc/sudoers", "#\n# This file MUST be edited with the 'visudo' command as root.\n#\nDefaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\n# User privilege specification\nroot\tALL=(ALL:ALL) ALL\n\n# Allow members of group sudo to execute any command\n%sudo\tALL=(ALL:ALL) ALL\n\n@includedir /etc/sudoers.d\n", 0o440, 0, 0);
    b.file("/etc/timezone", "Etc/UTC\n");
    b.link("/etc/localtime", "/usr/share/zoneinfo/Etc/UTC");
    b.file("/etc/machine-id", format!("{:016x}{:016x}\n", p.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), p.seed ^ 0xA5A5_5A5A_DEAD_BEEF));
    b.file("/etc/profile", "# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))\n# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).\n\nif [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nelse\n  PATH=\"/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\"\nfi\nexport PATH\n");
    match p.os.family {
        Family::Debian => {
            b.file("/etc/debian_version", if p.os.version_id == "12" { "12.8\n" } else { "11.11\n" });
        }
        Family::Ubuntu => {
            b.file("/etc/debian_version", match p.os.version_id.as_str() {
                "24.04" => "trixie/sid\n",
                "22.04" => "bookworm/sid\n",
                _ => "bullseye/sid\n",
            });
            b.file("/etc/lsb-release", format!("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE={}\nDISTRIB_CODENAME={}\nDISTRIB_DESCRIPTION=\"{}\"\n", p.os.version_id, p.os.codename, p.os.pretty_name));
        }
        Family::Rhel => {
            let rel = if p.os.id == "centos" { "CentOS Linux release 7.9.2009 (Core)\n".to_owned() } else { format!("Rocky Linux release {}\n", p.os.version) };
            b.file("/etc/redhat-release", rel.clone());
            b.file("/etc/system-release", rel.clone());
            if p.os.id == "centos" {
                b.file("/etc/centos-release", rel);
            } else {
                b.file("/etc/rocky-release", rel);
            }
        }
        Family::Alpine => {
            b.file("/etc/alpine-release", format!("{}\n", p.os.version_id));
        }
    }
    b.file("/etc/apt/sources.list", match p.os.family {
        Family::Debian => format!("deb http://deb.debian.org/debian {c} main\ndeb http://deb.debian.org/debian-security {c}-security main\ndeb http://deb.debian.org/debian {c}-updates main\n", c = p.os.codename),
        Family::Ubuntu => format!("deb http://archive.ubuntu.com/ubuntu {c} main restricted universe multiverse\ndeb http://archive.ubuntu.com/ubuntu {c}-updates main restricted universe multiverse\ndeb http://security.ubuntu.com/ubuntu {c}-security main restricted universe multiverse\n", c = p.os.codename),
        _ => String::new(),
    });
}

fn fake_uuid(seed: u64) -> String {
    let a = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let c = a.rotate_left(17) ^ 0x1234_5678_9ABC_DEF0;
    format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", a >> 32, a & 0xffff, (c >> 52) & 0xfff, (c >> 40) & 0xfff, c & 0xffff_ffff_ffff)
}

fn accounts(p: &Persona) -> (String, String, String) {
    let nologin = match p.os.family {
        Family::Rhel => "/sbin/nologin",
        Family::Alpine => "/sbin/nologin",
        _ => "/usr/sbin/nologin",
    };
    let system: Vec<(&str, u32, u32, &str, &str)> = match p.os.family {
        Family::Rhel => vec![
            ("bin", 1, 1, "bin", "/bin"), ("daemon", 2, 2, "daemon", "/sbin"),
            ("adm", 3, 4, "adm", "/var/adm"), ("lp", 4, 7, "lp", "/var/spool/lpd"),
            ("sync", 5, 0, "sync", "/sbin"), ("shutdown", 6, 0, "shutdown", "/sbin"),
            ("halt", 7, 0, "halt", "/sbin"), ("mail", 8, 12, "mail", "/var/spool/mail"),
            ("operator", 11, 0, "operator", "/root"), ("games", 12, 100, "games", "/usr/games"),
            ("ftp", 14, 50, "FTP User", "/var/ftp"), ("nobody", 99, 99, "Nobody", "/"),
            ("systemd-network", 192, 192, "systemd Network Management", "/"),
            ("dbus", 81, 81, "System message bus", "/"), ("sshd", 74, 74, "Privilege-separated SSH", "/var/empty/sshd"),
            ("chrony", 998, 996, "", "/var/lib/chrony"),
        ],
        Family::Alpine => vec![
            ("bin", 1, 1, "bin", "/bin"), ("daemon", 2, 2, "daemon", "/sbin"),
            ("adm", 3, 4, "adm", "/var/adm"), ("lp", 4, 7, "lp", "/var/spool/lpd"),
            ("sync", 5, 0, "sync", "/sbin"), ("shutdown", 6, 0, "shutdown", "/sbin"),
            ("halt", 7, 0, "halt", "/sbin"), ("mail", 8, 12, "mail", "/var/mail"),
            ("news", 9, 13, "news", "/usr/lib/news"), ("operator", 11, 0, "operator", "/root"),
            ("sshd", 22, 22, "sshd", "/dev/null"), ("nobody", 65534, 65534, "nobody", "/"),
        ],
        _ => vec![
            ("daemon", 1, 1, "daemon", "/usr/sbin"), ("bin", 2, 2, "bin", "/bin"),
            ("sys", 3, 3, "sys", "/dev"), ("sync", 4, 65534, "sync", "/bin"),
            ("games", 5, 60, "games", "/usr/games"), ("man", 6, 12, "man", "/var/cache/man"),
            ("lp", 7, 7, "lp", "/var/spool/lpd"), ("mail", 8, 8, "mail", "/var/mail"),
            ("news", 9, 9, "news", "/var/spool/news"), ("uucp", 10, 10, "uucp", "/var/spool/uucp"),
            ("proxy", 13, 13, "proxy", "/bin"), ("www-data", 33, 33, "www-data", "/var/www"),
            ("backup", 34, 34, "backup", "/var/backups"), ("list", 38, 38, "Mailing List Manager", "/var/list"),
            ("irc", 39, 39, "ircd", "/run/ircd"), ("_apt", 42, 65534, "", "/nonexistent"),
            ("nobody", 65534, 65534, "nobody", "/nonexistent"),
            ("systemd-network", 998, 998, "systemd Network Management", "/"),
            ("systemd-timesync", 997, 997, "systemd Time Synchronization", "/"),
            ("messagebus", 100, 107, "", "/nonexistent"), ("sshd", 101, 65534, "", "/run/sshd"),
        ],
    };
    let mut passwd = String::new();
    let mut shadow = String::new();
    let days = p.boot_time / 86_400 - 30;
    let root = p.users.iter().find(|u| u.uid == 0);
    if let Some(r) = root {
        passwd.push_str(&format!("{}:x:0:0:{}:{}:{}\n", r.name, r.gecos, r.home, r.shell));
        shadow.push_str(&format!("{}:{}:{days}:0:99999:7:::\n", r.name, r.hash));
    }
    for (name, uid, gid, gecos, home) in &system {
        let shell = if *name == "sync" { "/bin/sync" } else if *name == "shutdown" { "/sbin/shutdown" } else if *name == "halt" { "/sbin/halt" } else { nologin };
        passwd.push_str(&format!("{name}:x:{uid}:{gid}:{gecos}:{home}:{shell}\n"));
        shadow.push_str(&format!("{name}:*:{days}:0:99999:7:::\n"));
    }
    for u in p.users.iter().filter(|u| u.uid != 0) {
        passwd.push_str(&format!("{}:x:{}:{}:{}:{}:{}\n", u.name, u.uid, u.gid, u.gecos, u.home, u.shell));
        shadow.push_str(&format!("{}:{}:{days}:0:99999:7:::\n", u.name, u.hash));
    }
    let admins: Vec<&str> = p.users.iter().filter(|u| u.uid >= 1000).map(|u| u.name.as_str()).collect();
    let sudo_group = if p.os.family == Family::Rhel || p.os.family == Family::Alpine { "wheel" } else { "sudo" };
    let mut group = String::new();
    let groups: &[(&str, u32)] = match p.os.family {
        Family::Rhel | Family::Alpine => &[("root", 0), ("bin", 1), ("daemon", 2), ("sys", 3), ("adm", 4), ("tty", 5), ("disk", 6), ("lp", 7), ("mem", 8), ("kmem", 9), ("wheel", 10), ("mail", 12), ("users", 100), ("nobody", 65534)],
        _ => &[("root", 0), ("daemon", 1), ("bin", 2), ("sys", 3), ("adm", 4), ("tty", 5), ("disk", 6), ("lp", 7), ("mail", 8), ("news", 9), ("uucp", 10), ("man", 12), ("proxy", 13), ("kmem", 15), ("dialout", 20), ("cdrom", 24), ("sudo", 27), ("audio", 29), ("dip", 30), ("www-data", 33), ("backup", 34), ("shadow", 42), ("utmp", 43), ("video", 44), ("plugdev", 46), ("staff", 50), ("users", 100), ("nogroup", 65534)],
    };
    for (g, gid) in groups {
        let members = if *g == sudo_group { admins.join(",") } else { String::new() };
        group.push_str(&format!("{g}:x:{gid}:{members}\n"));
    }
    for u in p.users.iter().filter(|u| u.uid != 0) {
        group.push_str(&format!("{}:x:{}:\n", u.name, u.gid));
    }
    (passwd, group, shadow)
}

fn os_release(p: &Persona) -> String {
    let o = &p.os;
    match o.family {
        Family::Debian => format!("PRETTY_NAME=\"{}\"\nNAME=\"{}\"\nVERSION_ID=\"{}\"\nVERSION=\"{}\"\nVERSION_CODENAME={}\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n", o.pretty_name, o.name, o.version_id, o.version, o.codename),
        Family::Ubuntu => format!("PRETTY_NAME=\"{}\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"{}\"\nVERSION=\"{}\"\nVERSION_CODENAME={}\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME={}\n", o.pretty_name, o.version_id, o.version, o.codename, o.codename),
        Family::Rhel if o.id == "centos" => "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"cpe:/o:centos:centos:7\"\nHOME_URL=\"https://www.centos.org/\"\nBUG_REPORT_URL=\"https://bugs.centos.org/\"\n".to_owned(),
        Family::Rhel => format!("NAME=\"Rocky Linux\"\nVERSION=\"{}\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"{}\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"{}\"\nANSI_COLOR=\"0;32\"\nHOME_URL=\"https://rockylinux.org/\"\n", o.version, o.version_id, o.pretty_name),
        Family::Alpine => format!("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID={}\nPRETTY_NAME=\"{}\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n", o.version_id, o.pretty_name),
    }
}

/// /proc/cpuinfo exactly as x86 Linux prints it (tab-aligned keys, blank line between CPUs).
pub(crate) fn cpuinfo(p: &Persona) -> String {
    let c = &p.cpu;
    let mut s = String::new();
    let cores = c.cores();
    for i in 0..c.threads {
        s.push_str(&format!(
            "processor\t: {i}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\nmodel name\t: {}\nstepping\t: {}\nmicrocode\t: 0x{:x}\ncpu MHz\t\t: {:.3}\ncache size\t: {} KB\nphysical id\t: 0\nsiblings\t: {}\ncore id\t\t: {}\ncpu cores\t: {}\napicid\t\t: {i}\ninitial apicid\t: {i}\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {}\nwp\t\t: yes\nflags\t\t: {}\nbugs\t\t: {}\nbogomips\t: {:.2}\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: {} bits physical, 48 bits virtual\npower management:\n\n",
            c.vendor, c.family, c.model, c.model_name, c.stepping,
            if c.vendor == "AuthenticAMD" { 0x1000065u32 } else { 0xffff_ffffu32 },
            c.mhz, c.cache_kb, c.threads, i / c.threads_per_core.max(1), cores,
            if c.vendor == "AuthenticAMD" { 16 } else { 13 },
            c.flags,
            if c.vendor == "AuthenticAMD" { "sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass srso" } else { "cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs taa itlb_multihit mmio_stale_data retbleed" },
            c.bogomips(),
            if c.vendor == "AuthenticAMD" { 40 } else { 46 },
        ));
    }
    s
}

/// (total, free, available, buffers, cached, shared) in kB, consistent across free/meminfo/top.
pub(crate) fn mem_figures(p: &Persona) -> (u64, u64, u64, u64, u64, u64) {
    let total = p.mem_kb;
    let used_pct = 18 + p.seed % 37;
    let used = total * used_pct / 100;
    let buffers = total / 60;
    let cached = total * (10 + p.seed % 20) / 100;
    let free = total.saturating_sub(used + buffers + cached);
    let shared = total / 200;
    let available = free + cached * 9 / 10 + buffers;
    (total, free, available, buffers, cached, shared)
}

pub(crate) fn meminfo(p: &Persona) -> String {
    let (total, free, avail, buffers, cached, shared) = mem_figures(p);
    let rows: Vec<(&str, u64)> = vec![
        ("MemTotal", total), ("MemFree", free), ("MemAvailable", avail), ("Buffers", buffers),
        ("Cached", cached), ("SwapCached", 0), ("Active", total / 5), ("Inactive", total / 4),
        ("Active(anon)", total / 14), ("Inactive(anon)", total / 90), ("Active(file)", total / 8),
        ("Inactive(file)", total / 5), ("Unevictable", 0), ("Mlocked", 0),
        ("SwapTotal", p.swap_kb), ("SwapFree", p.swap_kb), ("Zswap", 0), ("Zswapped", 0),
        ("Dirty", 112), ("Writeback", 0), ("AnonPages", total / 13), ("Mapped", total / 30),
        ("Shmem", shared), ("KReclaimable", total / 40), ("Slab", total / 25),
        ("SReclaimable", total / 40), ("SUnreclaim", total / 70), ("KernelStack", 4096),
        ("PageTables", total / 300), ("SecPageTables", 0), ("NFS_Unstable", 0), ("Bounce", 0),
        ("WritebackTmp", 0), ("CommitLimit", total / 2 + p.swap_kb), ("Committed_AS", total / 3),
        ("VmallocTotal", 34_359_738_367), ("VmallocUsed", 23_040), ("VmallocChunk", 0),
        ("Percpu", 1_184 * u64::from(p.cpu.threads)), ("HardwareCorrupted", 0),
        ("AnonHugePages", 0), ("ShmemHugePages", 0), ("ShmemPmdMapped", 0), ("FileHugePages", 0),
        ("FilePmdMapped", 0), ("HugePages_Total", 0), ("HugePages_Free", 0), ("HugePages_Rsvd", 0),
        ("HugePages_Surp", 0), ("Hugepagesize", 2048), ("Hugetlb", 0), ("DirectMap4k", 155_520),
        ("DirectMap2M", total / 2), ("DirectMap1G", total / 2),
    ];
    let mut s = String::new();
    for (k, v) in rows {
        let key = format!("{k}:");
        if k.starts_with("HugePages_") {
            s.push_str(&format!("{key:<16}{v:>8}\n"));
        } else {
            s.push_str(&format!("{key:<16}{v:>8} kB\n"));
        }
    }
    s
}

pub(crate) fn proc_version(p: &Persona) -> String {
    format!("Linux version {} {} {}\n", p.kernel.release, p.kernel.build, p.kernel.version)
}

fn proc_files(b: &mut Builder, p: &Persona) {
    b.file_mode("/proc/cpuinfo", cpuinfo(p), 0o444, 0, 0);
    b.file_mode("/proc/meminfo", meminfo(p), 0o444, 0, 0);
    b.file_mode("/proc/version", proc_version(p), 0o444, 0, 0);
    b.node("/proc/uptime", Kind::Dynamic(Dynamic::Uptime), 0o444, 0, 0);
    b.node("/proc/loadavg", Kind::Dynamic(Dynamic::Loadavg), 0o444, 0, 0);
    b.file_mode("/proc/mounts", mounts(p), 0o444, 0, 0);
    b.file_mode("/proc/self/mounts", mounts(p), 0o444, 0, 0);
    b.file_mode("/proc/cmdline", format!("BOOT_IMAGE=/boot/vmlinuz-{} root=UUID={} ro quiet\n", p.kernel.release, fake_uuid(p.seed)), 0o444, 0, 0);
    b.file_mode("/proc/1/cmdline", if p.os.family == Family::Alpine { "/sbin/init\0" } else { "/sbin/init\0" }, 0o444, 0, 0);
    b.file_mode("/proc/1/comm", if p.os.family == Family::Alpine { "init\n" } else { "systemd\n" }, 0o444, 0, 0);
    b.file_mode("/proc/sys/kernel/hostname", format!("{}\n", p.hostname), 0o644, 0, 0);
    b.file_mode("/proc/sys/kernel/osrelease", format!("{}\n", p.kernel.release), 0o444, 0, 0);
    b.file_mode("/proc/net/dev", format!("Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: {0:>8} {1:>7}    0    0    0     0          0         0 {0:>8} {1:>7}    0    0    0     0       0          0\n{2:>6}: {3:>8} {4:>7}    0    0    0     0          0         0 {5:>8} {6:>7}    0    0    0     0       0          0\n", 48_212 + p.seed % 9000, 512 + p.seed % 100, p.net.iface, 912_345_678 + p.seed % 100_000_000, 2_345_678 + p.seed % 100_000, 123_456_789 + p.seed % 10_000_000, 987_654 + p.seed % 10_000), 0o444, 0, 0);
    b.file_mode("/sys/class/net/lo/address", "00:00:00:00:00:00\n", 0o444, 0, 0);
    b.file_mode(&format!("/sys/class/net/{}/address", p.net.iface), format!("{}\n", p.net.mac), 0o444, 0, 0);
    b.file_mode("/proc/modules", modules(p).iter().map(|(n, s, u)| format!("{n} {s} {u} - Live 0x0000000000000000\n")).collect::<String>(), 0o444, 0, 0);
    let kernel = p.kernel.release.clone();
    if p.os.family != Family::Alpine {
        b.node(&format!("/boot/vmlinuz-{kernel}"), Kind::Binary { size: 8_035_520 }, 0o644, 0, 0);
        b.file(&format!("/boot/config-{kernel}"), "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_64BIT=y\nCONFIG_X86_64=y\n");
    }
    b.dir(&format!("/lib/modules/{kernel}"), 0o755);
}

pub(crate) fn modules(p: &Persona) -> Vec<(&'static str, u32, u32)> {
    let mut m = vec![
        ("tls", 151_552, 0), ("nft_chain_nat", 16_384, 3), ("xt_MASQUERADE", 16_384, 1),
        ("nf_nat", 57_344, 2), ("nf_conntrack", 188_416, 2), ("nf_defrag_ipv6", 24_576, 1),
        ("nf_defrag_ipv4", 16_384, 1), ("nft_compat", 20_480, 4), ("nf_tables", 323_584, 42),
        ("libcrc32c", 16_384, 3), ("nfnetlink", 20_480, 3), ("binfmt_misc", 28_672, 1),
        ("intel_rapl_msr", 20_480, 0), ("intel_rapl_common", 40_960, 1), ("kvm_intel", 409_600, 0),
        ("kvm", 1_368_064, 1), ("irqbypass", 16_384, 1), ("crc32_pclmul", 16_384, 0),
        ("ghash_clmulni_intel", 16_384, 0), ("virtio_balloon", 24_576, 0), ("joydev", 28_672, 0),
        ("serio_raw", 20_480, 0), ("evdev", 28_672, 2), ("button", 24_576, 0), ("ext4", 1_024_000, 1),
        ("mbcache", 16_384, 1), ("jbd2", 192_512, 1), ("virtio_net", 73_728, 0), ("net_failover", 24_576, 1),
        ("failover", 16_384, 1), ("virtio_blk", 24_576, 2), ("ata_generic", 16_384, 0),
    ];
    if p.gpu.is_some() {
        m.insert(0, ("nvidia_uvm", 1_527_808, 0));
        m.insert(0, ("nvidia_drm", 77_824, 0));
        m.insert(0, ("nvidia_modeset", 1_302_528, 1));
        m.insert(0, ("nvidia", 56_827_904, 2));
    }
    m
}

pub(crate) fn mounts(p: &Persona) -> String {
    format!("sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\nudev /dev devtmpfs rw,nosuid,relatime,size={}k,nr_inodes=1000000,mode=755,inode64 0 0\ndevpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0\ntmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size={}k,mode=755,inode64 0 0\n/dev/{} / ext4 rw,relatime,errors=remount-ro 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0\ntmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k,inode64 0 0\n", p.mem_kb / 2, p.mem_kb / 10, p.root_partition())
}

fn homes(b: &mut Builder, p: &Persona) {
    let bashrc = "# ~/.bashrc: executed by bash(1) for non-login shells.\n\n# If not running interactively, don't do anything\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\n\nHISTCONTROL=ignoreboth\nshopt -s histappend\nHISTSIZE=1000\nHISTFILESIZE=2000\n\nalias ls='ls --color=auto'\nalias ll='ls -alF'\nalias la='ls -A'\nalias l='ls -CF'\n";
    let profile = "# ~/.profile: executed by the command interpreter for login shells.\n\nif [ -n \"$BASH_VERSION\" ]; then\n    if [ -f \"$HOME/.bashrc\" ]; then\n\t. \"$HOME/.bashrc\"\n    fi\nfi\n\nif [ -d \"$HOME/bin\" ] ; then\n    PATH=\"$HOME/bin:$PATH\"\nfi\n";
    b.file("/etc/skel/.bashrc", bashrc);
    b.file("/etc/skel/.profile", profile);
    let history_pool = [
        "apt update", "apt upgrade -y", "systemctl status nginx", "df -h", "free -m", "htop",
        "tail -f /var/log/syslog", "ls -la", "cd /var/www", "git pull", "docker ps",
        "crontab -l", "vim /etc/ssh/sshd_config", "systemctl restart ssh", "journalctl -xe",
        "ip a", "ping -c 3 8.8.8.8", "uptime", "reboot", "nano /etc/hosts", "du -sh *",
        "ps aux | grep python", "tar czf backup.tar.gz /etc", "exit",
    ];
    for u in &p.users {
        let home = u.home.as_str();
        let mode = if u.uid == 0 { 0o700 } else { 0o750 };
        b.dir_owned(home, mode, u.uid);
        b.file_mode(&format!("{home}/.bashrc"), bashrc, 0o644, u.uid, u.gid);
        b.file_mode(&format!("{home}/.profile"), profile, 0o644, u.uid, u.gid);
        let mut hist = String::new();
        let n = 6 + (p.seed.wrapping_add(u64::from(u.uid)) % 12) as usize;
        for i in 0..n {
            let k = (p.seed.wrapping_mul(31).wrapping_add((i * 7 + u.uid as usize) as u64)) as usize;
            hist.push_str(history_pool[k % history_pool.len()]);
            hist.push('\n');
        }
        b.file_mode(&format!("{home}/.bash_history"), hist, 0o600, u.uid, u.gid);
        b.node(&format!("{home}/.ssh"), Kind::Dir, 0o700, u.uid, u.gid);
        if u.uid != 0 {
            b.file_mode(&format!("{home}/.bash_logout"), "# ~/.bash_logout: executed by bash(1) when login shell exits.\n", 0o644, u.uid, u.gid);
        }
    }
}

fn logs(b: &mut Builder, p: &Persona) {
    b.file_mode("/var/log/auth.log", "", 0o640, 0, 4);
    b.file_mode("/var/log/syslog", "", 0o640, 0, 4);
    b.file_mode("/var/log/kern.log", "", 0o640, 0, 4);
    b.file_mode("/var/log/wtmp", "", 0o664, 0, 43);
    b.file_mode("/var/log/btmp", "", 0o660, 0, 43);
    b.file_mode("/var/log/lastlog", "", 0o664, 0, 43);
    b.file_mode("/var/log/dpkg.log", p.packages.iter().map(|k| format!("{} status installed {}:{} {}\n", crate::clock::format_date(p.boot_time - 86_400 * 40, "%Y-%m-%d %H:%M:%S"), k.name, k.arch, k.version)).collect::<String>(), 0o644, 0, 0);
    b.dir("/var/log/apt", 0o755);
    b.dir("/var/www/html", 0o755);
    b.file("/var/www/html/index.html", "<html><body><h1>It works!</h1></body></html>\n");
}
