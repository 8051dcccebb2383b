//! Staff rules: one-call creation (account + profile), who may edit what, deactivation that
//! keeps history, and the weekly schedule and time off.

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, DatabaseConnection, IntoActiveModel, TransactionTrait};
use uuid::Uuid;

use super::model::{
    CreateStaffRequest, CreatedStaffView, ScheduleRequest, ScheduleView, StaffListQuery, StaffView,
    TimeOffQuery, TimeOffRequest, UpdateStaffRequest, parse_schedule,
};
use super::store;
use crate::auth::{CurrentUser, Role, active_filter, is_admin};
use crate::entity::{staff, staff_time_off};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, Window, fetch};
use crate::users::model::Email;
use crate::users::service::{NewUser, create_user};
use crate::users::store as users_store;

/// Views for a page of profiles: service ids and (for admins) contact details, each in one
/// query for the whole page.
async fn views(db: &DatabaseConnection, rows: Vec<staff::Model>, admin: bool) -> ApiResult<Vec<StaffView>> {
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let mut services = store::service_ids(db, &ids, !admin).await?;
    let mut users = if admin {
        store::users(db, &rows.iter().map(|s| s.user_id).collect::<Vec<_>>()).await?
    } else {
        Default::default()
    };
    Ok(rows
        .into_iter()
        .map(|s| {
            let service_ids = services.remove(&s.id).unwrap_or_default();
            let user = users.remove(&s.user_id);
            StaffView::new(s, service_ids, user)
        })
        .collect())
}

async fn view(db: &DatabaseConnection, row: staff::Model, admin: bool) -> ApiResult<StaffView> {
    Ok(views(db, vec![row], admin).await?.remove(0))
}

/// # Errors
/// Database failures only.
pub async fn list(
    db: &DatabaseConnection,
    caller: Option<&CurrentUser>,
    q: StaffListQuery,
) -> ApiResult<Page<StaffView>> {
    let window = Window::new(q.limit, q.offset);
    let Some(active) = active_filter(caller, q.active) else {
        return Ok(window.page(Vec::new(), 0));
    };
    let page = fetch(db, store::list(active, q.service_id), window).await?;
    let items = views(db, page.items, is_admin(caller)).await?;
    Ok(window.page(items, page.total))
}

/// A profile as the caller may see it: deactivated ones only for admins.
async fn visible(db: &DatabaseConnection, caller: Option<&CurrentUser>, id: Uuid) -> ApiResult<staff::Model> {
    store::find(db, id)
        .await?
        .filter(|s| s.is_active || is_admin(caller))
        .ok_or(ApiError::NotFound("staff member"))
}

/// # Errors
/// `NotFound` (also for a deactivated profile, unless the caller is an admin).
pub async fn get(db: &DatabaseConnection, caller: Option<&CurrentUser>, id: Uuid) -> ApiResult<StaffView> {
    let row = visible(db, caller, id).await?;
    view(db, row, is_admin(caller)).await
}

/// Creates the account (role staff) and the profile together: both or neither.
///
/// # Errors
/// `email-taken` (409).
pub async fn create(db: &DatabaseConnection, req: CreateStaffRequest) -> ApiResult<CreatedStaffView> {
    let generated = req.password.is_none().then(generate_password);
    let password = req.password.or_else(|| generated.clone()).unwrap_or_default();
    let full_name = req.full_name.trim().to_owned();
    let display_name = req.display_name.map(|d| d.trim().to_owned()).unwrap_or_else(|| full_name.clone());
    let txn = db.begin().await?;
    let user = create_user(
        &txn,
        NewUser {
            email: Email::parse(&req.email),
            password,
            full_name,
            phone: req.phone.map(|p| p.trim().to_owned()),
            role: Role::Staff,
        },
    )
    .await?;
    let now = Utc::now();
    let row = store::insert(
        &txn,
        staff::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            display_name: Set(display_name),
            bio: Set(req.bio),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedStaffView { staff: StaffView::new(row, Vec::new(), Some(user)), initial_password: generated })
}

/// Admins change anything; a staff member changes only the bio of their own profile.
///
/// # Errors
/// `NotFound`; `Forbidden` for another's profile or a field other than `bio`.
pub async fn update(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    req: UpdateStaffRequest,
) -> ApiResult<StaffView> {
    let admin = caller.is(Role::Admin);
    let row = store::find(db, id).await?.ok_or(ApiError::NotFound("staff member"))?;
    if !admin {
        if row.user_id != caller.id {
            return Err(ApiError::Forbidden("staff members may only edit their own profile"));
        }
        if !req.admin_fields().is_empty() {
            return Err(ApiError::Forbidden("staff members may only change their own bio"));
        }
    }
    if req.is_active == Some(false) && crate::booking::service::has_future_bookings(db, row.id).await? {
        return Err(ApiError::conflict(
            "staff-has-bookings",
            "this staff member holds future bookings; reschedule or cancel them first",
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut profile = row.clone().into_active_model();
    if let Some(name) = &req.display_name {
        profile.display_name = Set(name.trim().to_owned());
    }
    if let Some(bio) = req.bio {
        profile.bio = Set(bio);
    }
    if let Some(active) = req.is_active {
        profile.is_active = Set(active);
    }
    profile.updated_at = Set(now);
    let updated = store::update(&txn, profile).await?;
    if req.full_name.is_some() || req.phone.is_some() || req.is_active.is_some() {
        let user =
            users_store::find_by_id(&txn, row.user_id).await?.ok_or(ApiError::NotFound("staff account"))?;
        let mut account = user.into_active_model();
        if let Some(name) = req.full_name {
            account.full_name = Set(name.trim().to_owned());
        }
        if let Some(phone) = req.phone {
            account.phone = Set(phone.map(|p| p.trim().to_owned()));
        }
        if let Some(active) = req.is_active {
            account.is_active = Set(active);
            if !active {
                users_store::revoke_all_for_user(&txn, row.user_id, now).await?;
            }
        }
        account.updated_at = Set(now);
        users_store::update(&txn, account).await?;
    }
    txn.commit().await?;
    view(db, updated, admin).await
}

/// Deactivates the profile and the account (history stays; public lists stop showing them;
/// their tokens stop working).
///
/// # Errors
/// `NotFound`.
pub async fn deactivate(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<()> {
    let req = UpdateStaffRequest {
        display_name: None,
        full_name: None,
        bio: None,
        phone: None,
        is_active: Some(false),
    };
    update(db, caller, id, req).await?;
    Ok(())
}

/// Admins manage every staff member; a staff member manages their own schedule and time off.
async fn managed(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<staff::Model> {
    let row = store::find(db, id).await?.ok_or(ApiError::NotFound("staff member"))?;
    if caller.is(Role::Admin) || row.user_id == caller.id {
        Ok(row)
    } else {
        Err(ApiError::Forbidden("only admins and the staff member themself may do this"))
    }
}

/// # Errors
/// `NotFound` (deactivated profiles only for admins).
pub async fn schedule(
    db: &DatabaseConnection,
    caller: Option<&CurrentUser>,
    id: Uuid,
) -> ApiResult<ScheduleView> {
    let row = visible(db, caller, id).await?;
    let intervals = store::schedule(db, row.id).await?.iter().map(Into::into).collect();
    Ok(ScheduleView { staff_id: row.id, intervals })
}

/// Replaces the whole week at once.
///
/// # Errors
/// 422 listing every bad interval; `NotFound`; `Forbidden`.
pub async fn replace_schedule(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    req: ScheduleRequest,
) -> ApiResult<ScheduleView> {
    let row = managed(db, caller, id).await?;
    let week = parse_schedule(&req.intervals).map_err(ApiError::Validation)?;
    let txn = db.begin().await?;
    store::replace_schedule(&txn, row.id, &week).await?;
    txn.commit().await?;
    schedule(db, Some(caller), id).await
}

/// The longest single time-off entry.
const MAX_TIME_OFF_DAYS: i64 = 366;

/// # Errors
/// 422 when `end_at` is not after `start_at` or the range is longer than a year.
pub async fn add_time_off(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    req: TimeOffRequest,
) -> ApiResult<staff_time_off::Model> {
    let row = managed(db, caller, id).await?;
    let (start, end) = (req.start_at.to_utc(), req.end_at.to_utc());
    if end <= start {
        return Err(ApiError::field("end_at", "must be after start_at"));
    }
    if end - start > Duration::days(MAX_TIME_OFF_DAYS) {
        return Err(ApiError::field("end_at", "time off may last at most 366 days per entry"));
    }
    let entry = staff_time_off::ActiveModel {
        id: Set(Uuid::now_v7()),
        staff_id: Set(row.id),
        start_at: Set(start),
        end_at: Set(end),
        reason: Set(req.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())),
        created_at: Set(Utc::now()),
    };
    Ok(store::insert_time_off(db, entry).await?)
}

/// # Errors
/// `NotFound`; `Forbidden`.
pub async fn list_time_off(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    q: TimeOffQuery,
) -> ApiResult<Page<staff_time_off::Model>> {
    let row = managed(db, caller, id).await?;
    let window = Window::new(q.limit, q.offset);
    let query = store::time_off(row.id, q.from.map(|f| f.to_utc()), q.to.map(|t| t.to_utc()));
    Ok(fetch(db, query, window).await?)
}

/// # Errors
/// `NotFound` (also for another staff member's entry); `Forbidden`.
pub async fn delete_time_off(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    time_off_id: Uuid,
) -> ApiResult<()> {
    let row = managed(db, caller, id).await?;
    if !store::delete_time_off(db, row.id, time_off_id).await? {
        return Err(ApiError::NotFound("time off"));
    }
    Ok(())
}

fn generate_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
