//! `/api/v1/users`: registration, sessions, profiles and account administration.

mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::register))
        .routes(routes!(http::login))
        .routes(routes!(http::refresh))
        .routes(routes!(http::logout))
        .routes(routes!(http::get_profile, http::update_profile))
        .routes(routes!(http::list_users))
        .routes(routes!(http::update_user))
}
