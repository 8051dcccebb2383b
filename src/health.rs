//! Liveness, readiness and metrics for orchestrators and Prometheus.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the check passed.
    pub status: &'static str,
}

/// Whether the process is up (it does not touch the database).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Whether the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "The database answers", body = Health)))]
async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state.db.ping().await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(axum::Json(Health { status: "ok" }))
}

/// Prometheus metrics: `http_requests_total{method,route,status}`, the
/// `http_request_duration_seconds` histogram, `salon_jobs{status}` (queue depth, all
/// processes) and the `salon_job_duration_seconds{kind,outcome}` histogram (this process).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Depth is the database's (every status shown, 0 included); a scrape that cannot read it
    // still gets the rest.
    if let Ok(depth) = crate::jobs::store::depth(&state.db).await {
        for status in crate::jobs::store::STATUSES {
            let n = depth.iter().find(|d| d.status == status).map_or(0, |d| d.count);
            state.metrics.queue_depth.with_label_values(&[status]).set(n);
        }
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
