//! The `zhibo` binary: one program, a subcommand per job.

mod bench;
mod commands;
mod config;
mod sim;

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
    /// 模拟观众：无界面播放一整场 / play a whole show to a simulated audience, headless (docs/sim.md)
    Sim {
        /// Scenario file (TOML); without it, the built-in scenarios/tea-evening.toml
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Seed of the audience: the same scenario and seed give the same show
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the summary as one JSON object
        #[arg(long)]
        json: bool,
        /// Write the event log here as JSON lines
        #[arg(long)]
        log: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// 模拟观众：2 小时、10 万名到访观众 / the simulated audience: a 2-hour show with 100,000 arriving viewers
    Sim {
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Skip the Mesa (Python) peer
        #[arg(long)]
        no_peer: bool,
        /// Live mode instead: simulated viewers attached to a real room on the wall clock
        #[arg(long)]
        live: bool,
        /// Live mode: simulated viewers to hold in the room at once
        #[arg(long, default_value_t = 10_000)]
        viewers: u32,
        /// Live mode: wall seconds measured after the crowd arrived
        #[arg(long, default_value_t = 60)]
        seconds: u32,
    },
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
    /// One load process of `bench fanout` (started by it; plan on stdin)
    #[command(hide = true)]
    FanoutLoad,
    /// 视频分发：一路 600 kbps 推流、N 个 HTTP-FLV 观众，对照 nginx-rtmp / one 600 kbps publisher, N HTTP-FLV viewers, beside nginx-rtmp
    Media {
        /// Viewers to connect (each plays the whole stream)
        #[arg(long, default_value_t = 200)]
        viewers: usize,
        /// Seconds of the measured window
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Skip the nginx-rtmp peer
        #[arg(long)]
        no_peer: bool,
        /// zhibo's `[media] flv_merge_ms` for the run (default: the setting's default)
        #[arg(long)]
        flv_merge_ms: Option<u32>,
    },
    /// One load process of `bench media` (started by it; plan on stdin)
    #[command(hide = true)]
    MediaLoad,
    /// 秒杀：K 件、N 个买家经 WebSocket 同时抢购，对照 Redis Lua / K units, N buyers over WebSockets, beside Redis with a Lua script
    FlashSale {
        /// Units on sale
        #[arg(long, default_value_t = 1_000)]
        units: u32,
        /// Buyers, each on a connection of their own
        #[arg(long, default_value_t = 50)]
        buyers: usize,
        /// Attempts kept in flight per connection
        #[arg(long, default_value_t = 1)]
        in_flight: usize,
        /// Seconds of load per server
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Skip the Redis peer
        #[arg(long)]
        no_peer: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    // a load process of `bench fanout` runs on one thread of its own
    if let Command::Bench { which: BenchCommand::FanoutLoad } = cli.command {
        return match bench::fanout::child_main() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("zhibo bench fanout-load: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Command::Bench { which: BenchCommand::MediaLoad } = cli.command {
        return match bench::media::child_main() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("zhibo bench media-load: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
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
            Command::Sim { scenario, seed, json, log } => sim::play(scenario, seed, json, log),
            Command::Bench { which: BenchCommand::Sim { live: true, viewers, seconds, json, .. } } => {
                bench::sim_live::command(viewers, seconds, json).await
            }
            Command::Bench { which: BenchCommand::Sim { json, no_peer, .. } } => sim::bench(json, !no_peer),
            Command::Bench { which: BenchCommand::Fanout { viewers, seconds, json, no_peer } } => {
                commands::bench_fanout(viewers, seconds, json, !no_peer).await
            }
            Command::Bench { which: BenchCommand::FanoutLoad } => Ok(()),
            Command::Bench { which: BenchCommand::Media { viewers, seconds, json, no_peer, flv_merge_ms } } => {
                bench::media::command(viewers, seconds, json, !no_peer, flv_merge_ms).await
            }
            Command::Bench { which: BenchCommand::MediaLoad } => Ok(()),
            Command::Bench { which: BenchCommand::FlashSale { units, buyers, in_flight, seconds, json, no_peer } } => {
                let options = bench::flash_sale::Options { units, buyers, in_flight, seconds, peer: !no_peer };
                bench::flash_sale::command(options, json).await
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
