//! Hardware and storage: `lspci`, `lsblk`, `lsmod`, `dmesg`, `fdisk -l`, `mount`, `df`, `du`.

use super::{bin, getopt, human, sbin, Ctx, Spec};
use crate::vfs::base::{modules, mounts};

pub(crate) static SPECS: &[Spec] = &[
    bin("lspci", lspci),
    bin("lsblk", lsblk),
    sbin("lsmod", lsmod),
    bin("dmesg", dmesg),
    sbin("fdisk", fdisk),
    bin("mount", mount),
    bin("df", df),
    bin("du", du),
];

fn lspci(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let p = ctx.sys();
    let p = p.persona();
    let mut out = String::from("00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] (rev 02)\n00:01.0 ISA bridge: Intel Corporation 82371SB PIIX3 ISA [Natoma/Triton II]\n00:01.1 IDE interface: Intel Corporation 82371SB PIIX3 IDE [Natoma/Triton II]\n00:01.3 Bridge: Intel Corporation 82371AB/EB/MB PIIX4 ACPI (rev 03)\n00:02.0 VGA compatible controller: Cirrus Logic GD 5446\n00:03.0 Ethernet controller: Red Hat, Inc. Virtio network device\n00:04.0 SCSI storage controller: Red Hat, Inc. Virtio block device\n00:05.0 Unclassified device [00ff]: Red Hat, Inc. Virtio memory balloon\n");
    if let Some(g) = &p.gpu {
        let bus = g.bus_id.trim_start_matches("00000000:").to_ascii_lowercase();
        let chip = match g.model.as_str() {
            m if m.contains("3090") => "GA102 [GeForce RTX 3090] (rev a1)",
            m if m.contains("4090") => "AD102 [GeForce RTX 4090] (rev a1)",
            m if m.contains("3080") => "GA102 [GeForce RTX 3080] (rev a1)",
            m if m.contains("T4") => "TU104GL [Tesla T4] (rev a1)",
            m if m.contains("A100") => "GA100 [A100 SXM4 40GB] (rev a1)",
            m if m.contains("V100") => "GV100GL [Tesla V100 SXM2 16GB] (rev a1)",
            m if m.contains("A10") => "GA102GL [A10] (rev a1)",
            _ => "GA104GL [RTX A4000] (rev a1)",
        };
        let class = if g.model.contains("GeForce") || g.model.contains("RTX A") { "VGA compatible controller" } else { "3D controller" };
        for i in 0..g.count {
            let b = if i == 0 { bus.clone() } else { format!("{:02x}:00.0", 0x20 * i + 1) };
            out.push_str(&format!("{b} {class}: NVIDIA Corporation {chip}\n"));
        }
    }
    ctx.out(out);
    0
}

fn lsblk(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let p = ctx.sys();
    let p = p.persona();
    let mut out = String::from("NAME    MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS\n");
    let gib = |b: u64| {
        let g = b as f64 / (1u64 << 30) as f64;
        if g >= 1024.0 { format!("{:.1}T", g / 1024.0) } else if g >= 10.0 { format!("{}G", g.round() as u64) } else { format!("{g:.1}G") }
    };
    for (i, d) in p.disks.iter().enumerate() {
        let maj = if d.name.starts_with("nvme") { "259" } else if d.name.starts_with("vd") { "254" } else { "8" };
        let minor = i * 16;
        out.push_str(&format!("{:<7} {:>3}:{:<3}  0 {:>5}  0 disk \n", d.name, maj, minor, gib(d.size_bytes)));
        if i == 0 {
            let part = p.root_partition();
            out.push_str(&format!("{:<7} {:>3}:{:<3}  0 {:>5}  0 part /\n", format!("\u{251c}\u{2500}{part}"), maj, minor + 1, gib(d.size_bytes - (1 << 30))));
            out.push_str(&format!("{:<7} {:>3}:{:<3}  0 {:>5}  0 part \n", format!("\u{2514}\u{2500}{}", part.replace('1', "15")), maj, minor + 15, "1M"));
        }
    }
    ctx.out(out);
    0
}

fn lsmod(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // kmod's lsmod takes no arguments at all.
    if args.len() > 1 && !ctx.persona_is_busybox() {
        ctx.err("Usage: lsmod\n");
        return 1;
    }
    let mut out = String::from("Module                  Size  Used by\n");
    for (name, size, used) in modules(&ctx.st.sys.persona) {
        out.push_str(&format!("{name:<19} {size:>8}  {used}\n"));
    }
    ctx.out(out);
    0
}

fn dmesg(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    if ctx.uid() != 0 {
        ctx.err("dmesg: read kernel buffer failed: Operation not permitted\n");
        return 1;
    }
    let p = ctx.sys();
    let p = p.persona();
    let mut out = format!("[    0.000000] Linux version {} {} {}\n[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-{} root=/dev/{} ro quiet\n[    0.000000] BIOS-provided physical RAM map:\n[    0.000000] Hypervisor detected: {}\n[    0.000000] x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'\n", p.kernel.release, p.kernel.build, p.kernel.version, p.kernel.release, p.root_partition(), p.cpu.hypervisor.clone().unwrap_or_else(|| "KVM".into()));
    out.push_str(&format!("[    0.004000] Memory: {}K/{}K available\n[    0.112233] smpboot: CPU0: {} (family: 0x{:x}, model: 0x{:x}, stepping: 0x{:x})\n[    0.301122] smp: Brought up 1 node, {} CPUs\n", p.mem_kb - 180_000, p.mem_kb + 300_000, p.cpu.model_name, p.cpu.family, p.cpu.model, p.cpu.stepping, p.cpu.threads));
    for d in &p.disks {
        out.push_str(&format!("[    1.20{}] virtio_blk virtio1: [{}] {} 512-byte logical blocks ({:.1} GB/{:.1} GiB)\n", d.name.len(), d.name, d.size_bytes / 512, d.size_bytes as f64 / 1e9, d.size_bytes as f64 / (1u64 << 30) as f64));
    }
    out.push_str(&format!("[    2.013377] EXT4-fs ({}): mounted filesystem with ordered data mode. Quota mode: none.\n[    3.441021] virtio_net virtio0 {}: renamed from eth0\n", p.root_partition(), p.net.iface));
    if let Some(g) = &p.gpu {
        out.push_str(&format!("[    4.120044] nvidia: loading out-of-tree module taints kernel.\n[    4.301200] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  {}  Release Build  (dvs-builder@U16-I3-B03-4-3)\n", g.driver));
    }
    ctx.out(out);
    0
}

fn fdisk(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "--version" || a == "-V") {
        ctx.out("fdisk from util-linux 2.38.1\n");
        return 0;
    }
    if !args.iter().any(|a| a == "-l") {
        ctx.err("Usage:\n fdisk [options] <disk>         change partition table\n fdisk [options] -l [<disk>...] list partition table(s)\n");
        return 1;
    }
    if ctx.uid() != 0 {
        ctx.err(format!("fdisk: cannot open /dev/{}: Permission denied\n", ctx.st.sys.persona.disks.first().map(|d| d.name.clone()).unwrap_or_default()));
        return 1;
    }
    let p = ctx.sys();
    let p = p.persona();
    let mut out = String::new();
    for (i, d) in p.disks.iter().enumerate() {
        let sectors = d.size_bytes / 512;
        out.push_str(&format!("Disk /dev/{}: {:.2} GiB, {} bytes, {} sectors\n", d.name, d.size_bytes as f64 / (1u64 << 30) as f64, d.size_bytes, sectors));
        if !d.model.is_empty() {
            out.push_str(&format!("Disk model: {}\n", d.model));
        }
        out.push_str("Units: sectors of 1 * 512 = 512 bytes\nSector size (logical/physical): 512 bytes / 512 bytes\nI/O size (minimum/optimal): 512 bytes / 512 bytes\n");
        if i == 0 {
            let part = format!("/dev/{}", p.root_partition());
            out.push_str(&format!("Disklabel type: gpt\nDisk identifier: {:08X}-1C2D-4E5F-8A9B-{:012X}\n\nDevice{:w$}     Start       End   Sectors  Size Type\n{part}      262144 {:>9} {:>9} {:>5} Linux filesystem\n", p.seed as u32, p.seed & 0xffff_ffff_ffff, "", sectors - 34, sectors - 262_178, human((sectors - 262_178) * 512), w = part.len().saturating_sub(6)));
        }
        out.push('\n');
    }
    ctx.out(out);
    0
}

fn mount(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() > 1 && !args[1].starts_with('-') {
        if ctx.uid() != 0 {
            ctx.err("mount: only root can do that\n");
            return 1;
        }
        ctx.err(format!("mount: {}: can't find in /etc/fstab.\n", args[1]));
        return 1;
    }
    let text: String = mounts(&ctx.st.sys.persona)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} on {} type {} ({})\n", f[0], f[1], f[2], f[3])
        })
        .collect();
    ctx.out(text);
    0
}

/// (filesystem, size KiB, used KiB, mountpoint, type)
fn filesystems(ctx: &Ctx<'_>) -> Vec<(String, u64, u64, &'static str, &'static str)> {
    let p = &ctx.st.sys.persona;
    let root_kib = (p.root_disk_bytes() - (1 << 30)) / 1024 * 96 / 100;
    let used = root_kib * u64::from(p.disk_used_pct) / 100 + ctx.st.vfs.used() as u64 / 1024;
    let mem = p.mem_kb;
    vec![
        ("udev".into(), mem / 2, 0, "/dev", "devtmpfs"),
        ("tmpfs".into(), mem / 10, 1_000 + p.seed % 400, "/run", "tmpfs"),
        (format!("/dev/{}", p.root_partition()), root_kib, used, "/", "ext4"),
        ("tmpfs".into(), mem / 2, 0, "/dev/shm", "tmpfs"),
        ("tmpfs".into(), 5_120, 0, "/run/lock", "tmpfs"),
        ("tmpfs".into(), mem / 10, 4, "/run/user/0", "tmpfs"),
    ]
}

fn df(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "hkmTaiPlH", "tBx", &["human-readable", "help", "version", "total", "output", "output="]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("df", &e, 1),
    };
    let human_mode = o.has('h') || o.long("human-readable");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let typed = o.has('T');
    let mut header = vec!["Filesystem".to_owned()];
    if typed {
        header.push("Type".into());
    }
    if human_mode {
        header.extend(["Size", "Used", "Avail", "Use%", "Mounted on"].map(String::from));
    } else if o.has('m') {
        header.extend(["1M-blocks", "Used", "Available", "Use%", "Mounted on"].map(String::from));
    } else {
        header.extend(["1K-blocks", "Used", "Available", "Use%", "Mounted on"].map(String::from));
    }
    let wanted: Vec<String> = o.args.iter().map(|a| ctx.abs(a)).collect();
    for (fs, size, used, mnt, ty) in filesystems(ctx) {
        if !wanted.is_empty() && !wanted.iter().any(|w| best_mount(w) == mnt) {
            continue;
        }
        let avail = size.saturating_sub(used);
        let pct = if size == 0 { "-".to_owned() } else { format!("{}%", (used * 100).div_ceil(size)) };
        let f = |k: u64| if human_mode { if k == 0 { "0".into() } else { human(k * 1024) } } else if o.has('m') { (k / 1024).to_string() } else { k.to_string() };
        let mut row = vec![fs];
        if typed {
            row.push(ty.into());
        }
        row.extend([f(size), f(used), f(avail), pct, mnt.into()]);
        rows.push(row);
    }
    // Column widths as coreutils computes them: the max over header and cells; first two
    // left-aligned, numbers right-aligned, the mount point last and unpadded.
    let ncol = header.len();
    // coreutils' minimum widths: source 14, type 4, numbers 5, Use% 4.
    let minimum = |i: usize| -> usize {
        if i == 0 {
            14
        } else if (typed && i == 1) || i == ncol - 2 {
            4
        } else if i == ncol - 1 {
            0
        } else {
            5
        }
    };
    let widths: Vec<usize> = (0..ncol).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].chars().count(), minimum(i)]).max().unwrap_or(0)).collect();
    let left = |i: usize| i == 0 || (typed && i == 1) || i == ncol - 1;
    let render = |r: &Vec<String>| -> String {
        let mut s = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            if i == ncol - 1 {
                s.push_str(cell);
            } else if left(i) {
                s.push_str(&format!("{cell:<w$}", w = widths[i]));
            } else {
                s.push_str(&format!("{cell:>w$}", w = widths[i]));
            }
        }
        s.push('\n');
        s
    };
    let mut out = render(&header);
    for r in &rows {
        out.push_str(&render(r));
    }
    ctx.out(out);
    0
}

fn best_mount(path: &str) -> &'static str {
    for m in ["/run/user/0", "/run/lock", "/dev/shm", "/run", "/dev"] {
        if path == m || path.starts_with(&format!("{m}/")) {
            return m;
        }
    }
    "/"
}

fn du(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "hsacxkmLS", "d", &["human-readable", "summarize", "max-depth=", "help", "version", "apparent-size"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("du", &e, 1),
    };
    let targets = if o.args.is_empty() { vec![".".to_owned()] } else { o.args.clone() };
    let human_mode = o.has('h') || o.long("human-readable");
    let mut status = 0;
    let mut total = 0;
    for t in &targets {
        let abs = ctx.abs(t);
        let node = match ctx.st.vfs.stat(&abs) {
            Ok((_, n)) => n.clone(),
            Err(e) => {
                ctx.err(format!("du: cannot access '{t}': {}\n", e.message()));
                status = 1;
                continue;
            }
        };
        let entries = if node.is_dir() { ctx.st.vfs.walk(&abs, 20_000) } else { Vec::new() };
        let kib = |size: u64| size.div_ceil(4096) * 4;
        let sum: u64 = entries.iter().map(|(_, n)| kib(n.size())).sum::<u64>() + kib(node.size());
        total += sum;
        let fmt = |k: u64| if human_mode { human(k * 1024) } else { k.to_string() };
        if !(o.has('s') || o.long("summarize")) && node.is_dir() {
            let mut dirs: Vec<(String, u64)> = entries.iter().filter(|(_, n)| n.is_dir()).map(|(p, _)| {
                let s: u64 = entries.iter().filter(|(q, _)| q.starts_with(&format!("{p}/"))).map(|(_, n)| kib(n.size())).sum::<u64>() + 4;
                (p.clone(), s)
            }).collect();
            dirs.sort_by(|a, b| b.0.cmp(&a.0));
            for (p, s) in dirs.into_iter().take(200) {
                let shown = if t == "." { format!(".{}", &p[abs.len().min(p.len())..]) } else { format!("{}{}", t.trim_end_matches('/'), &p[abs.len().min(p.len())..]) };
                ctx.out(format!("{}\t{shown}\n", fmt(s)));
            }
        }
        ctx.out(format!("{}\t{t}\n", fmt(sum)));
    }
    if o.has('c') {
        ctx.out(format!("{total}\ttotal\n"));
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn df_and_lsblk() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "df -h");
        assert!(o.starts_with("Filesystem      Size  Used Avail Use% Mounted on\n"), "{o}");
        let (o, _) = run(&mut sh, "lsblk");
        assert!(o.starts_with("NAME    MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS\n"), "{o}");
        assert!(run(&mut sh, "lsmod").0.starts_with("Module                  Size  Used by\n"));
    }
}
