//! `/api/v1/services`: categories, services, and staff-service assignments.

mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_categories, http::create_category))
        .routes(routes!(http::update_category, http::delete_category))
        .routes(routes!(http::list_services, http::create_service))
        .routes(routes!(http::get_service, http::update_service, http::delete_service))
        .routes(routes!(http::list_assignments, http::create_assignment))
        .routes(routes!(http::delete_assignment))
}
