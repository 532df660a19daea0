//! What the fanout bench asks of the operating system: the open-files
//! limit (raised to its hard ceiling, since every viewer is a socket), the
//! open descriptors and resident memory of a process (from /proc), and a
//! clock every process on the machine shares (`CLOCK_MONOTONIC`), so a
//! comment stamped by one load process can be timed by another.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use rustix::time::{ClockId, clock_gettime};

/// Raises this process's soft limit on open files to the hard limit and
/// returns the limit now in force (`None`: unlimited).
pub fn raise_open_files_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%error, "could not raise the open-files limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Descriptors a process holds open right now (`self` or a pid).
pub fn open_files(pid: &str) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// Resident memory of a process (`self` or a pid), from /proc.
pub fn rss_bytes(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Microseconds on the machine's monotonic clock: the same clock in every
/// process, never stepped, so send and receive times from different load
/// processes subtract honestly.
pub fn monotonic_us() -> u64 {
    let t = clock_gettime(ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000 + t.tv_nsec as u64 / 1_000
}

/// CPU time a process has used so far, user and system, in seconds
/// (`self` or a pid), from /proc.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name may hold spaces; the fields after it do not
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
}
