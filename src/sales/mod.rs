//! `/api/v2/sales`: retail sales at the front desk (all or nothing against the stock ledger,
//! with idempotency keys) and returns.

mod http;
pub mod model;
pub mod service;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::create_sale))
        .routes(routes!(http::list_sales))
        .routes(routes!(http::get_sale))
        .routes(routes!(http::return_items))
}
