//! Notifications: booking messages rendered from templates in the binary and sent by email
//! (SMTP) and SMS (a Twilio-compatible API), or to the `log` transport; every message is
//! recorded and listed at `/api/v2/notifications`.

mod http;
pub mod model;
pub mod service;
pub mod templates;
pub mod transport;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(http::list_notifications))
}
