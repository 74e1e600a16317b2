//! Hostile input: the emulator must never panic, and every line's output, filesystem growth
//! and work are bounded whatever the attacker types.

use proptest::prelude::*;
use sikker_shell::{Effect, Limits, Persona, Shell, System};
use std::sync::Arc;

fn system() -> Arc<System> {
    System::new(Persona::generate(11))
}

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn endless_producers_are_bounded() {
    let sys = system();
    let mut sh = Shell::new(&sys, "root");
    let max = limits().max_output;
    for line in [
        "cat /dev/zero",
        "cat /dev/urandom | head -c 100000000",
        "yes",
        "yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "printf '%099999d' 1",
        "seq 1 100000000",
        "while true; do echo spam; done",
        "for i in $(seq 1 1000000); do echo $i; done",
        "x=A; while true; do x=$x$x; echo $x; done",
        ":(){ :|:& };:",
        "f() { f; }; f",
        "echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo deep))))))))))",
        "sh -c 'sh -c \"sh -c \\\"sh -c yes\\\"\"'",
    ] {
        let o = sh.execute(line);
        assert!(o.output.len() <= max, "{line}: {} bytes", o.output.len());
    }
}

#[test]
fn filesystem_growth_is_capped() {
    let sys = System::with_limits(
        Persona::generate(3),
        Limits {
            fs_bytes: 1 << 20,
            ..Limits::default()
        },
    );
    let mut sh = Shell::new(&sys, "root");
    let o = sh.execute("cat /dev/zero > /tmp/fill");
    assert_ne!(o.exit_code, 0, "a full disk must be reported");
    assert!(
        String::from_utf8_lossy(&o.output).contains("No space left on device"),
        "{:?}",
        String::from_utf8_lossy(&o.output)
    );
    for i in 0..50 {
        sh.execute(&format!(
            "yes > /tmp/y{i}; head -c 900000 /dev/urandom > /tmp/r{i}; mkdir -p /tmp/d{i}/a/b/c"
        ));
    }
    assert!(
        sh.memory_estimate() < (1 << 20) + 64 * 1024,
        "session holds {} bytes",
        sh.memory_estimate()
    );
    // The disk being full does not stop reads.
    assert_eq!(sh.execute("cat /etc/hostname").exit_code, 0);
}

#[test]
fn long_lines_are_cut() {
    let sys = system();
    let mut sh = Shell::new(&sys, "root");
    let line = format!("echo {}", "A".repeat(1 << 20));
    let o = sh.execute(&line);
    assert!(o.output.len() <= limits().max_line + 1);
}

#[test]
fn persistence_writes_are_effects() {
    let sys = system();
    let mut sh = Shell::new(&sys, "root");
    let o = sh.execute("mkdir -p ~/.ssh; echo 'ssh-rsa AAAAB3NzaC1yc2E attacker' >> ~/.ssh/authorized_keys; chmod 600 ~/.ssh/authorized_keys");
    assert_eq!(o.exit_code, 0);
    let written: Vec<&str> = o
        .effects
        .iter()
        .filter_map(|e| {
            if let Effect::FileWritten { path, .. } = e {
                Some(path.as_str())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(written, vec!["/root/.ssh/authorized_keys"]);
    let o = sh.execute("cat ~/.ssh/authorized_keys");
    assert_eq!(
        String::from_utf8_lossy(&o.output),
        "ssh-rsa AAAAB3NzaC1yc2E attacker\n"
    );
}

#[test]
fn shadow_is_root_only_and_sessions_are_isolated() {
    let sys = system();
    let mut user = Shell::new(&sys, "guest");
    let o = user.execute("cat /etc/shadow");
    assert_eq!(
        String::from_utf8_lossy(&o.output),
        "cat: /etc/shadow: Permission denied\n"
    );
    let mut root = Shell::new(&sys, "root");
    assert!(String::from_utf8_lossy(&root.execute("cat /etc/shadow").output).starts_with("root:$"));
    root.execute("echo mine > /tmp/only-here");
    assert_eq!(
        user.execute("cat /tmp/only-here").exit_code,
        1,
        "writes stay in their session"
    );
}

const ALPHABET: &[char] = &[
    'a', 'e', 'x', '1', '0', ' ', ' ', ' ', '$', '(', ')', '{', '}', '[', ']', '\'', '"', '`',
    '\\', '|', '&', ';', '<', '>', '*', '?', '~', '#', '=', '-', '/', '.', '!', '\n', '%', ':',
    '@',
];

fn words() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("echo".to_owned()),
        Just("cat".to_owned()),
        Just("ls".to_owned()),
        Just("cd".to_owned()),
        Just("sh -c".to_owned()),
        Just("printf".to_owned()),
        Just("awk".to_owned()),
        Just("sed".to_owned()),
        Just("grep".to_owned()),
        Just("for i in".to_owned()),
        Just("do".to_owned()),
        Just("done".to_owned()),
        Just("if".to_owned()),
        Just("then".to_owned()),
        Just("fi".to_owned()),
        Just("while".to_owned()),
        Just("wget".to_owned()),
        Just("curl".to_owned()),
        Just("busybox".to_owned()),
        Just("find".to_owned()),
        Just("$((".to_owned()),
        Just("${".to_owned()),
        Just("2>&1".to_owned()),
        Just(">/tmp/x".to_owned()),
        Just("/dev/zero".to_owned()),
        Just("/proc/cpuinfo".to_owned()),
        Just("*".to_owned()),
        Just("'%s%d%x'".to_owned()),
        proptest::collection::vec(proptest::sample::select(ALPHABET), 0..12)
            .prop_map(|v| v.into_iter().collect::<String>()),
    ];
    proptest::collection::vec(word, 0..16).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_never_panic_and_stay_bounded(lines in proptest::collection::vec(words(), 1..6)) {
        let sys = system();
        let mut sh = Shell::new(&sys, "root");
        for line in &lines {
            let o = sh.execute(line);
            prop_assert!(o.output.len() <= Limits::default().max_output);
            let _ = sh.prompt();
        }
        prop_assert!(sh.memory_estimate() < Limits::default().fs_bytes + 512 * 1024);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let sys = system();
        let mut sh = Shell::new(&sys, "root");
        let line = String::from_utf8_lossy(&bytes).into_owned();
        let o = sh.execute(&line);
        prop_assert!(o.output.len() <= Limits::default().max_output);
    }

    #[test]
    fn any_seed_makes_a_valid_persona(seed in any::<u64>()) {
        let p = Persona::generate(seed);
        let back = Persona::from_toml(&p.to_toml().unwrap()).unwrap();
        prop_assert_eq!(&p, &back);
        prop_assert!(p.ssh_ident.starts_with("SSH-2.0-OpenSSH_"));
    }
}

#[test]
fn shell_state_has_a_budget() {
    let sys = system();
    let mut sh = Shell::new(&sys, "root");
    sh.execute("x=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; while true; do x=$x$x; done");
    for i in 0..600 {
        sh.execute(&format!(
            "v{i}=$(printf '%2000s' x); alias a{i}='{}'; f{i}() {{ echo {i}; }}",
            "y".repeat(900)
        ));
    }
    for _ in 0..300 {
        sh.execute(&format!("echo {}", "h".repeat(2000)));
    }
    let used = sh.memory_estimate();
    assert!(used < 512 * 1024, "shell state grew to {used} bytes");
}
