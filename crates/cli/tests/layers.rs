//! The architecture's one-way arrows, checked from the crates' manifests:
//! each layer may depend only on the layers below it, and the domain on
//! nothing that does I/O. A new crate must be added to `LAYERS` to pass.

use std::collections::BTreeMap;
use std::path::Path;

/// Layers bottom-up, by package name, with the zhibo crates each may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("zhibo-domain", &[]),
    ("zhibo-sheets", &[]),
    ("zhibo-store", &["zhibo-domain"]),
    ("zhibo-live", &["zhibo-domain", "zhibo-store"]),
    ("zhibo-media", &["zhibo-domain", "zhibo-store"]),
    ("zhibo-sim", &["zhibo-domain"]),
    ("zhibo-web", &["zhibo-domain", "zhibo-store", "zhibo-sheets", "zhibo-live", "zhibo-media", "zhibo-sim"]),
    ("zhibo", &["zhibo-domain", "zhibo-store", "zhibo-web", "zhibo-sheets", "zhibo-live", "zhibo-sim"]),
];

/// Crates that mean I/O, async or a framework: never in the domain.
const NOT_IN_DOMAIN: &[&str] = &["tokio", "sqlx", "axum", "reqwest", "hyper", "async-trait", "rand", "tracing"];

fn manifests() -> BTreeMap<String, toml::Table> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(crates).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let table: toml::Table = text.parse().unwrap();
            let name = table["package"]["name"].as_str().unwrap().to_owned();
            found.insert(name, table);
        }
    }
    found
}

fn deps(table: &toml::Table, section: &str) -> Vec<String> {
    table.get(section).and_then(|d| d.as_table()).map(|d| d.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let manifests = manifests();
    let known: Vec<&str> = LAYERS.iter().map(|(n, _)| *n).collect();
    for name in manifests.keys() {
        assert!(known.contains(&name.as_str()), "crate {name} is not placed in a layer (tests/layers.rs)");
    }
    for (name, allowed) in LAYERS {
        let table = &manifests[*name];
        for dep in deps(table, "dependencies").into_iter().filter(|d| d.starts_with("zhibo")) {
            assert!(allowed.contains(&dep.as_str()), "{name} depends on {dep}, against the layering");
        }
    }
}

#[test]
fn the_domain_does_no_io() {
    let manifests = manifests();
    let domain = deps(&manifests["zhibo-domain"], "dependencies");
    for dep in domain {
        assert!(!NOT_IN_DOMAIN.contains(&dep.as_str()), "zhibo-domain depends on {dep}");
    }
}

/// Engine time comes from the Clock. Only the wall clock itself reads the
/// system time; only request-latency metrics read the monotonic timer
/// (durations for Prometheus, never a time that enters the event log), and
/// only the benchmark runner times its runs.
#[test]
fn only_the_clock_reads_the_system_time() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let allowed = [
        ("SystemTime::now", "domain/src/clock.rs"),
        ("Instant::now", "web/src/metrics.rs"),
        ("Instant::now", "cli/src/bench/mod.rs"),
        // the flash-sale bench times each attempt's answer
        ("Instant::now", "cli/src/bench/flash_sale.rs"),
        // the fanout bench's load processes stamp and time comments on the
        // machine's monotonic clock, which they all share
        ("clock_gettime", "cli/src/bench/fanout/sys.rs"),
    ];
    let mut offenders = Vec::new();
    let mut stack = vec![crates.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(crates).unwrap().to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                // tests may time things (and launch browsers); only product code is held to this
                if !rel.ends_with("/tests") && !rel.contains("target") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || !rel.contains("/src/") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in ["SystemTime::now", "Instant::now", "Utc::now", "Local::now", "clock_gettime"] {
                if text.contains(call) && !allowed.contains(&(call, rel.as_str())) {
                    offenders.push(format!("{rel}: {call}"));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "read time from the Clock instead: {offenders:?}");
}
