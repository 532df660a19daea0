//! `zhibo sim` as a user runs it: the built-in scenario, a log file that is
//! the same for the same seed, and a bad scenario refused before anything
//! is written.

use std::process::Command;

fn zhibo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhibo"))
}

#[test]
fn the_default_scenario_plays_and_the_same_seed_writes_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let run = |log: &std::path::Path, seed: &str| {
        let out = zhibo().args(["sim", "--seed", seed, "--json", "--log"]).arg(log).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = run(&a, "5");
    let again = run(&b, "5");
    assert_eq!(first, again);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    for key in ["peak_online", "average_online", "average_watch_s", "comments", "orders_paid", "gmv_fen", "conversion"]
    {
        assert!(first.get(key).is_some(), "no {key} in {first}");
    }
    assert_eq!(first["scenario"], "scenarios/tea-evening.toml");
    assert!(first["segments"].as_array().unwrap().len() >= 5);
    let lines = std::fs::read_to_string(&a).unwrap();
    assert_eq!(lines.lines().count() as u64, first["events"].as_u64().unwrap());
    let event: serde_json::Value = serde_json::from_str(lines.lines().nth(2).unwrap()).unwrap();
    assert_eq!(event["seq"], 3);
    let other = run(&b, "6");
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_ne!(first["gmv_fen"], other["gmv_fen"]);
}

#[test]
fn a_bad_scenario_names_key_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bad.toml");
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/tea-evening.toml")).unwrap();
    std::fs::write(&scenario, text.replace("followers = 3000", "followers = -3000")).unwrap();
    let log = dir.path().join("log.jsonl");
    let out =
        zhibo().args(["sim", "--seed", "1", "--scenario"]).arg(&scenario).arg("--log").arg(&log).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("audience.followers") && err.contains("line 11"), "{err}");
    assert!(!log.exists(), "nothing starts");
}
