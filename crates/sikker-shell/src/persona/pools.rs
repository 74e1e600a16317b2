//! The pools a persona is drawn from: real distribution releases with their stock kernels and
//! OpenSSH builds, real CPU and GPU models, hostnames in the styles hosters and admins use.

use super::{Cpu, Disk, Family, Gpu, Kernel, Net, Os, Package, Persona, Rng, User};

struct Distro {
    family: Family,
    id: &'static str,
    name: &'static str,
    version_id: &'static str,
    version: &'static str,
    pretty: &'static str,
    codename: &'static str,
    ssh: &'static [&'static str],
    /// (release, `uname -v`)
    kernels: &'static [(&'static str, &'static str)],
    build: &'static str,
    packages: &'static [(&'static str, &'static str)],
}

const DEB12_PKGS: &[(&str, &str)] = &[
    ("apt", "2.6.1"),
    ("bash", "5.2.15-2+b7"),
    ("ca-certificates", "20230311"),
    ("coreutils", "9.1-1"),
    ("cron", "3.0pl1-162"),
    ("curl", "7.88.1-10+deb12u8"),
    ("dpkg", "1.21.22"),
    ("findutils", "4.9.0-4"),
    ("grep", "3.8-5"),
    ("gzip", "1.12-1"),
    ("iproute2", "6.1.0-3"),
    ("libc6", "2.36-9+deb12u9"),
    ("libssl3", "3.0.15-1~deb12u1"),
    ("nano", "7.2-1+deb12u1"),
    ("net-tools", "2.10-0.1"),
    ("openssh-server", "1:9.2p1-2+deb12u3"),
    ("openssl", "3.0.15-1~deb12u1"),
    ("perl", "5.36.0-7+deb12u1"),
    ("procps", "2:4.0.2-3"),
    ("python3", "3.11.2-1+b1"),
    ("sed", "4.9-1"),
    ("sudo", "1.9.13p3-1+deb12u1"),
    ("systemd", "252.33-1~deb12u1"),
    ("tar", "1.34+dfsg-1.2+deb12u1"),
    ("util-linux", "2.38.1-5+deb12u3"),
    ("vim-tiny", "2:9.0.1378-2"),
    ("wget", "1.21.3-1+b2"),
];

const DEB11_PKGS: &[(&str, &str)] = &[
    ("apt", "2.2.4"),
    ("bash", "5.1-2+deb11u1"),
    ("ca-certificates", "20210119"),
    ("coreutils", "8.32-4+b1"),
    ("cron", "3.0pl1-137"),
    ("curl", "7.74.0-1.3+deb11u14"),
    ("dpkg", "1.20.13"),
    ("findutils", "4.8.0-1"),
    ("grep", "3.6-1+deb11u1"),
    ("gzip", "1.10-4+deb11u1"),
    ("iproute2", "5.10.0-4"),
    ("libc6", "2.31-13+deb11u11"),
    ("libssl1.1", "1.1.1w-0+deb11u2"),
    ("nano", "5.4-2+deb11u3"),
    ("net-tools", "1.60+git20181103.0eebece-1"),
    ("openssh-server", "1:8.4p1-5+deb11u3"),
    ("openssl", "1.1.1w-0+deb11u2"),
    ("perl", "5.32.1-4+deb11u4"),
    ("procps", "2:3.3.17-5"),
    ("python3", "3.9.2-3"),
    ("sed", "4.7-1"),
    ("sudo", "1.9.5p2-3+deb11u1"),
    ("systemd", "247.3-7+deb11u6"),
    ("tar", "1.34+dfsg-1+deb11u1"),
    ("util-linux", "2.36.1-8+deb11u2"),
    ("wget", "1.21-1+deb11u1"),
];

const JAMMY_PKGS: &[(&str, &str)] = &[
    ("apt", "2.4.13"),
    ("bash", "5.1-6ubuntu1.1"),
    ("ca-certificates", "20240203~22.04.1"),
    ("coreutils", "8.32-4.1ubuntu1.2"),
    ("cron", "3.0pl1-137ubuntu3"),
    ("curl", "7.81.0-1ubuntu1.20"),
    ("dpkg", "1.21.1ubuntu2.3"),
    ("findutils", "4.8.0-1ubuntu3"),
    ("grep", "3.7-1build1"),
    ("gzip", "1.10-4ubuntu4.1"),
    ("iproute2", "5.15.0-1ubuntu2"),
    ("libc6", "2.35-0ubuntu3.8"),
    ("libssl3", "3.0.2-0ubuntu1.18"),
    ("nano", "6.2-1ubuntu0.1"),
    ("net-tools", "1.60+git20181103.0eebece-1ubuntu5"),
    ("openssh-server", "1:8.9p1-3ubuntu0.10"),
    ("openssl", "3.0.2-0ubuntu1.18"),
    ("perl", "5.34.0-3ubuntu1.3"),
    ("procps", "2:3.3.17-6ubuntu2.1"),
    ("python3", "3.10.6-1~22.04.1"),
    ("sed", "4.8-1ubuntu2"),
    ("snapd", "2.63+22.04ubuntu0.1"),
    ("sudo", "1.9.9-1ubuntu2.4"),
    ("systemd", "249.11-0ubuntu3.12"),
    ("tar", "1.34+dfsg-1ubuntu0.1.22.04.2"),
    ("util-linux", "2.37.2-4ubuntu3.4"),
    ("vim", "2:8.2.3995-1ubuntu2.21"),
    ("wget", "1.21.2-2ubuntu1.1"),
];

const FOCAL_PKGS: &[(&str, &str)] = &[
    ("apt", "2.0.10"),
    ("bash", "5.0-6ubuntu1.2"),
    ("coreutils", "8.30-3ubuntu2"),
    ("cron", "3.0pl1-136ubuntu1"),
    ("curl", "7.68.0-1ubuntu2.24"),
    ("dpkg", "1.19.7ubuntu3.2"),
    ("grep", "3.4-1"),
    ("gzip", "1.10-0ubuntu4.1"),
    ("iproute2", "5.5.0-1ubuntu1"),
    ("libc6", "2.31-0ubuntu9.16"),
    ("net-tools", "1.60+git20180626.aebd88e-1ubuntu1"),
    ("openssh-server", "1:8.2p1-4ubuntu0.11"),
    ("openssl", "1.1.1f-1ubuntu2.23"),
    ("perl", "5.30.0-9ubuntu0.5"),
    ("procps", "2:3.3.16-1ubuntu2.4"),
    ("python3", "3.8.2-0ubuntu2"),
    ("sed", "4.7-1"),
    ("sudo", "1.8.31-1ubuntu1.5"),
    ("systemd", "245.4-4ubuntu3.24"),
    ("tar", "1.30+dfsg-7ubuntu0.20.04.4"),
    ("util-linux", "2.34-0.1ubuntu9.6"),
    ("wget", "1.20.3-1ubuntu2.1"),
];

const NOBLE_PKGS: &[(&str, &str)] = &[
    ("apt", "2.7.14build2"),
    ("bash", "5.2.21-2ubuntu4"),
    ("coreutils", "9.4-3ubuntu6"),
    ("cron", "3.0pl1-184ubuntu2"),
    ("curl", "8.5.0-2ubuntu10.6"),
    ("dpkg", "1.22.6ubuntu6.1"),
    ("grep", "3.11-4build1"),
    ("gzip", "1.12-1ubuntu3"),
    ("iproute2", "6.1.0-1ubuntu6"),
    ("libc6", "2.39-0ubuntu8.4"),
    ("openssh-server", "1:9.6p1-3ubuntu13.5"),
    ("openssl", "3.0.13-0ubuntu3.4"),
    ("perl", "5.38.2-3.2build2"),
    ("procps", "2:4.0.4-4ubuntu3.2"),
    ("python3", "3.12.3-0ubuntu2"),
    ("sed", "4.9-2build1"),
    ("sudo", "1.9.15p5-3ubuntu5"),
    ("systemd", "255.4-1ubuntu8.4"),
    ("tar", "1.35+dfsg-3build1"),
    ("util-linux", "2.39.3-9ubuntu6.1"),
    ("wget", "1.21.4-1ubuntu4.1"),
];

const EL7_PKGS: &[(&str, &str)] = &[
    ("bash", "4.2.46-35.el7_9"),
    ("coreutils", "8.22-24.el7_9.2"),
    ("cronie", "1.4.11-25.el7_9"),
    ("curl", "7.29.0-59.el7_9.2"),
    ("glibc", "2.17-326.el7_9"),
    ("grep", "2.20-3.el7"),
    ("gzip", "1.5-11.el7_9"),
    ("iproute", "4.11.0-30.el7"),
    ("net-tools", "2.0-0.25.20131004git.el7"),
    ("openssh-server", "7.4p1-23.el7_9"),
    ("openssl", "1.0.2k-26.el7_9"),
    ("perl", "5.16.3-299.el7_9"),
    ("procps-ng", "3.3.10-28.el7"),
    ("python", "2.7.5-94.el7_9"),
    ("sed", "4.2.2-7.el7"),
    ("sudo", "1.8.23-10.el7_9.3"),
    ("systemd", "219-78.el7_9.9"),
    ("tar", "1.26-35.el7"),
    ("util-linux", "2.23.2-65.el7_9.1"),
    ("wget", "1.14-18.el7_6.1"),
    ("yum", "3.4.3-168.el7.centos"),
];

const EL9_PKGS: &[(&str, &str)] = &[
    ("bash", "5.1.8-9.el9"),
    ("coreutils", "8.32-35.el9"),
    ("cronie", "1.5.7-11.el9"),
    ("curl", "7.76.1-29.el9_4.1"),
    ("dnf", "4.14.0-9.el9"),
    ("glibc", "2.34-100.el9_4.4"),
    ("grep", "3.6-5.el9"),
    ("gzip", "1.12-1.el9"),
    ("iproute", "6.2.0-6.el9_4"),
    ("openssh-server", "8.7p1-38.el9_4.4"),
    ("openssl", "3.0.7-27.el9"),
    ("perl", "5.32.1-481.el9"),
    ("procps-ng", "3.3.17-14.el9"),
    ("python3", "3.9.18-3.el9_4.5"),
    ("sed", "4.8-9.el9"),
    ("sudo", "1.9.5p2-10.el9_3"),
    ("systemd", "252-32.el9_4.7"),
    ("tar", "1.34-6.el9_4.1"),
    ("util-linux", "2.37.4-18.el9"),
    ("wget", "1.21.1-7.el9"),
];

const ALPINE_PKGS: &[(&str, &str)] = &[
    ("alpine-baselayout", "3.4.3-r2"),
    ("apk-tools", "2.14.4-r0"),
    ("busybox", "1.36.1-r20"),
    ("ca-certificates-bundle", "20240226-r0"),
    ("libcrypto3", "3.1.7-r0"),
    ("libssl3", "3.1.7-r0"),
    ("musl", "1.2.4_git20230717-r4"),
    ("openssh-server", "9.6_p1-r0"),
    ("openrc", "0.52.1-r2"),
    ("zlib", "1.3.1-r0"),
];

const DISTROS: &[Distro] = &[
    Distro {
        family: Family::Debian,
        id: "debian",
        name: "Debian GNU/Linux",
        version_id: "12",
        version: "12 (bookworm)",
        pretty: "Debian GNU/Linux 12 (bookworm)",
        codename: "bookworm",
        ssh: &[
            "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2",
            "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
            "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5",
        ],
        kernels: &[
            ("6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"),
            ("6.1.0-21-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)"),
            ("6.1.0-23-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.99-1 (2024-07-15)"),
            ("6.1.0-25-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)"),
            ("6.1.0-26-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)"),
            ("6.1.0-28-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"),
        ],
        build: "(debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40)",
        packages: DEB12_PKGS,
    },
    Distro {
        family: Family::Debian,
        id: "debian",
        name: "Debian GNU/Linux",
        version_id: "11",
        version: "11 (bullseye)",
        pretty: "Debian GNU/Linux 11 (bullseye)",
        codename: "bullseye",
        ssh: &[
            "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1",
            "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u2",
            "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3",
        ],
        kernels: &[
            ("5.10.0-26-amd64", "#1 SMP Debian 5.10.197-1 (2023-09-29)"),
            ("5.10.0-28-amd64", "#1 SMP Debian 5.10.209-2 (2024-01-31)"),
            ("5.10.0-30-amd64", "#1 SMP Debian 5.10.218-1 (2024-06-01)"),
            ("5.10.0-32-amd64", "#1 SMP Debian 5.10.223-1 (2024-08-10)"),
        ],
        build: "(debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2)",
        packages: DEB11_PKGS,
    },
    Distro {
        family: Family::Ubuntu,
        id: "ubuntu",
        name: "Ubuntu",
        version_id: "22.04",
        version: "22.04.4 LTS (Jammy Jellyfish)",
        pretty: "Ubuntu 22.04.4 LTS",
        codename: "jammy",
        ssh: &[
            "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6",
            "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.7",
            "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10",
            "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.11",
        ],
        kernels: &[
            ("5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023"),
            ("5.15.0-101-generic", "#111-Ubuntu SMP Tue Mar 5 20:16:58 UTC 2024"),
            ("5.15.0-112-generic", "#122-Ubuntu SMP Thu May 23 07:48:21 UTC 2024"),
            ("5.15.0-119-generic", "#129-Ubuntu SMP Fri Aug 2 19:25:20 UTC 2024"),
            ("5.15.0-125-generic", "#135-Ubuntu SMP Fri Sep 27 13:53:58 UTC 2024"),
        ],
        build: "(buildd@lcy02-amd64-051) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38)",
        packages: JAMMY_PKGS,
    },
    Distro {
        family: Family::Ubuntu,
        id: "ubuntu",
        name: "Ubuntu",
        version_id: "20.04",
        version: "20.04.6 LTS (Focal Fossa)",
        pretty: "Ubuntu 20.04.6 LTS",
        codename: "focal",
        ssh: &[
            "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5",
            "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.9",
            "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11",
        ],
        kernels: &[
            ("5.4.0-167-generic", "#184-Ubuntu SMP Tue Oct 31 09:21:49 UTC 2023"),
            ("5.4.0-182-generic", "#202-Ubuntu SMP Fri Apr 26 12:29:36 UTC 2024"),
            ("5.4.0-196-generic", "#216-Ubuntu SMP Thu Aug 29 13:26:53 UTC 2024"),
        ],
        build: "(buildd@lcy02-amd64-080) (gcc version 9.4.0 (Ubuntu 9.4.0-1ubuntu1~20.04.2))",
        packages: FOCAL_PKGS,
    },
    Distro {
        family: Family::Ubuntu,
        id: "ubuntu",
        name: "Ubuntu",
        version_id: "24.04",
        version: "24.04.1 LTS (Noble Numbat)",
        pretty: "Ubuntu 24.04.1 LTS",
        codename: "noble",
        ssh: &[
            "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.4",
            "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5",
        ],
        kernels: &[
            ("6.8.0-31-generic", "#31-Ubuntu SMP PREEMPT_DYNAMIC Sat Apr 20 00:40:06 UTC 2024"),
            ("6.8.0-45-generic", "#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024"),
            ("6.8.0-49-generic", "#49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov 4 02:06:24 UTC 2024"),
        ],
        build: "(buildd@lcy02-amd64-107) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42)",
        packages: NOBLE_PKGS,
    },
    Distro {
        family: Family::Rhel,
        id: "centos",
        name: "CentOS Linux",
        version_id: "7",
        version: "7 (Core)",
        pretty: "CentOS Linux 7 (Core)",
        codename: "",
        ssh: &["SSH-2.0-OpenSSH_7.4"],
        kernels: &[
            ("3.10.0-1160.105.1.el7.x86_64", "#1 SMP Thu Dec 7 15:39:45 UTC 2023"),
            ("3.10.0-1160.108.1.el7.x86_64", "#1 SMP Thu Jan 25 16:17:31 UTC 2024"),
            ("3.10.0-1160.119.1.el7.x86_64", "#1 SMP Tue Jun 4 14:43:51 UTC 2024"),
        ],
        build: "(mockbuild@kbuilder.bsys.centos.org) (gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) )",
        packages: EL7_PKGS,
    },
    Distro {
        family: Family::Rhel,
        id: "rocky",
        name: "Rocky Linux",
        version_id: "9.4",
        version: "9.4 (Blue Onyx)",
        pretty: "Rocky Linux 9.4 (Blue Onyx)",
        codename: "",
        ssh: &["SSH-2.0-OpenSSH_8.7"],
        kernels: &[
            ("5.14.0-427.13.1.el9_4.x86_64", "#1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024"),
            ("5.14.0-427.37.1.el9_4.x86_64", "#1 SMP PREEMPT_DYNAMIC Wed Sep 25 11:51:41 UTC 2024"),
        ],
        build: "(mockbuild@iad1-prod-build001.bld.equ.rockylinux.org) (gcc (GCC) 11.4.1 20231218 (Red Hat 11.4.1-3), GNU ld version 2.35.2-43.el9)",
        packages: EL9_PKGS,
    },
    Distro {
        family: Family::Alpine,
        id: "alpine",
        name: "Alpine Linux",
        version_id: "3.19.4",
        version: "",
        pretty: "Alpine Linux v3.19",
        codename: "",
        ssh: &["SSH-2.0-OpenSSH_9.6"],
        kernels: &[
            ("6.6.14-0-virt", "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000"),
            ("6.6.41-0-lts", "#1-Alpine SMP PREEMPT_DYNAMIC Thu, 25 Jul 2024 06:29:23 +0000"),
        ],
        build: "(buildozer@build-3-19-x86_64) (gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014, GNU ld (GNU Binutils) 2.41)",
        packages: ALPINE_PKGS,
    },
];

/// (vendor, model name, family, model, stepping, MHz, cache KB, flags set)
type CpuRow = (&'static str, &'static str, u32, u32, u32, f64, u32, u8);

const CPUS: &[CpuRow] = &[
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz",
        6,
        79,
        1,
        2399.998,
        35840,
        0,
    ),
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz",
        6,
        62,
        4,
        2599.998,
        20480,
        0,
    ),
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
        6,
        85,
        7,
        2999.996,
        36608,
        1,
    ),
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz",
        6,
        85,
        7,
        2499.998,
        36608,
        1,
    ),
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) CPU E3-1230 v6 @ 3.50GHz",
        6,
        158,
        9,
        3503.998,
        8192,
        0,
    ),
    (
        "GenuineIntel",
        "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz",
        6,
        158,
        10,
        3191.998,
        12288,
        0,
    ),
    (
        "GenuineIntel",
        "Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz",
        6,
        85,
        7,
        2194.842,
        16896,
        1,
    ),
    (
        "AuthenticAMD",
        "AMD EPYC 7763 64-Core Processor",
        25,
        1,
        1,
        2445.404,
        512,
        2,
    ),
    ("AuthenticAMD", "AMD EPYC 7B13", 25, 1, 0, 2449.998, 512, 2),
    (
        "AuthenticAMD",
        "AMD EPYC 7543P 32-Core Processor",
        25,
        1,
        1,
        2794.748,
        512,
        2,
    ),
    (
        "AuthenticAMD",
        "AMD Ryzen 9 5950X 16-Core Processor",
        25,
        33,
        0,
        3399.996,
        512,
        2,
    ),
    (
        "AuthenticAMD",
        "AMD EPYC-Rome Processor",
        23,
        49,
        0,
        2994.374,
        512,
        2,
    ),
];

const FLAGS_INTEL: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch invpcid_single pti ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm rdseed adx smap xsaveopt arat md_clear arch_capabilities";
const FLAGS_INTEL_AVX512: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat pku ospke avx512_vnni md_clear arch_capabilities";
const FLAGS_AMD: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext invpcid_single ssbd ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr wbnoinvd arat npt nrip_save umip pku ospke vaes vpclmulqdq rdpid fsrm arch_capabilities";

/// (model, memory MiB)
const GPUS: &[(&str, u32)] = &[
    ("NVIDIA GeForce RTX 3090", 24576),
    ("NVIDIA GeForce RTX 4090", 24564),
    ("NVIDIA GeForce RTX 3080", 10240),
    ("Tesla T4", 15360),
    ("NVIDIA A10", 23028),
    ("NVIDIA A100-SXM4-40GB", 40960),
    ("Tesla V100-SXM2-16GB", 16384),
    ("NVIDIA RTX A4000", 16376),
];

/// (driver, CUDA)
const NVIDIA_DRIVERS: &[(&str, &str)] = &[
    ("525.147.05", "12.0"),
    ("535.183.01", "12.2"),
    ("545.29.06", "12.3"),
    ("550.54.15", "12.4"),
    ("550.127.05", "12.4"),
];

const HOST_STEMS: &[&str] = &[
    "web",
    "srv",
    "app",
    "api",
    "db",
    "mail",
    "backup",
    "node",
    "worker",
    "vps",
    "prod-web",
    "staging",
    "dev",
    "ci-runner",
    "gpu",
    "ml-train",
    "nas",
    "proxy",
    "gw",
    "monitor",
    "git",
    "build",
    "jenkins",
    "k8s-node",
    "cache",
];

const HUMAN_USERS: &[&str] = &[
    "admin", "deploy", "dev", "john", "alex", "mike", "backup", "ops", "sysadmin", "git", "web",
    "anna", "pavel", "daniel", "support",
];

const SALT_CHARS: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn crypt_like(rng: &mut Rng, family: Family) -> String {
    let mut s = String::new();
    let mut take = |n: usize, s: &mut String| {
        for _ in 0..n {
            s.push(SALT_CHARS[(rng.next() % SALT_CHARS.len() as u64) as usize] as char);
        }
    };
    match family {
        Family::Debian | Family::Ubuntu => {
            s.push_str("$y$j9T$");
            take(22, &mut s);
            s.push('$');
            take(43, &mut s);
        }
        _ => {
            s.push_str("$6$");
            take(16, &mut s);
            s.push('$');
            take(86, &mut s);
        }
    }
    s
}

fn hostname(rng: &mut Rng, distro: &Distro) -> String {
    match rng.range(0, 9) {
        0 => format!(
            "ip-{}-{}-{}-{}",
            rng.pick(&[10u64, 172, 192]),
            rng.range(16, 31),
            rng.range(0, 255),
            rng.range(1, 254)
        ),
        1 => format!("vps-{:08x}", rng.next() as u32),
        2 if distro.family == Family::Ubuntu => format!(
            "ubuntu-s-{}vcpu-{}gb-{}-{:02}",
            rng.pick(&[1u64, 2, 4, 8]),
            rng.pick(&[1u64, 2, 4, 8, 16]),
            rng.pick(&["fra1", "ams3", "nyc1", "sgp1", "lon1", "blr1", "tor1"]),
            rng.range(1, 20)
        ),
        3 => format!("{}{}", rng.pick(HOST_STEMS), rng.range(1, 40)),
        _ => format!("{}-{:02}", rng.pick(HOST_STEMS), rng.range(1, 30)),
    }
}

pub(super) fn generate(seed: u64) -> Persona {
    let mut rng = Rng::new(seed);
    // Debian and Ubuntu dominate what attackers find on the Internet; weight them accordingly.
    let weights: [u64; 8] = [26, 12, 24, 12, 10, 6, 5, 5];
    let total: u64 = weights.iter().sum();
    let mut roll = rng.range(0, total - 1);
    let mut index = 0;
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            index = i;
            break;
        }
        roll -= w;
    }
    let d = &DISTROS[index];
    let (release, kversion) = *rng.pick(d.kernels);
    let cpu_row = *rng.pick(CPUS);
    let threads = *rng.pick(&[1u32, 2, 2, 4, 4, 4, 8, 8, 12, 16, 24, 32]);
    let threads_per_core = if threads >= 4 && rng.chance(50) { 2 } else { 1 };
    let mhz_jitter = (rng.range(0, 999) as f64) / 1000.0 - 0.5;
    let cpu = Cpu {
        vendor: cpu_row.0.to_owned(),
        model_name: cpu_row.1.to_owned(),
        family: cpu_row.2,
        model: cpu_row.3,
        stepping: cpu_row.4,
        mhz: ((cpu_row.5 + mhz_jitter) * 1000.0).round() / 1000.0,
        cache_kb: cpu_row.6,
        threads,
        threads_per_core,
        flags: match cpu_row.7 {
            0 => FLAGS_INTEL,
            1 => FLAGS_INTEL_AVX512,
            _ => FLAGS_AMD,
        }
        .to_owned(),
        hypervisor: Some(
            rng.pick(&["KVM", "KVM", "KVM", "Xen", "VMware", "Microsoft"])
                .to_string(),
        ),
    };
    let gib = *rng.pick(&[1u64, 2, 2, 4, 4, 8, 8, 16, 16, 32, 64, 128]);
    // The kernel reserves some memory; MemTotal is a little under the installed amount.
    let mem_kb = gib * 1024 * 1024 - gib * rng.range(20_000, 60_000) / 4 - rng.range(0, 4095);
    let swap_kb = if rng.chance(55) {
        0
    } else {
        rng.pick(&[1u64, 2, 4]) * 1024 * 1024 - 4
    };
    let disk_name = match rng.range(0, 3) {
        0 => "sda",
        1 => "nvme0n1",
        _ => "vda",
    };
    let disk_gb = *rng.pick(&[20u64, 25, 40, 50, 80, 100, 160, 240, 480, 500, 1000]);
    let mut disks = vec![Disk {
        name: disk_name.to_owned(),
        size_bytes: disk_gb * 1_000_000_000 + rng.range(0, 1 << 20) * 512,
        model: match disk_name {
            "nvme0n1" => rng
                .pick(&[
                    "Samsung SSD 980 PRO 1TB",
                    "INTEL SSDPE2KX010T8",
                    "Amazon Elastic Block Store",
                ])
                .to_string(),
            "sda" => rng
                .pick(&["QEMU HARDDISK", "Virtual disk", "SAMSUNG MZ7LH480"])
                .to_string(),
            _ => String::new(),
        },
    }];
    if rng.chance(20) {
        disks.push(Disk {
            name: if disk_name == "vda" {
                "vdb"
            } else if disk_name == "sda" {
                "sdb"
            } else {
                "nvme1n1"
            }
            .to_owned(),
            size_bytes: *rng.pick(&[100u64, 500, 1000, 2000]) * 1_000_000_000,
            model: String::new(),
        });
    }
    let gpu = if rng.chance(30) {
        let (model, mem) = *rng.pick(GPUS);
        let (driver, cuda) = *rng.pick(NVIDIA_DRIVERS);
        Some(Gpu {
            model: model.to_owned(),
            memory_mib: mem,
            driver: driver.to_owned(),
            cuda: cuda.to_owned(),
            bus_id: format!(
                "00000000:{:02X}:00.0",
                rng.pick(&[1u64, 3, 0x17, 0x65, 0x81])
            ),
            count: *rng.pick(&[1u32, 1, 1, 2, 4]),
        })
    } else {
        None
    };
    let iface = match d.family {
        Family::Rhel if d.version_id == "7" => "eth0".to_owned(),
        Family::Alpine => "eth0".to_owned(),
        _ => rng
            .pick(&["eth0", "ens3", "ens18", "enp1s0", "ens5", "eth0"])
            .to_string(),
    };
    let (net_a, prefix) = *rng.pick(&[(10u64, 24u8), (172, 20), (192, 24), (10, 16)]);
    let (o2, o3) = match net_a {
        10 => (rng.range(0, 255), rng.range(0, 255)),
        172 => (rng.range(16, 31), rng.range(0, 255)),
        _ => (168, rng.range(0, 10)),
    };
    let o4 = rng.range(2, 250);
    let mac_tail = rng.next();
    let net = Net {
        iface,
        ipv4: format!("{net_a}.{o2}.{o3}.{o4}"),
        prefix,
        gateway: format!("{net_a}.{o2}.{o3}.1"),
        mac: format!(
            "{}:{:02x}:{:02x}:{:02x}",
            rng.pick(&["52:54:00", "fa:16:3e", "00:16:3e", "00:50:56", "02:42:ac"]),
            mac_tail & 0xff,
            (mac_tail >> 8) & 0xff,
            (mac_tail >> 16) & 0xff
        ),
    };
    let mut users = vec![User {
        name: "root".into(),
        uid: 0,
        gid: 0,
        gecos: "root".into(),
        home: "/root".into(),
        shell: if d.family == Family::Alpine {
            "/bin/ash"
        } else {
            "/bin/bash"
        }
        .into(),
        hash: crypt_like(&mut rng, d.family),
    }];
    let default_user = match d.family {
        Family::Ubuntu if rng.chance(40) => Some("ubuntu".to_owned()),
        Family::Debian if rng.chance(30) => Some("debian".to_owned()),
        Family::Rhel if rng.chance(30) => Some(d.id.to_owned()),
        _ => None,
    };
    let mut names: Vec<String> = default_user.into_iter().collect();
    for _ in 0..rng.range(0, 2) {
        let n = rng.pick(HUMAN_USERS).to_string();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let first_uid = 1000;
    for (i, n) in names.into_iter().enumerate() {
        let uid = first_uid + i as u32;
        users.push(User {
            gecos: if d.family == Family::Rhel {
                String::new()
            } else {
                format!("{n},,,")
            },
            home: format!("/home/{n}"),
            shell: if d.family == Family::Alpine {
                "/bin/ash"
            } else {
                "/bin/bash"
            }
            .into(),
            hash: crypt_like(&mut rng, d.family),
            name: n,
            uid,
            gid: uid,
        });
    }
    let pkg_arch = match d.family {
        Family::Rhel => "x86_64",
        Family::Alpine => "x86_64",
        _ => "amd64",
    };
    let mut packages: Vec<Package> = d
        .packages
        .iter()
        .map(|(n, v)| Package {
            name: (*n).to_owned(),
            version: (*v).to_owned(),
            arch: if n.starts_with("ca-cert") {
                "all".into()
            } else {
                pkg_arch.into()
            },
            summary: package_summary(n).to_owned(),
        })
        .collect();
    // Some servers run containers; docker then shows up in packages, processes and services.
    if d.family != Family::Alpine && rng.chance(25) {
        let (name, version) = if rng.chance(60) {
            ("docker-ce", "5:27.3.1-1~debian.12~bookworm")
        } else {
            ("docker.io", "20.10.24+dfsg1-1+b3")
        };
        let version = if d.family == Family::Rhel {
            "3:27.3.1-1.el9"
        } else {
            version
        };
        packages.push(Package {
            name: name.into(),
            version: version.into(),
            arch: pkg_arch.into(),
            summary: "Linux container runtime".into(),
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    // Boot between 3 and 400 days before a fixed epoch, then shifted by the seed: uptime looks
    // organic and differs per sensor.
    let boot_time = 1_730_000_000 - rng.range(3 * 86_400, 400 * 86_400) as i64;
    Persona {
        seed,
        hostname: hostname(&mut rng, d),
        os: Os {
            family: d.family,
            id: d.id.into(),
            name: d.name.into(),
            version_id: d.version_id.into(),
            version: d.version.into(),
            pretty_name: d.pretty.into(),
            codename: d.codename.into(),
        },
        kernel: Kernel {
            release: release.into(),
            version: kversion.into(),
            build: d.build.into(),
        },
        ssh_ident: rng.pick(d.ssh).to_string(),
        cpu,
        mem_kb,
        swap_kb,
        disks,
        gpu,
        net,
        users,
        packages,
        boot_time,
        disk_used_pct: rng.range(8, 78) as u8,
        timezone: "Etc/UTC".into(),
    }
}

fn package_summary(name: &str) -> &'static str {
    match name {
        "apt" => "commandline package manager",
        "bash" => "GNU Bourne Again SHell",
        "coreutils" => "GNU core utilities",
        "cron" | "cronie" => "process scheduling daemon",
        "curl" => "command line tool for transferring data with URL syntax",
        "dpkg" => "Debian package management system",
        "grep" => "GNU grep, egrep and fgrep",
        "gzip" => "GNU compression utilities",
        "openssh-server" => "secure shell (SSH) server, for secure access from remote machines",
        "openssl" => "Secure Sockets Layer toolkit - cryptographic utility",
        "perl" => "Larry Wall's Practical Extraction and Report Language",
        "python3" | "python" => {
            "interactive high-level object-oriented language (default python3 version)"
        }
        "sudo" => "Provide limited super user privileges to specific users",
        "systemd" => "system and service manager",
        "tar" => "GNU version of the tar archiving utility",
        "wget" => "retrieves files from the web",
        "busybox" => "Size optimized toolbox of many common UNIX utilities",
        _ => "",
    }
}
