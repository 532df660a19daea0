//! `zhibo sim` and `zhibo bench sim`: the simulated audience from the
//! command line. This file does the I/O the sim crate may not: reading the
//! scenario file, writing the event log as JSON lines, printing.

use anyhow::Context;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use zhibo_sim::scenario::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME};
use zhibo_sim::{Report, RunStats};

#[derive(Debug, Serialize)]
struct SimOutput<'a> {
    scenario: &'a str,
    title: &'a str,
    seed: u64,
    events: u64,
    arrivals: usize,
    #[serde(flatten)]
    report: &'a Report,
}

/// Plays a scenario headless and prints its summary.
pub fn play(scenario: Option<PathBuf>, seed: u64, json: bool, log: Option<PathBuf>) -> anyhow::Result<()> {
    let (name, text) = match &scenario {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .with_context(|| format!("读取场景文件失败 / cannot read the scenario {}", path.display()))?,
        ),
        None => (DEFAULT_SCENARIO_NAME.to_owned(), DEFAULT_SCENARIO.to_owned()),
    };
    let scenario = zhibo_sim::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut writer = match &log {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("无法写入日志 / cannot create the log {}", path.display()))?,
        )),
        None => None,
    };
    let mut failed: Option<std::io::Error> = None;
    let (report, stats) = zhibo_sim::play_scenario(&scenario, seed, &mut |event| {
        if let (Some(w), None) = (writer.as_mut(), failed.as_ref()) {
            let line = serde_json::to_vec(event).map_err(std::io::Error::other);
            if let Err(e) = line.and_then(|mut l| {
                l.push(b'\n');
                w.write_all(&l)
            }) {
                failed = Some(e);
            }
        }
    });
    if let Some(e) = failed {
        return Err(e).context("writing the event log");
    }
    if let Some(mut w) = writer {
        w.flush().context("writing the event log")?;
    }
    if json {
        let out = SimOutput {
            scenario: &name,
            title: &scenario.title,
            seed,
            events: stats.events,
            arrivals: stats.arrivals,
            report: &report,
        };
        println!("{}", serde_json::to_string(&out)?);
    } else {
        print_human(&name, &scenario.title, seed, &stats, &report);
        if let Some(path) = &log {
            println!("  日志 / log: {} ({} events, JSON lines)", path.display(), stats.events);
        }
    }
    Ok(())
}

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn print_human(name: &str, title: &str, seed: u64, stats: &RunStats, r: &Report) {
    println!("模拟直播 / simulated show: {title}  ({name}, seed {seed})");
    println!("  时长 / minutes streamed:        {}", r.minutes_streamed);
    println!("  观看人次 PV / 人数 UV:          {} / {}", r.pv, r.uv);
    println!("  最高在线 / peak online:         {}", r.peak_online);
    println!("  平均在线 / average online:      {}", r.average_online);
    println!("  人均观看 / average watch:       {} s", r.average_watch_s);
    println!(
        "  评论 / comments:                {} (questions {}, answered {}; muted {})",
        r.comments, r.questions, r.questions_answered, r.muted_comments
    );
    println!("  点赞 / likes:                   {}   分享 / shares: {}", r.likes, r.shares);
    println!("  新增关注 / new followers:       {} (转粉率 {})", r.new_followers, pct(r.follow_rate));
    println!("  互动率 / interaction rate:      {}", pct(r.interaction_rate));
    println!("  商品曝光率 / exposure:          {}   点击率 CTR: {}", pct(r.product_exposure_rate), pct(r.product_ctr));
    println!(
        "  点击-下单 / click→order:        {}   下单-成交 / order→paid: {}",
        pct(r.click_to_order),
        pct(r.order_to_pay)
    );
    println!(
        "  订单 / orders:                  {} placed, {} paid, {} buyers, {} items",
        r.orders_placed, r.orders_paid, r.paying_buyers, r.items_sold
    );
    println!("  成交额 GMV:                     {}", yuan(r.gmv_fen));
    println!("  整体转化率 / conversion:        {} (paying buyers ÷ UV)", pct(r.conversion));
    println!(
        "  UV价值 / GMV per UV:            {}   GPM: {}   客单价: {}",
        yuan(r.uv_value_fen),
        yuan(r.gpm_fen),
        yuan(r.average_order_value_fen)
    );
    if r.paid_traffic_spend_fen > 0 {
        println!("  投流 / paid traffic:            {} spent, ROI {}", yuan(r.paid_traffic_spend_fen), r.roi);
    }
    println!("  推荐流量最高档 / top feed tier: {}", r.top_feed_tier);
    println!("  来源 / by source:");
    for s in &r.by_source {
        println!(
            "    {:<9} UV {:>6}  watch {:>6.1} s  buyers {:>5}  conversion {}",
            s.source,
            s.uv,
            s.average_watch_s,
            s.paying_buyers,
            pct(s.conversion)
        );
    }
    println!("  环节 / by segment:");
    for s in &r.segments {
        println!(
            "    {:<12} {:>5.1} min  avg online {:>7.1}  peak {:>6}  comments {:>5}  clicks {:>5}  orders {:>4}  GMV {}  {}",
            s.kind,
            s.minutes,
            s.average_online,
            s.peak_online,
            s.comments,
            s.product_clicks,
            s.orders_paid,
            yuan(s.gmv_fen),
            s.title
        );
    }
    println!("  事件 / events: {}, arrivals {}, agent-seconds {}", stats.events, stats.arrivals, stats.agent_steps);
}

/// `zhibo bench sim`.
pub fn bench(json: bool, with_peer: bool) -> anyhow::Result<()> {
    let report = crate::bench::sim::run(with_peer)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        crate::bench::sim::print_human(&report);
    }
    Ok(())
}
