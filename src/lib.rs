//! salon: a salon management backend. `app(state)` is the whole HTTP surface, testable
//! without a port; `main.rs` only wires configuration, the database and the listener.

pub mod auth;
pub mod booking;
pub mod cache;
pub mod catalog;
pub mod config;
pub mod dataset;
pub mod db;
pub mod demo;
pub mod docs;
pub mod entity;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod inventory;
pub mod invoices;
pub mod jobs;
pub mod landing;
pub mod model;
pub mod notify;
pub mod pagination;
pub mod payments;
pub mod recommend;
pub mod sales;
pub mod settings;
pub mod staff;
pub mod state;
pub mod telemetry;
pub mod users;
pub mod voice;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, Problem, problem_response};
use crate::state::AppState;

/// Request bodies larger than this are a 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route, documented: each area contributes its own router.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(landing::router())
        .merge(health::router())
        .merge(users::router())
        .merge(settings::router())
        .merge(staff::router())
        .merge(catalog::router())
        .merge(booking::router())
        .merge(jobs::router())
        .merge(notify::router())
        .merge(inventory::router())
        .merge(sales::router())
        .merge(payments::router())
        .merge(invoices::router())
        .merge(recommend::router())
        .merge(voice::router())
}

/// The OpenAPI document of [`api`], as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    docs::finish(api().into_openapi())
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (routes, spec) = api().split_for_parts();
    let inner = routes
        .merge(docs::router(docs::finish(spec)))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), telemetry::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .with_state(state);

    // `/api/v1/staff/` means `/api/v1/staff`. Swagger UI's own `/docs/` is left alone.
    let normalized = inner.map_request(|mut req: Request| {
        let path = req.uri().path();
        if path.len() > 1 && path.ends_with('/') && !path.starts_with("/docs") {
            let trimmed = path.trim_end_matches('/');
            let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
            let rebuilt = match req.uri().query() {
                Some(q) => format!("{trimmed}?{q}"),
                None => trimmed.to_owned(),
            };
            if let Ok(uri) = rebuilt.parse::<Uri>() {
                *req.uri_mut() = uri;
            }
        }
        req
    });

    Router::new()
        .fallback_service(normalized)
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| panic_response()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// A panic is a bug: log it (CatchPanic did), answer with a bare problem, never a trace.
fn panic_response() -> Response {
    let problem = Problem {
        kind: "/problems/internal".into(),
        title: "Internal server error".into(),
        status: 500,
        detail: "an unexpected error occurred".into(),
        errors: None,
        reasons: None,
    };
    problem_response(StatusCode::INTERNAL_SERVER_ERROR, &problem).into_response()
}
