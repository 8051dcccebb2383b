//! `/api/v1/settings`: the salon's name, time zone, currency and booking rules.

mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(http::get_settings, http::update_settings))
}
