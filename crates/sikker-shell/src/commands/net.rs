//! Networking: `ifconfig`, `ip`, `netstat`, `ss`, `route`, `ping`. Addresses come from the
//! persona; `ping` never sends anything and records the target as an outbound attempt.

use super::{bin, sbin, Ctx, Spec};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[sbin("ifconfig", ifconfig), sbin("ip", ip), bin("netstat", netstat), bin("ss", ss), sbin("route", route), bin("ping", ping)];

fn mask(prefix: u8) -> String {
    let m: u32 = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
    format!("{}.{}.{}.{}", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255)
}

fn broadcast(ip: &str, prefix: u8) -> String {
    let parts: Vec<u32> = ip.split('.').filter_map(|x| x.parse().ok()).collect();
    if parts.len() != 4 {
        return ip.to_owned();
    }
    let a = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
    let host = if prefix >= 32 { 0 } else { u32::MAX >> prefix };
    let b = a | host;
    format!("{}.{}.{}.{}", b >> 24, (b >> 16) & 255, (b >> 8) & 255, b & 255)
}

fn network(ip: &str, prefix: u8) -> String {
    let parts: Vec<u32> = ip.split('.').filter_map(|x| x.parse().ok()).collect();
    if parts.len() != 4 {
        return ip.to_owned();
    }
    let a = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
    let m: u32 = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
    let n = a & m;
    format!("{}.{}.{}.{}", n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn link_local(mac: &str) -> String {
    let b: Vec<u8> = mac.split(':').filter_map(|x| u8::from_str_radix(x, 16).ok()).collect();
    if b.len() != 6 {
        return "fe80::1".into();
    }
    format!("fe80::{:x}:{:x}ff:fe{:x}:{:x}", (u16::from(b[0] ^ 2) << 8) | u16::from(b[1]), b[2], b[3], (u16::from(b[4]) << 8) | u16::from(b[5]))
}

fn counters(ctx: &Ctx<'_>) -> (u64, u64, u64, u64) {
    let s = ctx.st.sys.persona.seed;
    let up = (ctx.now() - ctx.st.sys.persona.boot_at(ctx.now())).max(1) as u64;
    (up * 37 + s % 100_000, up * 52_000 + s % 9_000_000, up * 29 + s % 80_000, up * 9_000 + s % 3_000_000)
}

fn human_bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

fn ifconfig(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let n = ctx.st.sys.persona.net.clone();
    let (rp, rb, tp, tb) = counters(ctx);
    let out = format!(
        "{iface}: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet {ip}  netmask {mask}  broadcast {bc}\n        inet6 {ll}  prefixlen 64  scopeid 0x20<link>\n        ether {mac}  txqueuelen 1000  (Ethernet)\n        RX packets {rp}  bytes {rb} ({rbh})\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets {tp}  bytes {tb} ({tbh})\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\nlo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n        loop  txqueuelen 1000  (Local Loopback)\n        RX packets {lp}  bytes {lb} ({lbh})\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets {lp}  bytes {lb} ({lbh})\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n",
        iface = n.iface, ip = n.ipv4, mask = mask(n.prefix), bc = broadcast(&n.ipv4, n.prefix), ll = link_local(&n.mac), mac = n.mac,
        rp = rp, rb = rb, rbh = human_bytes(rb), tp = tp, tb = tb, tbh = human_bytes(tb), lp = rp / 40, lb = rb / 60, lbh = human_bytes(rb / 60),
    );
    ctx.out(out);
    0
}

fn ip(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let n = ctx.st.sys.persona.net.clone();
    let obj = args.iter().skip(1).find(|a| !a.starts_with('-')).map(String::as_str).unwrap_or("");
    let addr = format!(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host noprefixroute \n       valid_lft forever preferred_lft forever\n2: {iface}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether {mac} brd ff:ff:ff:ff:ff:ff\n    altname enp0s3\n    inet {ip}/{pfx} brd {bc} scope global dynamic {iface}\n       valid_lft 85974sec preferred_lft 85974sec\n    inet6 {ll}/64 scope link \n       valid_lft forever preferred_lft forever\n",
        iface = n.iface, mac = n.mac, ip = n.ipv4, pfx = n.prefix, bc = broadcast(&n.ipv4, n.prefix), ll = link_local(&n.mac)
    );
    match obj {
        "a" | "addr" | "address" => ctx.out(addr),
        "l" | "link" => ctx.out(format!("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: {}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether {} brd ff:ff:ff:ff:ff:ff\n", n.iface, n.mac)),
        "r" | "ro" | "route" => ctx.out(format!("default via {gw} dev {iface} proto dhcp src {ip} metric 100 \n{net}/{pfx} dev {iface} proto kernel scope link src {ip} metric 100 \n", gw = n.gateway, iface = n.iface, ip = n.ipv4, net = network(&n.ipv4, n.prefix), pfx = n.prefix)),
        "n" | "neigh" => ctx.out(format!("{} dev {} lladdr 52:54:00:12:35:02 REACHABLE\n", n.gateway, n.iface)),
        "" => {
            ctx.err("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n                   ntbl | route | rule | sr | tap | tcpmetrics |\n                   token | tunnel | tuntap | vrf | xfrm }\n");
            return 255;
        }
        other => {
            ctx.err(format!("Object \"{other}\" is unknown, try \"ip help\".\n"));
            return 1;
        }
    }
    0
}

/// (proto, local, state, process) of listening sockets.
fn listeners(ctx: &Ctx<'_>) -> Vec<(&'static str, String, &'static str, String)> {
    let mut v = vec![("tcp", "0.0.0.0:22".to_owned(), "LISTEN", "sshd".to_owned()), ("tcp6", ":::22".to_owned(), "LISTEN", "sshd".to_owned())];
    let p = &ctx.st.sys.persona;
    if p.os.family == crate::persona::Family::Ubuntu {
        v.push(("tcp", "127.0.0.53:53".into(), "LISTEN", "systemd-resolve".into()));
        v.push(("udp", "127.0.0.53:53".into(), "", "systemd-resolve".into()));
    }
    v.push(("udp", "0.0.0.0:68".into(), "", "dhclient".into()));
    v
}

fn netstat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let opts = args[1..].concat();
    if opts.contains('r') {
        return route(ctx, &["route".to_owned(), "-n".to_owned()]);
    }
    let with_pid = opts.contains('p');
    let mut out = String::from(if opts.contains('l') { "Active Internet connections (only servers)\n" } else { "Active Internet connections (servers and established)\n" });
    out.push_str(&format!("Proto Recv-Q Send-Q Local Address           Foreign Address         State      {}\n", if with_pid { "PID/Program name    " } else { "" }));
    let sshd_pid = 300 + (ctx.st.sys.persona.seed % 200) as u32 + 60;
    let tcp_only = opts.contains('t') && !opts.contains('u');
    let udp_only = opts.contains('u') && !opts.contains('t');
    for (proto, local, state, prog) in listeners(ctx) {
        if (tcp_only && !proto.starts_with("tcp")) || (udp_only && !proto.starts_with("udp")) {
            continue;
        }
        let foreign = if proto.ends_with('6') { ":::*" } else { "0.0.0.0:*" };
        let pid = if with_pid { format!("{:<20}", format!("{}/{prog}", sshd_pid + prog.len() as u32)) } else { String::new() };
        out.push_str(&format!("{proto:<5} {:>6} {:>6} {local:<23} {foreign:<23} {state:<11}{pid}\n", 0, 0));
    }
    if !opts.contains('l') {
        let n = &ctx.st.sys.persona.net;
        out.push_str(&format!("tcp        0     52 {:<23} {:<23} ESTABLISHED{}\n", format!("{}:22", n.ipv4), "203.0.113.77:51532", if with_pid { format!(" {}/sshd: root@pts ", 2000 + (ctx.st.sys.persona.seed % 20_000) - 12) } else { String::new() }));
    }
    ctx.out(out);
    0
}

fn ss(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let opts = args[1..].concat();
    let tcp_only = opts.contains('t') && !opts.contains('u');
    let udp_only = opts.contains('u') && !opts.contains('t');
    let netid = !(tcp_only || udp_only);
    // iproute2 6.1 layout: the address right-aligned up to the ':' of the header, the port after.
    let mut out = String::new();
    if netid {
        out.push_str("Netid ");
    }
    out.push_str("State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n");
    for (proto, local, state, prog) in listeners(ctx) {
        let is_udp = proto.starts_with("udp");
        if (tcp_only && is_udp) || (udp_only && !is_udp) {
            continue;
        }
        if opts.contains('l') && state.is_empty() && !is_udp {
            continue;
        }
        let st = if state.is_empty() { "UNCONN" } else { "LISTEN" };
        let (addr, port) = local.rsplit_once(':').unwrap_or((&local, "0"));
        let v6 = addr.contains(':') || addr.is_empty();
        let addr = if v6 { "[::]".to_owned() } else { addr.to_owned() };
        let peer = if v6 { "[::]" } else { "0.0.0.0" };
        let proc_col = if opts.contains('p') { format!("users:((\"{prog}\",pid={},fd=3))", 400 + prog.len()) } else { String::new() };
        if netid {
            out.push_str(&format!("{:<5} ", if is_udp { "udp" } else { "tcp" }));
        }
        let backlog = if st == "LISTEN" { 128 } else { 0 };
        out.push_str(&format!("{st:<6} {:<6} {backlog:<6} {addr:>13}:{port:<5} {peer:>12}:{:<4}{proc_col:<7}\n", 0, "*"));
    }
    ctx.out(out);
    0
}

fn route(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let n = ctx.st.sys.persona.net.clone();
    ctx.out(format!(
        "Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n0.0.0.0         {:<15} 0.0.0.0         UG    100    0        0 {}\n{:<15} 0.0.0.0         {:<15} U     100    0        0 {}\n",
        n.gateway, n.iface, network(&n.ipv4, n.prefix), mask(n.prefix), n.iface
    ));
    0
}

fn ping(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut count: u32 = 4;
    let mut host = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-c" => {
                count = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(4);
                i += 1;
            }
            "-W" | "-w" | "-i" | "-s" | "-t" | "-I" => i += 1,
            a if a.starts_with("-c") => count = a[2..].parse().unwrap_or(4),
            a if a.starts_with('-') => {}
            a => host = Some(a.to_owned()),
        }
        i += 1;
    }
    let Some(host) = host else {
        ctx.err("ping: usage error: Destination address required\n");
        return 1;
    };
    ctx.effect(Effect::Outbound { tool: "ping".into(), target: host.clone() });
    let ip = super::fetch::fake_ip(&host);
    let count = count.clamp(1, 20);
    let mut out = format!("PING {host} ({ip}) 56(84) bytes of data.\n");
    let seed = ctx.st.sys.persona.seed;
    // Loopback answers in tens of microseconds with the local TTL; the rest look a few hops away.
    let lo = ip.starts_with("127.");
    let (base, spread, ttl) = if lo { (0.030, 60, 64) } else { (8.0 + (seed % 40) as f64, 300, 50 + seed % 8) };
    let mut times = Vec::new();
    for k in 1..=count {
        let t = if lo { base + ((seed >> k) % spread) as f64 / 1000.0 } else { base + ((seed >> k) % spread) as f64 / 100.0 };
        times.push(t);
        let name = if ip == host { ip.clone() } else { format!("{host} ({ip})") };
        out.push_str(&format!("64 bytes from {name}: icmp_seq={k} ttl={ttl} time={} ms\n", rtt(t)));
    }
    let min = times.iter().cloned().fold(f64::MAX, f64::min);
    let max = times.iter().cloned().fold(0.0, f64::max);
    let avg = times.iter().sum::<f64>() / times.len() as f64;
    out.push_str(&format!("\n--- {host} ping statistics ---\n{count} packets transmitted, {count} received, 0% packet loss, time {}ms\nrtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{:.3} ms\n", (count - 1) * 1001, (max - min) / 2.0));
    ctx.out(out);
    0
}

/// A round-trip time as iputils prints it: three significant digits below 100 ms.
fn rtt(ms: f64) -> String {
    match ms {
        t if t < 1.0 => format!("{t:.3}"),
        t if t < 10.0 => format!("{t:.2}"),
        t if t < 100.0 => format!("{t:.1}"),
        t => format!("{t:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn ping_times_have_iputils_precision() {
        assert_eq!(super::rtt(0.0341), "0.034");
        assert_eq!(super::rtt(8.123), "8.12");
        assert_eq!(super::rtt(12.04), "12.0");
        let mut sh = shell("debian12");
        assert!(run(&mut sh, "ping -c 1 localhost").0.contains("from localhost (127.0.0.1): icmp_seq=1 ttl=64 time=0."));
    }

    #[test]
    fn network_views_agree() {
        let mut sh = shell("debian12");
        let ip = run(&mut sh, "hostname -I").0.trim().to_owned();
        assert!(run(&mut sh, "ifconfig").0.contains(&format!("inet {ip}  netmask")));
        assert!(run(&mut sh, "ip a").0.contains(&format!("inet {ip}/")));
        assert!(run(&mut sh, "route -n").0.starts_with("Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"));
        let o = sh.execute("ping -c 2 8.8.8.8");
        assert_eq!(o.effects.len(), 1);
    }
}
