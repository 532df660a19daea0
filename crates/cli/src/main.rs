//! The `zhibo` binary: one program, a subcommand per job.

mod bench;
mod commands;
mod config;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// zhibo 直播 — 开源直播电商工作室 / an open-source live-commerce studio.
#[derive(Debug, Parser)]
#[command(name = "zhibo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 演示：建库、写入演示店铺并启动 / seed a demo shop (SQLite) and start the server
    Demo {
        /// Port to listen on (127.0.0.1)
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Folder for the database and media
        #[arg(long, default_value = "./zhibo-data")]
        data: PathBuf,
    },
    /// 按配置文件启动服务 / start the server from a config file (keys overridable by ZHIBO_SECTION__KEY)
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// 执行数据库迁移 / apply pending database migrations and list them
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder of the database (overrides the config)
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// 性能基准 / benchmarks for BENCHMARKS.md (each measures a peer or baseline in the same run)
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// 在线备份数据库 / write a consistent copy of the database, also while the server runs
    Backup {
        /// The new file to write (must not exist)
        #[arg(long)]
        to: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder of the database (overrides the config)
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// 定价引擎：20行购物车、10个促销、5张券 / the pricing engine: 20 lines, 10 promotions, 5 coupons
    Pricing {
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Seconds per measurement
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// 直播间扇出：N 个观众、每秒 500 评论 2000 点赞，对照 npm ws / one room, N viewers, 500 comments/s and 2,000 likes/s, beside an npm `ws` peer
    Fanout {
        /// WebSocket viewers to connect
        #[arg(long, default_value_t = 1_000)]
        viewers: usize,
        /// Seconds of measured load (after a 0.5 s warm-up)
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Skip the Node.js `ws` peer
        #[arg(long)]
        no_peer: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zhibo: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo { port, data } => commands::demo(port, data).await,
            Command::Serve { config } => commands::serve(config).await,
            Command::Migrate { config, data } => commands::migrate(config, data).await,
            Command::Backup { to, config, data } => commands::backup(to, config, data).await,
            Command::Bench { which: BenchCommand::Pricing { json, seconds } } => commands::bench_pricing(json, seconds),
            Command::Bench { which: BenchCommand::Fanout { viewers, seconds, json, no_peer } } => {
                commands::bench_fanout(viewers, seconds, json, !no_peer).await
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zhibo: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
