//! The media bench's peer: nginx with the RTMP module (Debian's
//! `nginx` + `libnginx-mod-rtmp`), started with a generated configuration
//! on a free port in a temporary folder, in the foreground as one process
//! (`master_process off`), so its pid is the one whose CPU and memory are
//! read; stopped (killed) when dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

const NGINX: [&str; 2] = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"];
const MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
pub const INSTALL: &str = "apt-get install -y nginx libnginx-mod-rtmp";

pub struct Nginx {
    child: Child,
    pub pid: u32,
    pub port: u16,
    pub version: String,
    _dir: tempfile::TempDir,
}

/// Starts nginx-rtmp for `viewers` players. `Err` says why in words a
/// reader can act on (it becomes the report's `peer_error`).
pub async fn start(viewers: usize) -> Result<Nginx, String> {
    let binary =
        NGINX.iter().find(|p| Path::new(p).exists()).ok_or_else(|| format!("nginx is not installed ({INSTALL})"))?;
    if !Path::new(MODULE).exists() {
        return Err(format!("nginx's RTMP module {MODULE} is missing ({INSTALL})"));
    }
    let version = std::process::Command::new(binary)
        .arg("-v")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().trim_start_matches("nginx version: ").to_owned())
        .unwrap_or_default();
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary folder for nginx: {e}"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("a free port for nginx: {e}"))?
        .port();
    let d = dir.path().display();
    let connections = viewers + 512;
    let config = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\nworker_rlimit_nofile {files};\n\
         error_log {d}/error.log warn;\npid {d}/nginx.pid;\nload_module {MODULE};\n\
         events {{ worker_connections {connections}; }}\n\
         rtmp {{\n  server {{\n    listen 127.0.0.1:{port};\n    chunk_size 4096;\n\
         \x20   application live {{ live on; record off; }}\n  }}\n}}\n",
        files = connections * 2,
    );
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, config).map_err(|e| format!("writing nginx.conf: {e}"))?;
    let child = Command::new(binary)
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting {binary}: {e}"))?;
    let pid = child.id().ok_or("nginx exited at once")?;
    let mut nginx = Nginx { child, pid, port, version, _dir: dir };
    // it listens when a connection is accepted; give up after 10 s
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(nginx);
        }
        if let Ok(Some(status)) = nginx.child.try_wait() {
            let log = std::fs::read_to_string(nginx._dir.path().join("error.log")).unwrap_or_default();
            return Err(format!("nginx stopped ({status}): {}", log.trim()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("nginx did not listen on port {port} within 10 s"))
}

impl Nginx {
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
