//! `/api/v2/voice`: booking in plain words, offline. `nlu` turns a text into an intent and
//! slots against the live catalog and staff; `flow` keeps a conversation's memory between
//! turns; `service` acts through the booking rules themselves; `dialogflow` puts the same
//! conversation behind Dialogflow's webhook format.

mod dialogflow;

pub mod flow;
mod http;
pub mod model;
pub mod nlu;
pub mod service;
pub mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::parse))
        .routes(routes!(http::booking))
        .routes(routes!(http::dialogflow))
        .routes(routes!(http::list_synonyms, http::add_synonym))
        .routes(routes!(http::remove_synonym))
}
