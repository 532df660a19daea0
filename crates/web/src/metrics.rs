//! `/metrics` in Prometheus' text format, and the request counters behind it.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The process has one metrics recorder; several servers in one test
/// process share it.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program);
        // then our counters go there and /metrics shows what we render.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn init() {
    handle();
}

pub async fn render() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle().render())
        .into_response()
}

/// Middleware: counts requests by route and status, and times them.
pub async fn track(request: Request, next: Next) -> Response {
    // The route pattern, not the raw path, so ids do not explode the labels.
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    // A duration for the latency histogram only; engine time comes from the Clock.
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("zhibo_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("zhibo_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
