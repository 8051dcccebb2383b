//! `/api/v2/recommendations`: the next service each client is due for, and what else they
//! will like, from a model a background job computes and stores (see `engine`).

pub mod engine;
pub mod eval;
mod http;
pub mod model;
pub mod service;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::for_client))
        .routes(routes!(http::due))
        .routes(routes!(http::refresh))
}
