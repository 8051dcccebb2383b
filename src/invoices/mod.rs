//! `/api/v2/invoices`: issued with a booking's completion and with every retail sale, numbered
//! without gaps per year.

mod http;
pub mod model;
pub mod receipt;
pub mod service;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(http::list_invoices)).routes(routes!(http::get_invoice))
}
