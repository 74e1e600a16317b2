//! The binary as scripts use it: output contracts and exit codes.

use std::process::Command;

fn sikker(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sikker"))
        .args(args)
        .output()
        .expect("the sikker binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn keys_create_prints_only_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = sikker(&["keys", "create", "--data", data, "--tier", "tier_1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("sk_tier_1_"), "{stdout}");
    let out = sikker(&["keys", "create", "--data", data, "--role", "sensor"]);
    assert!(text(&out.stdout).starts_with("sks_"));
    let out = sikker(&["keys", "create", "--data", data, "--role", "admin"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("api or sensor"));
}

#[test]
fn simulate_twice_with_one_seed_stores_nothing_new_and_apply_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = sikker(&["simulate", "--data", data, "--ips", "300", "--seed", "5"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("published 300 indicator versions"),
        "{}",
        text(&first.stderr)
    );
    let second = sikker(&["simulate", "--data", data, "--ips", "300", "--seed", "5"]);
    let err = text(&second.stderr);
    assert!(
        err.contains("(0 new)") && err.contains("published 0 indicator"),
        "{err}"
    );
    // Reclassifying with the catalog the data was classified with changes no indicator.
    let apply = sikker(&["catalog", "apply", "--data", data]);
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    assert!(
        text(&apply.stdout).contains(" 0 indicators changed"),
        "{}",
        text(&apply.stdout)
    );
}

#[test]
fn catalog_check_reports_file_and_line() {
    let out = sikker(&["catalog", "check"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("ok:"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, "[[primitive]]\nid = \"x\"\nfield = \"command\"\nop = \"REGEX\"\n\n[[primitive]]\nid = = 1\n").unwrap();
    let out = sikker(&["catalog", "check", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("{}:", file.display())), "{stdout}");
    assert!(
        stdout.lines().any(|l| l
            .split(':')
            .nth(1)
            .is_some_and(|n| n.parse::<usize>().is_ok())),
        "{stdout}"
    );
}
