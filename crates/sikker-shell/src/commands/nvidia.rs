//! `nvidia-smi`, present only on personas with a GPU (miners check for one first).

use super::{Ctx, Place, Spec};
use crate::clock::format_date;

pub(crate) static SPECS: &[Spec] = &[Spec { name: "nvidia-smi", place: Place::Bin, builtin: false, present: |p| p.gpu.is_some(), run }];

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(g) = ctx.st.sys.persona.gpu.clone() else {
        ctx.err("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n");
        return 9;
    };
    let query = args.iter().find_map(|a| a.strip_prefix("--query-gpu=").map(str::to_owned));
    if args.iter().any(|a| a == "-L" || a == "--list-gpus") {
        let mut out = String::new();
        for i in 0..g.count {
            let h = ctx.st.sys.persona.seed.wrapping_add(u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD6E8_FEB8_6659_FD93;
            out.push_str(&format!("GPU {i}: {} (UUID: GPU-{:08x}-{:04x}-{:04x}-{:04x}-{:012x})\n", g.model, h >> 32, (h >> 16) & 0xffff, h & 0xffff, (h >> 48) ^ 0x5e6f, h.rotate_left(21) & 0xffff_ffff_ffff));
        }
        ctx.out(out);
        return 0;
    }
    if let Some(q) = query {
        let mut out = String::new();
        let csv_header = !args.iter().any(|a| a.contains("noheader"));
        let fields: Vec<&str> = q.split(',').map(str::trim).collect();
        if csv_header {
            out.push_str(&fields.iter().map(|f| match *f {
                "memory.total" => "memory.total [MiB]".to_owned(),
                "memory.used" => "memory.used [MiB]".to_owned(),
                "utilization.gpu" => "utilization.gpu [%]".to_owned(),
                other => other.to_owned(),
            }).collect::<Vec<_>>().join(", "));
            out.push('\n');
        }
        for i in 0..g.count {
            let vals: Vec<String> = fields.iter().map(|f| match *f {
                "name" | "gpu_name" => g.model.clone(),
                "memory.total" => format!("{} MiB", g.memory_mib),
                "memory.used" => "1 MiB".into(),
                "memory.free" => format!("{} MiB", g.memory_mib - 1),
                "utilization.gpu" => "0 %".into(),
                "driver_version" => g.driver.clone(),
                "index" => i.to_string(),
                "temperature.gpu" => "34".into(),
                "count" => g.count.to_string(),
                "pci.bus_id" => g.bus_id.clone(),
                other => {
                    let _ = other;
                    "[N/A]".into()
                }
            }).collect();
            out.push_str(&vals.join(", "));
            out.push('\n');
        }
        ctx.out(out);
        return 0;
    }
    let line = format!("+{}+\n", "-".repeat(87));
    let cells = format!("+{}+{}+{}+\n", "-".repeat(41), "-".repeat(22), "-".repeat(22));
    let mut out = format!("{}       \n", format_date(ctx.now(), "%a %b %e %H:%M:%S %Y"));
    out.push_str(&line);
    out.push_str(&format!("| NVIDIA-SMI {:<23}Driver Version: {:<13}CUDA Version: {:<9}|\n", g.driver, g.driver, g.cuda));
    out.push_str(&format!("|{}+{}+{}+\n", "-".repeat(41), "-".repeat(22), "-".repeat(22)));
    out.push_str("| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |\n| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |\n|                                         |                      |               MIG M. |\n");
    out.push_str(&format!("|{}+{}+{}|\n", "=".repeat(41), "=".repeat(22), "=".repeat(22)));
    let watts = if g.model.contains("4090") { 450 } else if g.model.contains("3090") { 350 } else if g.model.contains("T4") { 70 } else if g.model.contains("A100") { 400 } else { 300 };
    let datacenter = !g.model.contains("GeForce");
    for i in 0..g.count {
        let bus = if i == 0 { g.bus_id.clone() } else { format!("00000000:{:02X}:00.0", 0x20 * i + 1) };
        let name: String = g.model.chars().take(28).collect();
        out.push_str(&format!("| {:>3}  {:<28}{:>6} | {} {:>3} | {:>20} |\n", i, name, if datacenter { "On" } else { "Off" }, bus, "Off", if datacenter { "0" } else { "N/A" }));
        let fan = if datacenter { "N/A".to_owned() } else { "30%".to_owned() };
        out.push_str(&format!("|{:>5}{:>6}{:>6}{:>23} |{:>21} |{:>8}{:>13} |\n", fan, format!("{}C", 33 + i), "P8", format!("{}W / {watts}W", 9 + i * 3), format!("1MiB / {}MiB", g.memory_mib), "0%", "Default"));
        out.push_str(&format!("|{:41}|{:22}|{:>21} |\n", "", "", if datacenter { "Disabled" } else { "N/A" }));
        out.push_str(&cells);
    }
    out.push_str(&format!("{:89}\n", ""));
    out.push_str(&line);
    out.push_str(&format!("| Processes:{:76}|\n", ""));
    out.push_str(&format!("|  GPU   GI   CI        PID   Type   Process name                            GPU Memory |\n|        ID   ID                                                             Usage      |\n|{}|\n", "=".repeat(87)));
    out.push_str(&format!("|  No running processes found{:59}|\n", ""));
    out.push_str(&line);
    ctx.out(out);
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn nvidia_smi_layout() {
        let mut sh = shell("gpu");
        let (o, c) = run(&mut sh, "nvidia-smi");
        assert_eq!(c, 0, "{o}");
        for l in o.lines().skip(1) {
            assert_eq!(l.chars().count(), 89, "{l:?}");
        }
        let mut sh = shell("nogpu");
        assert_eq!(run(&mut sh, "nvidia-smi").0, "-bash: nvidia-smi: command not found\n");
    }
}
