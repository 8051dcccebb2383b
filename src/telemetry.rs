//! Logs (`RUST_LOG`), request metrics for Prometheus, and the request id on every response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tracing_subscriber::EnvFilter;

use crate::state::AppState;

/// `RUST_LOG` decides the level (default `info`); `SALON_LOG_FORMAT=json` switches to JSON lines.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if std::env::var("SALON_LOG_FORMAT").is_ok_and(|f| f == "json") {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// Per-process metrics; each app instance has its own registry (no global state), so tests
/// can run many apps in one process.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    jobs: HistogramVec,
    /// Set from the database on every scrape (the queue is shared by all processes).
    pub queue_depth: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method and route")
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
            &["method", "route"],
        )
        .expect("static metric definition");
        let jobs = HistogramVec::new(
            HistogramOpts::new("salon_job_duration_seconds", "Background job run time by kind and outcome")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0]),
            &["kind", "outcome"],
        )
        .expect("static metric definition");
        let queue_depth = IntGaugeVec::new(
            Opts::new("salon_jobs", "Jobs in the queue by status (all processes)"),
            &["status"],
        )
        .expect("static metric definition");
        registry.register(Box::new(requests.clone())).expect("unique metric");
        registry.register(Box::new(latency.clone())).expect("unique metric");
        registry.register(Box::new(jobs.clone())).expect("unique metric");
        registry.register(Box::new(queue_depth.clone())).expect("unique metric");
        Self { registry, requests, latency, jobs, queue_depth }
    }

    /// Records one job run (of this process's workers).
    pub fn observe_job(&self, kind: &str, outcome: &str, took: std::time::Duration) {
        self.jobs.with_label_values(&[kind, outcome]).observe(took.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts and times every request by its route template (not the raw path, which would
/// make one series per id).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    state.metrics.requests.with_label_values(&[&method, &route, &status]).inc();
    state.metrics.latency.with_label_values(&[&method, &route]).observe(started.elapsed().as_secs_f64());
    response
}
