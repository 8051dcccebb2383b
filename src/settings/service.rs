//! Reading and changing the salon's settings.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, IntoActiveModel};

use super::model::UpdateSettingsRequest;
use super::store;
use crate::entity::settings;
use crate::error::ApiResult;

/// # Errors
/// Database failures only.
pub async fn get(db: &DatabaseConnection) -> ApiResult<settings::Model> {
    Ok(store::get(db).await?)
}

/// Applies the given fields; the request type has already validated each of them.
///
/// # Errors
/// Database failures only.
pub async fn update(db: &DatabaseConnection, req: UpdateSettingsRequest) -> ApiResult<settings::Model> {
    let mut row = store::get(db).await?.into_active_model();
    if let Some(v) = req.name {
        row.name = Set(v.trim().to_owned());
    }
    if let Some(v) = req.timezone {
        row.timezone = Set(v);
    }
    if let Some(v) = req.currency {
        row.currency = Set(v);
    }
    if let Some(v) = req.slot_interval_minutes {
        row.slot_interval_minutes = Set(v);
    }
    if let Some(v) = req.min_lead_minutes {
        row.min_lead_minutes = Set(v);
    }
    if let Some(v) = req.max_advance_days {
        row.max_advance_days = Set(v);
    }
    if let Some(v) = req.cancellation_window_hours {
        row.cancellation_window_hours = Set(v);
    }
    if let Some(v) = req.require_approval {
        row.require_approval = Set(v);
    }
    if let Some(v) = req.reminder_hours_before {
        row.reminder_hours_before = Set(v);
    }
    if let Some(v) = req.tax_rate_bp {
        row.tax_rate_bp = Set(v);
    }
    if let Some(v) = req.deposit_hold_minutes {
        row.deposit_hold_minutes = Set(v);
    }
    if let Some(v) = req.prices_include_tax {
        row.prices_include_tax = Set(v);
    }
    row.updated_at = Set(Utc::now());
    Ok(store::update(db, row).await?)
}
