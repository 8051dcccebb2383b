//! `/api/v1/staff`: staff profiles, weekly working hours and time off.

mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_staff, http::create_staff))
        .routes(routes!(http::get_staff, http::update_staff, http::delete_staff))
        .routes(routes!(http::get_schedule, http::put_schedule))
        .routes(routes!(http::list_time_off, http::add_time_off))
        .routes(routes!(http::delete_time_off))
}
