//! `/api/v2/payments`: deposits that hold a booking's slot until paid, desk and Stripe
//! payments, refunds that never exceed the capture, and Stripe's webhooks. `fake` is a local
//! stand-in for Stripe's API (`salon fake-stripe`) for tests and demos.

pub mod fake;
pub mod gateway;
mod http;
pub mod model;
pub mod service;
pub mod webhook;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::deposit))
        .routes(routes!(http::list_payments, http::pay_invoice))
        .routes(routes!(http::get_payment))
        .routes(routes!(http::list_refunds))
        .routes(routes!(http::refund))
        .routes(routes!(http::stripe_webhook))
}
