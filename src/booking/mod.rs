//! `/api/v1/bookings`: availability (and why a time is not available), bookings, their
//! status changes and history.

pub mod engine;
mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::availability))
        .routes(routes!(http::explain))
        .routes(routes!(http::list_bookings, http::create_booking))
        .routes(routes!(http::get_booking, http::reschedule))
        .routes(routes!(http::confirm))
        .routes(routes!(http::cancel))
        .routes(routes!(http::complete))
        .routes(routes!(http::no_show))
        .routes(routes!(http::history))
}
