use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::model::{
    CreateStaffRequest, CreatedStaffView, ScheduleRequest, ScheduleView, StaffListQuery, StaffView,
    TimeOffQuery, TimeOffRequest, TimeOffView, UpdateStaffRequest,
};
use super::service;
use crate::auth::{Admin, CurrentUser, RequireRole, StaffOrAdmin};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

/// List staff. Public (active staff, no contact details); admins see everyone with contacts.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(StaffListQuery),
    responses((status = 200, description = "A page of staff, by display name", body = Page<StaffView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_staff(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Query(q): Query<StaffListQuery>,
) -> ApiResult<axum::Json<Page<StaffView>>> {
    Ok(axum::Json(service::list(&state.db, caller.as_ref(), q).await?))
}

/// Create a staff member: their account (role `staff`) and profile in one step. Roles: admin.
///
/// Without `password`, one is generated and returned once as `initial_password`.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateStaffRequest,
    responses(
        (status = 201, description = "The new staff member", body = CreatedStaffView),
        (status = 409, description = "`email-taken`: the email is in use", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_staff(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Json(req): Json<CreateStaffRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedStaffView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&state.db, req).await?)))
}

/// One staff member. Public for active staff; admins also see deactivated ones and contacts.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    responses(
        (status = 200, description = "The staff member", body = StaffView),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn get_staff(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<StaffView>> {
    Ok(axum::Json(service::get(&state.db, caller.as_ref(), id).await?))
}

/// Change a staff member. Roles: admin (every field); staff (their own `bio` only).
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    request_body = UpdateStaffRequest,
    responses(
        (status = 200, description = "The updated staff member", body = StaffView),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn update_staff(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateStaffRequest>,
) -> ApiResult<axum::Json<StaffView>> {
    Ok(axum::Json(service::update(&state.db, &caller, id, req).await?))
}

/// Deactivate a staff member and their account; history is kept. Roles: admin.
#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn delete_staff(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::deactivate(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Weekly working hours, in the salon's local time. Public (active staff).
#[utoipa::path(get, path = "/api/v1/staff/{id}/schedule", tag = "staff",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    responses(
        (status = 200, description = "The week", body = ScheduleView),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn get_schedule(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ScheduleView>> {
    Ok(axum::Json(service::schedule(&state.db, caller.as_ref(), id).await?))
}

/// Replace the weekly working hours. Roles: admin, or the staff member themself.
///
/// Several intervals on one weekday express breaks; overlapping intervals are a 422.
#[utoipa::path(put, path = "/api/v1/staff/{id}/schedule", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    request_body = ScheduleRequest,
    responses(
        (status = 200, description = "The new week", body = ScheduleView),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn put_schedule(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    Json(req): Json<ScheduleRequest>,
) -> ApiResult<axum::Json<ScheduleView>> {
    Ok(axum::Json(service::replace_schedule(&state.db, &caller, id, req).await?))
}

/// A staff member's time off. Roles: admin, or the staff member themself.
#[utoipa::path(get, path = "/api/v1/staff/{id}/time-off", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id"), TimeOffQuery),
    responses(
        (status = 200, description = "A page of time off, by start", body = Page<TimeOffView>),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn list_time_off(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    Query(q): Query<TimeOffQuery>,
) -> ApiResult<axum::Json<Page<TimeOffView>>> {
    Ok(axum::Json(service::list_time_off(&state.db, &caller, id, q).await?.map(TimeOffView::from)))
}

/// Add time off (a date-time range). Roles: admin, or the staff member themself.
#[utoipa::path(post, path = "/api/v1/staff/{id}/time-off", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id")),
    request_body = TimeOffRequest,
    responses(
        (status = 201, description = "The new time off", body = TimeOffView),
        (status = 404, description = "No such staff member", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id))]
pub async fn add_time_off(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    Json(req): Json<TimeOffRequest>,
) -> ApiResult<(StatusCode, axum::Json<TimeOffView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add_time_off(&state.db, &caller, id, req).await?.into())))
}

/// Remove time off. Roles: admin, or the staff member themself.
#[utoipa::path(delete, path = "/api/v1/staff/{id}/time-off/{time_off_id}", tag = "staff",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Staff id"), ("time_off_id" = Uuid, Path, description = "Time-off id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such staff member or time off", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(staff_id = %id, time_off_id = %time_off_id))]
pub async fn delete_time_off(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path((id, time_off_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_time_off(&state.db, &caller, id, time_off_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
