//! What each subcommand does. Each opens the store itself, so `backup` and
//! `migrate` work beside a running server.

use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use zhibo_domain::{Clock, WallClock};
use zhibo_store::SqliteStore;
use zhibo_web::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, seed};
use zhibo_web::{Application, Settings};

use crate::config;

pub async fn demo(port: u16, data: PathBuf) -> anyhow::Result<()> {
    let mut settings = Settings::default();
    settings.server.port = port;
    settings.data.dir = data;
    // A newcomer sees a lively room at once: simulated viewers, labelled so.
    settings.sim.demo_audience = true;
    settings.validate()?;
    let store = open_store(&settings).await?;
    let seeded = seed(&store).await.map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
    let app = Application::build(settings.clone(), Arc::new(store), clock()).await?;
    let shutdown = shutdown_signal();
    let url = format!("http://{}", app.local_addr());
    println!("zhibo {} 演示已启动 / demo running", env!("CARGO_PKG_VERSION"));
    println!("  地址 / URL:      {url}/");
    println!("  数据 / data:     {}", settings.database_path().display());
    println!(
        "  新建 / seeded:   {} 个账号 accounts, {} 个商品 products (already present ones kept)",
        seeded.accounts_created, seeded.products_created
    );
    println!("  密码 / password: {DEMO_PASSWORD}");
    println!("  登录 / logins:");
    for (username, display_name, role) in DEMO_ACCOUNTS {
        println!("    {username:<10} {role:<10} {display_name}", role = role.as_str());
    }
    start_audience(&app).await;
    println!("  按 Ctrl-C 停止 / press Ctrl-C to stop");
    app.run_until(shutdown).await.context("server stopped with an error")
}

/// The demo show's simulated audience when `[sim] demo_audience` is on,
/// stepped once a wall-clock second. A failure only costs the audience.
async fn start_audience(app: &Application) {
    use zhibo_web::sim_audience::{Pace, pages::start_configured};
    match start_configured(app.state(), Pace::Wall(std::time::Duration::from_secs(1))).await {
        Ok(Some(status)) => println!(
            "  模拟观众 / simulated audience: {} (seed {}); /live/shows/…/audience 可暂停 / pause it there",
            status.scenario, status.seed
        ),
        Ok(None) => {}
        Err(error) => eprintln!("模拟观众未启动 / simulated audience not started: {error}"),
    }
}

pub async fn serve(config_file: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = config::load(config_file.as_deref())?;
    let store = open_store(&settings).await?;
    let app = Application::build(settings, Arc::new(store), clock()).await?;
    start_audience(&app).await;
    let shutdown = shutdown_signal();
    tracing::info!(address = %app.local_addr(), "zhibo listening");
    println!("zhibo listening on http://{}/", app.local_addr());
    app.run_until(shutdown).await.context("server stopped with an error")
}

pub async fn migrate(config_file: Option<PathBuf>, data: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = settings_with_data(config_file, data)?;
    std::fs::create_dir_all(&settings.data.dir)
        .with_context(|| format!("creating the data folder {}", settings.data.dir.display()))?;
    let path = settings.database_path();
    let store = SqliteStore::open_without_migrating(&path, clock())
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let applied = store.migrate().await.context("applying migrations")?;
    let all = store.applied_migrations().await?;
    println!("数据库 / database: {}", path.display());
    if applied.is_empty() {
        println!("已是最新 / up to date");
    } else {
        println!("本次应用 / applied now: {applied:?}");
    }
    println!("全部已应用 / all applied: {all:?}");
    Ok(())
}

pub async fn backup(to: PathBuf, config_file: Option<PathBuf>, data: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = settings_with_data(config_file, data)?;
    let path = settings.database_path();
    if !path.is_file() {
        anyhow::bail!("没有数据库 / no database at {} (run `zhibo demo` or `zhibo migrate` first)", path.display());
    }
    let store = SqliteStore::open_without_migrating(&path, clock())
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    use zhibo_store::AdminStore;
    store.backup_to(&to).await.with_context(|| format!("backing up to {}", to.display()))?;
    println!("已备份 / backed up {} → {}", path.display(), to.display());
    Ok(())
}

pub fn bench_pricing(json: bool, seconds: f64) -> anyhow::Result<()> {
    if !(0.05..=600.0).contains(&seconds) {
        anyhow::bail!("--seconds must be between 0.05 and 600");
    }
    let report = crate::bench::pricing::run(seconds)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        crate::bench::pricing::print_human(&report);
    }
    Ok(())
}

pub async fn bench_fanout(viewers: usize, seconds: f64, json: bool, with_peer: bool) -> anyhow::Result<()> {
    if !(1..=100_000).contains(&viewers) {
        anyhow::bail!("--viewers 须在 1 到 100000 之间 / --viewers must be between 1 and 100000");
    }
    if !(0.5..=600.0).contains(&seconds) {
        anyhow::bail!("--seconds 须在 0.5 到 600 之间 / --seconds must be between 0.5 and 600");
    }
    let report = crate::bench::fanout::run(viewers, seconds, with_peer).await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        crate::bench::fanout::print_human(&report);
    }
    Ok(())
}

fn settings_with_data(config_file: Option<PathBuf>, data: Option<PathBuf>) -> anyhow::Result<Settings> {
    let mut settings = config::load(config_file.as_deref())?;
    if let Some(dir) = data {
        settings.data.dir = dir;
    }
    settings.validate()?;
    Ok(settings)
}

async fn open_store(settings: &Settings) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(&settings.data.dir)
        .with_context(|| format!("creating the data folder {}", settings.data.dir.display()))?;
    let path = settings.database_path();
    SqliteStore::open(&path, clock()).await.with_context(|| format!("opening the database {}", path.display()))
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(WallClock)
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is
/// called, not when it is first polled: call it before announcing that the
/// server is ready, or a service manager's stop could arrive in between and
/// kill the process without a clean shutdown.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = interrupt => {}, _ = terminate => {} }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        println!("正在停止 / shutting down");
    }
}
