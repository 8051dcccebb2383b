//! Booking rules: availability and its explanation, creating (with idempotency keys and
//! automatic staff choice), rescheduling, status changes and history.
//!
//! Overlaps are decided by the database (see the bookings migration): the engine's check
//! before the write gives the reasons a person can act on, and the constraint settles races.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::engine::{self, Calendar, Reason, Rules, Span};
use super::model::{
    Action, AvailabilityQuery, AvailabilityView, BookingListQuery, BookingStatus, BookingView,
    CreateBookingRequest, ExplainQuery, ExplainView, HistoryEventView, HistoryQuery, RescheduleRequest,
    SlotView,
};
use super::store::{self, BookingFilter, Scope};
use crate::auth::{Channel, CurrentUser, Role};
use crate::catalog::store as catalog_store;
use crate::config::JobsConfig;
use crate::entity::{booking_blocks, booking_events, bookings, services, settings, staff_services};
use crate::error::{ApiError, ApiResult};
use crate::idempotency::Key;
use crate::jobs::store as jobs_store;
use crate::notify::service as messages;
use crate::pagination::{Page, Window, fetch};
use crate::staff::store as staff_store;
use crate::users::store as users_store;

/// How many free staff members an automatic choice tries when others win races for them.
const MAX_PICK_ATTEMPTS: usize = 5;

fn rules(s: &settings::Model, now: DateTime<Utc>) -> Rules {
    Rules {
        // Validated on write; UTC if the stored value were ever unreadable.
        tz: s.timezone.parse().unwrap_or(Tz::UTC),
        slot_minutes: i64::from(s.slot_interval_minutes.max(1)),
        min_lead: Duration::minutes(s.min_lead_minutes.into()),
        max_advance: Duration::days(s.max_advance_days.into()),
        now,
    }
}

/// The part of the staff members' calendars a question needs: busy blocks and time off
/// overlapping `window`, working hours of `weekdays` only.
struct Reach {
    window: Span,
    weekdays: Vec<i16>,
}

impl Reach {
    /// Every start on the local dates `first .. first + days`, with its block (service and
    /// buffer, `longest` being the longest among the staff members asked about).
    fn days(rules: &Rules, first: NaiveDate, days: u32, longest: Duration) -> Self {
        let midnight = first.and_hms_opt(0, 0, 0).expect("midnight");
        let weekdays = first.iter_days().take(days.min(7) as usize).map(weekday).collect();
        Reach {
            window: Span {
                start: engine::boundary(rules.tz, midnight),
                // A fall-back hour at midnight repeats the last local hour after the next
                // local midnight: three hours of margin cover any zone's change.
                end: engine::boundary(rules.tz, midnight + Duration::days(days.into()))
                    + longest
                    + Duration::hours(3),
            },
            weekdays,
        }
    }

    /// One start and its block.
    fn at(rules: &Rules, start: DateTime<Utc>, longest: Duration) -> Self {
        Reach {
            window: Span { start, end: start + longest },
            weekdays: vec![weekday(start.with_timezone(&rules.tz).date_naive())],
        }
    }
}

fn weekday(date: NaiveDate) -> i16 {
    chrono::Datelike::weekday(&date).number_from_monday() as i16
}

/// How long `service` keeps the busiest of `staff` (their duration override and the buffer).
fn longest(service: &services::Model, staff: &[(Uuid, Option<&staff_services::Model>)]) -> Duration {
    staff.iter().map(|(_, a)| duration(service, *a)).max().unwrap_or_else(|| duration(service, None))
        + Duration::minutes(service.buffer_minutes.into())
}

fn duration(service: &services::Model, assignment: Option<&staff_services::Model>) -> Duration {
    Duration::minutes(assignment.and_then(|a| a.duration_minutes).unwrap_or(service.duration_minutes).into())
}

/// The calendars of `staff` (with their assignment, if any) for `service`, as far as `reach`
/// goes: schedules, time off and busy blocks in one query, whatever the number of staff.
async fn calendars(
    db: &DatabaseConnection,
    service: &services::Model,
    staff: &[(Uuid, Option<&staff_services::Model>)],
    reach: &Reach,
    except: Option<Uuid>,
) -> ApiResult<Vec<Calendar>> {
    let ids: Vec<Uuid> = staff.iter().map(|(id, _)| *id).collect();
    let mut rows = store::calendars(db, &ids, &reach.weekdays, reach.window, except).await?;
    Ok(staff
        .iter()
        .map(|(id, assignment)| {
            let rows = rows.remove(id).unwrap_or_default();
            Calendar {
                staff_id: *id,
                duration: duration(service, *assignment),
                buffer: Duration::minutes(service.buffer_minutes.into()),
                week: rows.week,
                time_off: rows.time_off,
                busy: rows.busy,
            }
        })
        .collect())
}

/// Settings, an active service and its qualified staff (optionally one of them), in one query.
async fn active_context(
    db: &DatabaseConnection,
    service_id: Uuid,
    staff_id: Option<Uuid>,
) -> ApiResult<store::Context> {
    store::context(db, service_id, staff_id, None)
        .await?
        .filter(|c| c.service.is_active)
        .ok_or_else(|| ApiError::field("service_id", "no such active service"))
}

/// Bookable slots for a service over `days` local dates.
///
/// # Errors
/// 422 for an unknown service.
pub async fn availability(db: &DatabaseConnection, q: AvailabilityQuery) -> ApiResult<AvailabilityView> {
    let days = q.days.unwrap_or(1);
    // Far outside any booking horizon, and keeps the date arithmetic below in range.
    if !(2000..=2999).contains(&chrono::Datelike::year(&q.date)) {
        return Err(ApiError::field("date", "must be between 2000-01-01 and 2999-12-31"));
    }
    let store::Context { settings, service, assignments, .. } =
        active_context(db, q.service_id, q.staff_id).await?;
    let rules = rules(&settings, Utc::now());
    let staff: Vec<_> = assignments.iter().map(|a| (a.staff_id, Some(a))).collect();
    let reach = Reach::days(&rules, q.date, days, longest(&service, &staff));
    let calendars = calendars(db, &service, &staff, &reach, None).await?;
    let slots = engine::availability(&rules, &calendars, q.date, days)
        .into_iter()
        .map(|s| SlotView { staff_id: s.staff_id, start_at: s.start, end_at: s.end })
        .collect();
    Ok(AvailabilityView { timezone: settings.timezone, slots })
}

/// A requested start as an instant, within the years a salon books in (which also keeps the
/// date arithmetic around it in range).
fn instant(field: &'static str, at: chrono::DateTime<chrono::FixedOffset>) -> ApiResult<DateTime<Utc>> {
    let at = at.to_utc();
    if (2000..=2999).contains(&chrono::Datelike::year(&at)) {
        Ok(at)
    } else {
        Err(ApiError::field(field, "must be between the years 2000 and 2999"))
    }
}

/// Why one start time is (not) bookable with one staff member.
///
/// # Errors
/// 422 for an unknown service or staff member.
pub async fn explain(db: &DatabaseConnection, q: ExplainQuery) -> ApiResult<ExplainView> {
    let settings = crate::settings::store::get(db).await?;
    let rules = rules(&settings, Utc::now());
    let service = catalog_store::find_service(db, q.service_id)
        .await?
        .ok_or_else(|| ApiError::field("service_id", "no such service"))?;
    let staff = staff_store::find(db, q.staff_id)
        .await?
        .ok_or_else(|| ApiError::field("staff_id", "no such staff member"))?;
    let assignment = store::qualified(db, service.id, Some(staff.id)).await?.into_iter().next();
    let start = instant("start_at", q.start_at)?;
    let asked = [(staff.id, assignment.as_ref())];
    let reach = Reach::at(&rules, start, longest(&service, &asked));
    let cal = calendars(db, &service, &asked, &reach, None).await?.remove(0);
    let mut reasons = engine::evaluate(&rules, &cal, start);
    if assignment.is_none() || !service.is_active {
        reasons.insert(0, Reason::NotQualified);
    }
    Ok(ExplainView {
        bookable: reasons.is_empty(),
        reasons,
        service_id: service.id,
        staff_id: staff.id,
        start_at: start,
        end_at: start + cal.duration,
        local_start: start.with_timezone(&rules.tz).to_rfc3339(),
    })
}

/// The bookings a caller may see.
async fn scope(db: &DatabaseConnection, caller: &CurrentUser) -> ApiResult<Scope> {
    Ok(match caller.role {
        Role::Admin => Scope::All,
        Role::Client => Scope::Client(caller.id),
        Role::Staff => Scope::Staff(staff_store::find_by_user(db, caller.id).await?.map(|s| s.id)),
    })
}

/// What went wrong in a booking write.
enum WriteError {
    /// The staff member's time was taken (by a race, or a deadlock/serialization abort).
    StaffTaken,
    /// The client already holds an overlapping active booking.
    ClientOverlap,
    /// The idempotency key was stored by a concurrent request.
    KeyTaken,
    Other(ApiError),
}

fn classify(err: DbErr) -> WriteError {
    let text = err.to_string();
    if text.contains("booking_blocks_no_overlap")
        || text.contains("deadlock detected")
        || text.contains("could not serialize")
    {
        WriteError::StaffTaken
    } else if text.contains("bookings_client_no_overlap") {
        WriteError::ClientOverlap
    } else if crate::idempotency::is_key_conflict(&err) {
        WriteError::KeyTaken
    } else {
        WriteError::Other(err.into())
    }
}

fn taken(reasons: Vec<Reason>) -> ApiError {
    let detail = if reasons.is_empty() {
        "that time was just taken; choose another slot".to_string()
    } else {
        let names: Vec<String> = reasons
            .iter()
            .map(|r| serde_json::to_value(r).map(|v| v.to_string()).unwrap_or_default())
            .collect();
        format!("that time cannot be booked: {}", names.join(", ").replace('"', ""))
    };
    ApiError::SlotUnavailable { detail, reasons }
}

fn client_overlap() -> ApiError {
    ApiError::SlotUnavailable {
        detail: "the client already has an active booking at that time".into(),
        reasons: Vec::new(),
    }
}

/// Books a service. Clients book for themselves; staff and admins for any active user. Without
/// `staff_id`, the least busy qualified staff member who is free that day is chosen.
///
/// # Errors
/// 403 for a client booking for someone else; 422 for unknown references or a staff member
/// who does not perform the service; 409 `slot-unavailable` with the reasons; with an
/// `Idempotency-Key`, a different request under a used key is a 422.
pub async fn create(
    db: &DatabaseConnection,
    outbox: &JobsConfig,
    caller: &CurrentUser,
    req: CreateBookingRequest,
    idempotency_key: Option<String>,
) -> ApiResult<(bool, BookingView)> {
    // Booking keys are stored as given (scope ""), as they were before sales had keys too.
    let key = idempotency_key.map(|k| Key::new("", &k, &req));
    if let Some(key) = &key
        && let Some(view) = key.replay(db, caller.id).await?
    {
        return Ok((false, view));
    }
    let result = book(db, outbox, caller, req, key.as_ref()).await;
    // A concurrent request with the same key may have booked this very slot: if its key is
    // stored now, this is a retry of it.
    if let (Err(ApiError::SlotUnavailable { .. }), Some(key)) = (&result, &key)
        && let Some(view) = key.replay(db, caller.id).await?
    {
        return Ok((false, view));
    }
    result
}

async fn book(
    db: &DatabaseConnection,
    outbox: &JobsConfig,
    caller: &CurrentUser,
    req: CreateBookingRequest,
    key: Option<&Key>,
) -> ApiResult<(bool, BookingView)> {
    // Staff and admins book for a client, who must be an active user: checked in the same
    // query as the service (one round trip fewer on every front-desk booking).
    let (client_id, check_client) = match (caller.role, req.client_id) {
        (Role::Client, None) => (caller.id, false),
        (Role::Client, Some(id)) if id == caller.id => (caller.id, false),
        (Role::Client, Some(_)) => return Err(ApiError::Forbidden("clients book for themselves only")),
        (_, None) => return Err(ApiError::field("client_id", "is required when staff or admins book")),
        (_, Some(id)) => (id, true),
    };
    let no_client = || ApiError::field("client_id", "no such active user");
    let context = store::context(db, req.service_id, req.staff_id, check_client.then_some(client_id)).await?;
    let no_service = || ApiError::field("service_id", "no such active service");
    let context = match context {
        Some(context) if context.client_active == Some(false) => return Err(no_client()),
        Some(context) if context.service.is_active => context,
        Some(_) => return Err(no_service()),
        // No such service, so no row to say whether the client exists: the client's error,
        // if any, still comes first.
        None if check_client
            && !users_store::find_by_id(db, client_id).await?.is_some_and(|u| u.is_active) =>
        {
            return Err(no_client());
        }
        None => return Err(no_service()),
    };
    let store::Context { settings, service, assignments, .. } = context;
    if req.staff_id.is_some() && assignments.is_empty() {
        return Err(ApiError::field(
            "staff_id",
            "this staff member does not perform this service (or is inactive)",
        ));
    }
    if assignments.is_empty() {
        return Err(taken(vec![Reason::NotQualified]));
    }
    let start = instant("start_at", req.start_at)?;
    let rules = rules(&settings, Utc::now());
    let staff: Vec<_> = assignments.iter().map(|a| (a.staff_id, Some(a))).collect();
    // Choosing among several staff members needs their whole day, to prefer the least busy.
    let reach = match req.staff_id {
        Some(_) => Reach::at(&rules, start, longest(&service, &staff)),
        None => {
            Reach::days(&rules, start.with_timezone(&rules.tz).date_naive(), 1, longest(&service, &staff))
        }
    };
    let cals = calendars(db, &service, &staff, &reach, None).await?;

    let mut free: Vec<(&Calendar, &staff_services::Model)> = Vec::new();
    let mut reasons: Vec<Reason> = Vec::new();
    for (cal, assignment) in cals.iter().zip(&assignments) {
        let r = engine::evaluate(&rules, cal, start);
        if r.is_empty() {
            free.push((cal, assignment));
        } else {
            reasons.extend(r);
        }
    }
    if free.is_empty() {
        reasons.sort();
        reasons.dedup();
        return Err(taken(reasons));
    }
    // Spread the work: the staff member with the fewest bookings starting that local day first
    // (the calendars reach a little into the next day; those blocks do not count).
    let day = start.with_timezone(&rules.tz).date_naive();
    let that_day = |cal: &Calendar| {
        cal.busy.iter().filter(|b| b.start.with_timezone(&rules.tz).date_naive() == day).count()
    };
    free.sort_by_key(|(cal, _)| (that_day(cal), cal.staff_id));

    let mut last = taken(Vec::new());
    for (cal, assignment) in free.into_iter().take(MAX_PICK_ATTEMPTS) {
        let now = Utc::now();
        let price_cents = assignment.price_cents.unwrap_or(service.price_cents);
        // A required deposit holds the slot, `pending`, until it is paid or the hold ends.
        let deposit_cents = crate::catalog::service::deposit_for(&service, price_cents);
        let hold_until =
            deposit_cents.map(|_| now + Duration::minutes(settings.deposit_hold_minutes.max(1).into()));
        let status = if settings.require_approval || deposit_cents.is_some() {
            BookingStatus::Pending
        } else {
            BookingStatus::Confirmed
        };
        let row = bookings::Model {
            id: Uuid::now_v7(),
            service_id: service.id,
            staff_id: cal.staff_id,
            client_id,
            start_at: start,
            end_at: start + cal.duration,
            status: status.as_str().into(),
            price_cents,
            notes: req.notes.clone().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
            created_by: caller.id,
            created_at: now,
            updated_at: now,
            deposit_cents,
            hold_until,
        };
        // The outbox: the booking's messages (and the end of its hold) are written in its own
        // transaction.
        let mut jobs = if outbox.booking_messages {
            messages::on_created(&row, settings.reminder_hours_before, outbox.max_attempts)
        } else {
            Vec::new()
        };
        if let Some(until) = hold_until {
            jobs.push(crate::payments::service::hold_expiry_job(row.id, until, outbox.max_attempts));
        }
        match write_new(db, caller, &row, cal.block(start), key, &jobs).await {
            Ok(()) => return Ok((true, row.into())),
            Err(WriteError::StaffTaken) => last = taken(Vec::new()),
            Err(WriteError::ClientOverlap) => return Err(client_overlap()),
            Err(WriteError::KeyTaken) => {
                let Some(key) = key else { return Err(taken(Vec::new())) };
                let view = key.replay(db, caller.id).await?.ok_or_else(|| taken(Vec::new()))?;
                return Ok((false, view));
            }
            Err(WriteError::Other(e)) => return Err(e),
        }
    }
    Err(last)
}

/// The booking, its busy block, its `created` event and the idempotency key: all or nothing.
async fn write_new(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    row: &bookings::Model,
    block: Span,
    key: Option<&Key>,
    jobs: &[crate::jobs::store::NewJob],
) -> Result<(), WriteError> {
    let actor = caller.id;
    let created = json!({"status": row.status, "staff_id": row.staff_id, "start_at": row.start_at, "end_at": row.end_at, "price_cents": row.price_cents});
    let key = key
        .map(|k| k.row(actor, &BookingView::from(row.clone()), Utc::now()))
        .transpose()
        .map_err(|e| WriteError::Other(e.into()))?;
    let rows = store::NewBooking {
        booking: row.clone().into(),
        block: booking_blocks::ActiveModel {
            id: Set(Uuid::now_v7()),
            booking_id: Set(row.id),
            staff_id: Set(row.staff_id),
            start_at: Set(block.start),
            end_at: Set(block.end),
            active: Set(BookingStatus::parse(&row.status).is_some_and(BookingStatus::is_active)),
        },
        event: event(row.id, actor, "created", None, Some(created), None, caller.channel),
        key,
        jobs: jobs.iter().map(|j| crate::jobs::store::insert_statement(j, row.created_at)).collect(),
    };
    let _writer = crate::db::sqlite_writer(db).await;
    store::insert_new(db, rows).await.map_err(classify)
}

fn event(
    booking_id: Uuid,
    actor: Uuid,
    kind: &str,
    old: Option<serde_json::Value>,
    new: Option<serde_json::Value>,
    reason: Option<String>,
    channel: Channel,
) -> booking_events::ActiveModel {
    booking_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        booking_id: Set(booking_id),
        at: Set(Utc::now()),
        actor_id: Set(actor),
        kind: Set(kind.to_owned()),
        old_value: Set(old.map(|v| v.to_string())),
        new_value: Set(new.map(|v| v.to_string())),
        reason: Set(reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())),
        channel: Set(channel.as_str().to_owned()),
    }
}

/// # Errors
/// Database failures only.
pub async fn list(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    q: BookingListQuery,
) -> ApiResult<Page<BookingView>> {
    let window = Window::new(q.limit, q.offset);
    let filter = BookingFilter {
        status: q.status.map(BookingStatus::as_str),
        staff_id: q.staff_id,
        client_id: q.client_id,
        from: q.from.map(|f| f.to_utc()),
        to: q.to.map(|t| t.to_utc()),
    };
    Ok(fetch(db, store::list(scope(db, caller).await?, &filter), window).await?.map(BookingView::from))
}

async fn find(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<bookings::Model> {
    store::find_scoped(db, scope(db, caller).await?, id).await?.ok_or(ApiError::NotFound("booking"))
}

/// # Errors
/// `NotFound`, also for a booking the caller may not see.
pub async fn get(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<BookingView> {
    Ok(find(db, caller, id).await?.into())
}

/// A client may change or cancel only before the cancellation window starts.
fn outside_window(
    caller: &CurrentUser,
    booking: &bookings::Model,
    settings: &settings::Model,
) -> ApiResult<()> {
    let window = Duration::hours(settings.cancellation_window_hours.into());
    if caller.is(Role::Client) && Utc::now() + window > booking.start_at {
        return Err(ApiError::conflict(
            "cancellation-window",
            format!(
                "clients may change or cancel up to {} hours before the start",
                settings.cancellation_window_hours
            ),
        ));
    }
    Ok(())
}

/// Moves an active booking (same rules as booking it) and/or changes its notes.
///
/// # Errors
/// `NotFound`; 409 `invalid-transition` for a booking that is no longer active;
/// 409 `cancellation-window` for a client inside it; 422 for a staff member who does not
/// perform the service; 409 `slot-unavailable` with the reasons.
pub async fn reschedule(
    db: &DatabaseConnection,
    outbox: &JobsConfig,
    caller: &CurrentUser,
    id: Uuid,
    req: RescheduleRequest,
) -> ApiResult<BookingView> {
    let booking = find(db, caller, id).await?;
    if !BookingStatus::parse(&booking.status).is_some_and(BookingStatus::is_active) {
        return Err(ApiError::conflict(
            "invalid-transition",
            "only pending or confirmed bookings can be changed",
        ));
    }
    let settings = crate::settings::store::get(db).await?;
    outside_window(caller, &booking, &settings)?;
    let mut updated = booking.clone();
    let mut block = None;
    let moves = req.start_at.is_some() || req.staff_id.is_some_and(|s| s != booking.staff_id);
    if moves {
        let staff_id = req.staff_id.unwrap_or(booking.staff_id);
        let start = match req.start_at {
            Some(at) => instant("start_at", at)?,
            None => booking.start_at,
        };
        let service = catalog_store::find_service(db, booking.service_id)
            .await?
            .ok_or(ApiError::NotFound("service"))?;
        let assignment =
            store::qualified(db, service.id, Some(staff_id)).await?.into_iter().next().ok_or_else(|| {
                ApiError::field(
                    "staff_id",
                    "this staff member does not perform this service (or is inactive)",
                )
            })?;
        let rules = rules(&settings, Utc::now());
        let staff = [(staff_id, Some(&assignment))];
        let reach = Reach::at(&rules, start, longest(&service, &staff));
        let cal = calendars(db, &service, &staff, &reach, Some(booking.id)).await?.remove(0);
        let reasons = engine::evaluate(&rules, &cal, start);
        if !reasons.is_empty() {
            return Err(taken(reasons));
        }
        if staff_id != booking.staff_id {
            updated.price_cents = assignment.price_cents.unwrap_or(service.price_cents);
        }
        updated.staff_id = staff_id;
        updated.start_at = start;
        updated.end_at = start + cal.duration;
        block = Some(cal.block(start));
    }
    if let Some(notes) = req.notes {
        updated.notes = notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    }
    if updated == booking {
        return Ok(booking.into());
    }
    updated.updated_at = Utc::now();
    let (kind, old, new) = if moves {
        (
            "rescheduled",
            json!({"staff_id": booking.staff_id, "start_at": booking.start_at, "end_at": booking.end_at, "price_cents": booking.price_cents}),
            json!({"staff_id": updated.staff_id, "start_at": updated.start_at, "end_at": updated.end_at, "price_cents": updated.price_cents}),
        )
    } else {
        ("notes_changed", json!({"notes": booking.notes}), json!({"notes": updated.notes}))
    };
    let write = async {
        let txn = db.begin().await?;
        let row: bookings::ActiveModel = updated.clone().into();
        let mut row = row.reset_all();
        row.id = sea_orm::ActiveValue::Unchanged(updated.id);
        store::update_booking(&txn, row).await?;
        if let Some(span) = block {
            store::update_blocks(&txn, updated.id, updated.staff_id, span, true).await?;
        }
        let e = event(updated.id, caller.id, kind, Some(old), Some(new), None, caller.channel);
        let event_id = *e.id.as_ref();
        store::insert_event(&txn, e).await?;
        if moves && outbox.booking_messages {
            // The reminder moves with the booking: the pending one goes, a new one comes.
            jobs_store::drop_pending(&txn, messages::REMINDER, updated.id).await?;
            let jobs = messages::on_rescheduled(
                &booking,
                &updated,
                event_id,
                settings.reminder_hours_before,
                outbox.max_attempts,
            );
            jobs_store::enqueue(&txn, &jobs).await?;
        }
        txn.commit().await
    };
    match write.await.map_err(classify) {
        Ok(()) => Ok(updated.into()),
        Err(WriteError::StaffTaken) => Err(taken(Vec::new())),
        Err(WriteError::ClientOverlap) => Err(client_overlap()),
        Err(WriteError::KeyTaken) => Err(taken(Vec::new())),
        Err(WriteError::Other(e)) => Err(e),
    }
}

/// Applies a status change under the state machine and its role rules: confirm (staff of the
/// booking, admin); cancel (the client outside the cancellation window, staff, admin);
/// complete and no-show (staff, admin).
///
/// # Errors
/// `NotFound`; `Forbidden` for a role that may not; 409 `invalid-transition`;
/// 409 `cancellation-window`.
pub async fn transition(
    db: &DatabaseConnection,
    outbox: &JobsConfig,
    caller: &CurrentUser,
    id: Uuid,
    action: Action,
    reason: Option<String>,
) -> ApiResult<BookingView> {
    let booking = find(db, caller, id).await?;
    if caller.is(Role::Client) && action != Action::Cancel {
        return Err(ApiError::Forbidden("clients may only cancel their bookings"));
    }
    let from = BookingStatus::parse(&booking.status)
        .ok_or_else(|| anyhow::anyhow!("unknown status {}", booking.status))?;
    let Some(to) = from.apply(action) else {
        return Err(ApiError::conflict(
            "invalid-transition",
            format!("a {} booking cannot be {}", from.as_str(), action.as_str()),
        ));
    };
    let now = Utc::now();
    let mut refund_deposit = false;
    if action == Action::Cancel {
        let settings = crate::settings::store::get(db).await?;
        outside_window(caller, &booking, &settings)?;
        // A paid deposit comes back when the booking is cancelled outside the window;
        // inside it (only staff and admins can cancel there) the salon keeps it.
        let window = Duration::hours(settings.cancellation_window_hours.into());
        refund_deposit = booking.deposit_cents.is_some() && now + window <= booking.start_at;
    }
    let write = async {
        let _writer = crate::db::sqlite_writer(db).await;
        let txn = db.begin().await?;
        let change =
            StatusChange { from, to, actor: caller.id, reason, refund_deposit, channel: caller.channel };
        let changed = apply_status(&txn, outbox, &booking, change, now).await?;
        txn.commit().await.map(|()| changed)
    };
    match write.await {
        Ok(true) => {
            let hold_until = if from == BookingStatus::Pending { None } else { booking.hold_until };
            Ok(bookings::Model { status: to.as_str().into(), updated_at: now, hold_until, ..booking }.into())
        }
        Ok(false) => {
            Err(ApiError::conflict("invalid-transition", "the booking changed meanwhile; reload it"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A status change to write.
pub struct StatusChange {
    pub from: BookingStatus,
    pub to: BookingStatus,
    /// Who made it (for changes the system makes on a client's behalf, the client).
    pub actor: Uuid,
    pub reason: Option<String>,
    /// Whether a paid deposit is refunded (a cancellation outside the window).
    pub refund_deposit: bool,
    pub channel: Channel,
}

/// Writes a status change inside `txn`, only from the status `change.from` (of two racing
/// changes, one applies): the booking, its blocks, its messages, its history event, what a
/// completed service used, and a deposit refund job. Returns whether it applied.
///
/// # Errors
/// Database failures.
pub async fn apply_status<C: sea_orm::ConnectionTrait>(
    txn: &C,
    outbox: &JobsConfig,
    booking: &bookings::Model,
    change: StatusChange,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let StatusChange { from, to, actor, reason, refund_deposit, channel } = change;
    let mut update = bookings::Entity::update_many()
        .col_expr(bookings::Column::Status, sea_orm::sea_query::Expr::value(to.as_str()))
        .col_expr(bookings::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now));
    if from == BookingStatus::Pending {
        // Whatever ends the wait for a deposit ends its hold.
        update = update
            .col_expr(bookings::Column::HoldUntil, sea_orm::sea_query::Expr::value(None::<DateTime<Utc>>));
    }
    let changed = update
        .filter(bookings::Column::Id.eq(booking.id))
        .filter(bookings::Column::Status.eq(from.as_str()))
        .exec(txn)
        .await?
        .rows_affected;
    if changed != 1 {
        return Ok(false);
    }
    if !to.is_active() {
        store::set_blocks_active(txn, booking.id, false).await?;
    }
    if !to.is_active() && outbox.booking_messages {
        jobs_store::drop_pending(txn, messages::REMINDER, booking.id).await?;
        if to == BookingStatus::Cancelled {
            let job = messages::on_cancelled(booking, reason.as_deref(), outbox.max_attempts);
            jobs_store::enqueue(txn, &[job]).await?;
        }
    }
    if to == BookingStatus::Cancelled && refund_deposit {
        jobs_store::enqueue(
            txn,
            &[crate::payments::service::deposit_refund_job(booking.id, now, outbox.max_attempts)],
        )
        .await?;
    }
    let e = event(
        booking.id,
        actor,
        to.as_str(),
        Some(json!({"status": from})),
        Some(json!({"status": to})),
        reason,
        channel,
    );
    store::insert_event(txn, e).await?;
    // What the service used leaves the stock in the same transaction: never refused, a
    // shortfall is an alert.
    if to == BookingStatus::Completed {
        crate::inventory::service::use_for_booking(txn, booking, actor, outbox.max_attempts, now).await?;
        // Its invoice, numbered in this transaction.
        crate::invoices::service::for_booking(txn, booking, now, outbox.max_attempts).await?;
    }
    Ok(true)
}

/// # Errors
/// `NotFound`, also for a booking the caller may not see.
pub async fn history(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    id: Uuid,
    query: &HistoryQuery,
) -> ApiResult<Page<HistoryEventView>> {
    let booking = find(db, caller, id).await?;
    let window = Window::new(query.limit, query.offset);
    Ok(fetch(db, store::events_query(booking.id), window).await?.map(Into::into))
}

/// For staff deactivation: whether they hold active bookings that have not ended.
///
/// # Errors
/// Database failures only.
pub async fn has_future_bookings(db: &impl sea_orm::ConnectionTrait, staff_id: Uuid) -> ApiResult<bool> {
    Ok(store::has_future_active(db, staff_id, Utc::now()).await?)
}
