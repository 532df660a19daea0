//! The `zhibo` binary as a newcomer uses it: demo, serve, migrate, backup,
//! --version, --help. Runs the real executable cargo built.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn zhibo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zhibo"));
    // the test's own environment must not configure the server under test
    for (key, _) in std::env::vars() {
        if key.starts_with("ZHIBO_") {
            c.env_remove(key);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

fn run(c: &mut Command) -> Output {
    c.stdin(Stdio::null()).output().expect("run zhibo")
}

/// A running `zhibo` process and what it printed before it was ready.
/// Killed if a test fails before stopping it, so no server outlives a test.
struct Running {
    child: Child,
    stopped: bool,
    printed: Vec<String>,
    url: String,
}

impl Running {
    /// Starts the command and reads its output up to the line with its URL.
    fn start(c: &mut Command) -> Running {
        let mut child = c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.find("http://") {
                url = Some(line[at..].trim().trim_end_matches('/').to_owned());
            }
            let done = line.contains("Ctrl-C") || line.contains("listening on");
            printed.push(line);
            if done {
                break;
            }
        }
        // keep draining so the process never blocks on a full pipe
        std::thread::spawn(move || for _ in lines {});
        let url = url.unwrap_or_else(|| panic!("zhibo printed no URL: {printed:?}"));
        Running { child, stopped: false, printed, url }
    }

    /// Asks the server to stop as a service manager would, and checks it
    /// stops cleanly.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        self.stopped = true;
        assert!(status.success(), "zhibo exited with {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn version_and_help_describe_the_program() {
    let out = run(zhibo().arg("--version"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), format!("zhibo {}", env!("CARGO_PKG_VERSION")));
    let help = String::from_utf8(run(zhibo().arg("--help")).stdout).unwrap();
    for sub in ["demo", "serve", "migrate", "backup"] {
        assert!(help.contains(sub), "--help lacks {sub}: {help}");
    }
}

#[tokio::test]
async fn the_demo_starts_answers_health_and_its_printed_logins_sign_in() {
    let data = tempfile::tempdir().unwrap();
    let demo = Running::start(zhibo().args(["demo", "--port", "0", "--data"]).arg(data.path()));
    let client = reqwest::Client::new();
    let health = client.get(format!("{}/healthz", demo.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // every login the demo printed signs in with the password it printed
    let password_line = demo.printed.iter().find(|l| l.contains("password:")).unwrap();
    let password = password_line.rsplit("password:").next().unwrap().trim();
    let logins: Vec<&str> = demo
        .printed
        .iter()
        .skip_while(|l| !l.contains("logins:"))
        .skip(1)
        // the login rows are the block indented under "logins:"
        .take_while(|l| l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(logins.len(), 8, "{:?}", demo.printed);
    for username in logins {
        let r = client
            .post(format!("{}/api/v1/session", demo.url))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{username} could not sign in");
    }

    // a consistent backup while it runs
    let backup = data.path().join("backup.db");
    let out = run(zhibo().args(["backup", "--data"]).arg(data.path()).arg("--to").arg(&backup));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    check_backup(&backup, 8).await;
    // a second backup never overwrites the first
    let out = run(zhibo().args(["backup", "--data"]).arg(data.path()).arg("--to").arg(&backup));
    assert!(!out.status.success());
    demo.stop();

    // running the demo again keeps what it seeded
    let again = Running::start(zhibo().args(["demo", "--port", "0", "--data"]).arg(data.path()));
    assert!(again.printed.iter().any(|l| l.contains("0 个账号 accounts, 0 个商品")), "{:?}", again.printed);
    again.stop();
}

async fn check_backup(path: &Path, accounts: usize) {
    use std::sync::Arc;
    use zhibo_store::{AccountStore, ShopStore, SqliteStore};
    let store = SqliteStore::open_without_migrating(path, Arc::new(zhibo_domain::WallClock)).await.unwrap();
    store.integrity_check().await.unwrap();
    let shop = store.first_shop().await.unwrap().expect("the backup holds the shop");
    assert_eq!(store.users_of_shop(shop.id).await.unwrap().len(), accounts);
}

#[tokio::test]
async fn serve_reads_its_config_file_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zhibo.toml");
    std::fs::write(&config, format!("[server]\nport = 0\n[data]\ndir = {:?}\n", dir.path().join("data"))).unwrap();
    let server =
        Running::start(zhibo().arg("serve").arg("--config").arg(&config).env("ZHIBO_AUTH__SESSION_HOURS", "24"));
    let r = reqwest::get(format!("{}/healthz", server.url)).await.unwrap();
    assert_eq!(r.status(), 200);
    server.stop();
    assert!(dir.path().join("data/zhibo.db").is_file());
}

#[test]
fn a_bad_config_is_a_clear_message_naming_the_key_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zhibo.toml");
    std::fs::write(&config, "[server]\nport = \"eighty\"\n").unwrap();
    let out = run(zhibo().arg("serve").arg("--config").arg(&config));
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("server.port"), "{err}");

    std::fs::write(&config, "[server]\nport = 0\n").unwrap();
    let out = run(zhibo().arg("serve").arg("--config").arg(&config).env("ZHIBO_AUTH__MAX_FAILED_SIGN_INS", "0"));
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("auth.max_failed_sign_ins"));

    let out = run(zhibo().args(["serve", "--config", "/no/such/zhibo.toml"]));
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("/no/such/zhibo.toml"));
}

#[test]
fn migrate_applies_once_and_then_reports_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(zhibo().args(["migrate", "--data"]).arg(dir.path()));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.contains("applied now: [1"), "{text}");
    let second = String::from_utf8(run(zhibo().args(["migrate", "--data"]).arg(dir.path())).stdout).unwrap();
    assert!(second.contains("up to date"), "{second}");
}

#[test]
fn backup_without_a_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(zhibo().args(["backup", "--data"]).arg(dir.path()).arg("--to").arg(dir.path().join("b.db")));
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("no database"));
}

#[test]
fn bench_pricing_prints_one_json_object_with_its_figure() {
    let out = run(zhibo().args(["bench", "pricing", "--json", "--seconds", "0.05"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the figure exists and is about a real, discounted answer; its size is
    // for BENCHMARKS.md, not for a test
    assert!(report["carts_per_s_per_core"].as_f64().unwrap() > 0.0);
    assert!(report["baseline_carts_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(
        (report["lines"].as_u64(), report["promotions"].as_u64(), report["coupons"].as_u64()),
        (Some(20), Some(10), Some(5))
    );
    assert!(report["discount_fen"].as_i64().unwrap() > 0);
    let bad = run(zhibo().args(["bench", "pricing", "--seconds", "0"]));
    assert!(!bad.status.success());
}

#[test]
fn bench_fanout_runs_a_room_and_prints_one_json_object() {
    let out = run(zhibo().args(["bench", "fanout", "--viewers", "20", "--seconds", "1", "--json", "--no-peer"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "viewers",
        "deliveries_per_s",
        "p50_ms",
        "p99_ms",
        "bytes_per_viewer",
        "peer_deliveries_per_s",
        "ratio_per_core",
    ] {
        assert!(report.get(key).is_some(), "no {key} in {report}");
    }
    assert_eq!(report["viewers"].as_u64(), Some(20));
    // comments went through the room and reached the viewers (how fast is
    // for BENCHMARKS.md, not for a test)
    assert!(report["deliveries_per_s"].as_f64().unwrap() > 0.0, "{report}");
    assert!(report["peer_deliveries_per_s"].is_null(), "--no-peer ran a peer: {report}");
    let bad = run(zhibo().args(["bench", "fanout", "--viewers", "0", "--no-peer"]));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--viewers"));
}
