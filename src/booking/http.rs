use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::model::{
    Action, AvailabilityQuery, AvailabilityView, BookingListQuery, BookingView, CreateBookingRequest,
    ExplainQuery, ExplainView, HistoryEventView, HistoryQuery, RescheduleRequest, StatusChangeRequest,
};
use super::service;
use crate::auth::{AnyRole, RequireRole, StaffOrAdmin};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, OptionalJson, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type JsonResult<T> = ApiResult<axum::Json<T>>;

/// Free slots for a service, on the salon's grid, for 1 to 31 local dates. Public.
///
/// A slot is free when the staff member's block (service plus buffer) lies inside one of their
/// working intervals that local day, overlaps no time off and no active booking, starts on the
/// slot grid, at least `min_lead_minutes` from now and within `max_advance_days`. Working hours
/// are wall-clock time in the salon's zone, also on daylight-saving days.
#[utoipa::path(get, path = "/api/v1/bookings/availability", tag = "bookings",
    params(AvailabilityQuery),
    responses((status = 200, description = "Free slots, by start then staff", body = AvailabilityView)))]
#[tracing::instrument(skip_all)]
pub async fn availability(
    State(state): State<AppState>,
    Query(q): Query<AvailabilityQuery>,
) -> JsonResult<AvailabilityView> {
    Ok(axum::Json(service::availability(&state.db, q).await?))
}

/// Why a start time is or is not bookable with a staff member. Public.
///
/// Reasons: `not_qualified`, `off_grid`, `outside_working_hours`, `break`, `time_off`,
/// `booked`, `inside_lead_time`, `beyond_horizon`. For support staff answering "why can't I
/// book 3pm?".
#[utoipa::path(get, path = "/api/v1/bookings/availability/explain", tag = "bookings",
    params(ExplainQuery),
    responses((status = 200, description = "The verdict and every reason", body = ExplainView)))]
#[tracing::instrument(skip_all)]
pub async fn explain(
    State(state): State<AppState>,
    Query(q): Query<ExplainQuery>,
) -> JsonResult<ExplainView> {
    Ok(axum::Json(service::explain(&state.db, q).await?))
}

const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Book a service. Roles: client (for themself), staff and admin (for any client).
///
/// Without `staff_id` the server picks a qualified, free staff member. With an
/// `Idempotency-Key` header, a retry returns the first response (200, same body) and books
/// nothing new; the same key with a different body is a 422.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string of 1 to 200 visible ASCII characters (surrounding blanks are dropped); retries with the same key are safe", pattern = r"^[\t ]*[!-~]([\t -~]{0,198}[!-~])?[\t ]*$")),
    request_body = CreateBookingRequest,
    responses(
        (status = 201, description = "Booked (or, for a retry with the same Idempotency-Key, the first booking again)", body = BookingView,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored response of an earlier request with the same key"))),
        (status = 409, description = "`slot-unavailable`: the time cannot be booked (`reasons` says why) or was just taken", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_booking(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    headers: HeaderMap,
    Json(req): Json<CreateBookingRequest>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let key = crate::extract::idempotency_key(&headers)?;
    let (created, view) = service::create(&state.db, &state.jobs.config, &caller, req, key).await?;
    if created && state.jobs.config.booking_messages {
        state.jobs.wake();
    }
    // A replay is the first response again: same status, same body, marked as a replay.
    let replayed = if created { "false" } else { "true" };
    Ok((StatusCode::CREATED, [(IDEMPOTENT_REPLAYED, replayed)], axum::Json(view)))
}

/// List bookings. Roles: client (their own), staff (their own appointments), admin (all).
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(BookingListQuery),
    responses((status = 200, description = "A page of bookings, by start", body = Page<BookingView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_bookings(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<BookingListQuery>,
) -> JsonResult<Page<BookingView>> {
    Ok(axum::Json(service::list(&state.db, &caller, q).await?))
}

/// One booking. Roles: its client, its staff member, admin (others get a 404).
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    responses(
        (status = 200, description = "The booking", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn get_booking(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
) -> JsonResult<BookingView> {
    Ok(axum::Json(service::get(&state.db, &caller, id).await?))
}

/// Reschedule an active booking (same rules as booking) or change its notes. Roles: its
/// client (outside the cancellation window), its staff member, admin.
#[utoipa::path(patch, path = "/api/v1/bookings/{id}", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    request_body = RescheduleRequest,
    responses(
        (status = 200, description = "The updated booking", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slot-unavailable`, `invalid-transition` (not active) or `cancellation-window`", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn reschedule(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
    Json(req): Json<RescheduleRequest>,
) -> JsonResult<BookingView> {
    let view = service::reschedule(&state.db, &state.jobs.config, &caller, id, req).await?;
    if state.jobs.config.booking_messages {
        state.jobs.wake();
    }
    Ok(axum::Json(view))
}

async fn change(
    state: AppState,
    caller: crate::auth::CurrentUser,
    id: Uuid,
    action: Action,
    req: StatusChangeRequest,
) -> JsonResult<BookingView> {
    let view = service::transition(&state.db, &state.jobs.config, &caller, id, action, req.reason).await?;
    // Messages, and a completion's low-stock alerts.
    if state.jobs.config.booking_messages || action == Action::Complete {
        state.jobs.wake();
    }
    Ok(axum::Json(view))
}

/// pending -> confirmed. Roles: the booking's staff member, admin.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/confirm", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    request_body(content = Option<StatusChangeRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Confirmed", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    OptionalJson(req): OptionalJson<StatusChangeRequest>,
) -> JsonResult<BookingView> {
    change(state, caller, id, Action::Confirm, req).await
}

/// pending | confirmed -> cancelled; frees the slot. Roles: the client (outside the
/// cancellation window), the booking's staff member, admin.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    request_body(content = Option<StatusChangeRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Cancelled", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition` or `cancellation-window`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
    OptionalJson(req): OptionalJson<StatusChangeRequest>,
) -> JsonResult<BookingView> {
    change(state, caller, id, Action::Cancel, req).await
}

/// confirmed -> completed. Roles: the booking's staff member, admin.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/complete", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    request_body(content = Option<StatusChangeRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Completed", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn complete(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    OptionalJson(req): OptionalJson<StatusChangeRequest>,
) -> JsonResult<BookingView> {
    change(state, caller, id, Action::Complete, req).await
}

/// confirmed -> no_show. Roles: the booking's staff member, admin.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/no-show", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id")),
    request_body(content = Option<StatusChangeRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Marked as no-show", body = BookingView),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn no_show(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    OptionalJson(req): OptionalJson<StatusChangeRequest>,
) -> JsonResult<BookingView> {
    change(state, caller, id, Action::NoShow, req).await
}

/// Every change to a booking, oldest first: created, status changes, reschedules, with the
/// acting user, the time, old and new values and the reason. Append-only. Roles: as reading
/// the booking.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/history", tag = "bookings",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Booking id"), HistoryQuery),
    responses(
        (status = 200, description = "A page of the booking's events, oldest first", body = Page<HistoryEventView>),
        (status = 404, description = "No such booking (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn history(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
    Query(query): Query<HistoryQuery>,
) -> JsonResult<Page<HistoryEventView>> {
    Ok(axum::Json(service::history(&state.db, &caller, id, &query).await?))
}
