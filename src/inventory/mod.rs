//! `/api/v2/products`, `/api/v2/inventory` and `/api/v2/services/{id}/products`: the product
//! catalog, the append-only stock ledger and its levels, low-stock and discrepancy alerts,
//! and what each service uses.

mod http;
pub mod model;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_products, http::create_product))
        .routes(routes!(http::get_product, http::update_product, http::delete_product))
        .routes(routes!(http::update_stock))
        .routes(routes!(http::levels))
        .routes(routes!(http::movements))
        .routes(routes!(http::alerts))
        .routes(routes!(http::acknowledge))
        .routes(routes!(http::get_recipe, http::set_recipe))
}
