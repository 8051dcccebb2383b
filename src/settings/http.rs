use axum::extract::State;

use super::model::{SettingsView, UpdateSettingsRequest};
use super::service;
use crate::auth::{Admin, RequireRole};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;

/// The salon's settings. Public: booking pages need the time zone and currency.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, description = "The settings", body = SettingsView)))]
#[tracing::instrument(skip_all)]
pub async fn get_settings(State(state): State<AppState>) -> ApiResult<axum::Json<SettingsView>> {
    Ok(axum::Json(service::get(&state.db).await?.into()))
}

/// Change any subset of the settings. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = UpdateSettingsRequest,
    responses((status = 200, description = "The updated settings", body = SettingsView)))]
#[tracing::instrument(skip_all)]
pub async fn update_settings(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Json(req): Json<UpdateSettingsRequest>,
) -> ApiResult<axum::Json<SettingsView>> {
    Ok(axum::Json(service::update(&state.db, req).await?.into()))
}
