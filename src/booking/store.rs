//! Booking queries. What availability needs is loaded in a fixed number of queries, whatever
//! the number of staff members or days: settings, service, assignments, schedules, time off
//! and busy blocks (one each).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use super::engine::Span;
use crate::entity::{
    booking_blocks as blocks, booking_events as events, bookings, idempotency_keys, staff,
    staff_schedule_intervals, staff_services, staff_time_off,
};
use crate::staff::model::Interval;

/// Assignments of `service_id` to active staff members (optionally one of them).
pub async fn qualified<C: ConnectionTrait>(
    db: &C,
    service_id: Uuid,
    staff_id: Option<Uuid>,
) -> Result<Vec<staff_services::Model>, DbErr> {
    let mut q =
        staff_services::Entity::find().filter(staff_services::Column::ServiceId.eq(service_id)).filter(
            staff_services::Column::StaffId.in_subquery(
                Query::select()
                    .column(staff::Column::Id)
                    .from(staff::Entity)
                    .and_where(staff::Column::IsActive.eq(true))
                    .to_owned(),
            ),
        );
    if let Some(staff_id) = staff_id {
        q = q.filter(staff_services::Column::StaffId.eq(staff_id));
    }
    q.order_by_asc(staff_services::Column::StaffId).all(db).await
}

pub async fn schedules<C: ConnectionTrait>(
    db: &C,
    staff_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Interval>>, DbErr> {
    let rows = staff_schedule_intervals::Entity::find()
        .filter(staff_schedule_intervals::Column::StaffId.is_in(staff_ids.to_vec()))
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<Interval>> = HashMap::new();
    for r in rows {
        map.entry(r.staff_id).or_default().push(Interval {
            weekday: r.weekday,
            start: r.start_minute,
            end: r.end_minute,
        });
    }
    Ok(map)
}

pub async fn time_off<C: ConnectionTrait>(
    db: &C,
    staff_ids: &[Uuid],
    window: Span,
) -> Result<HashMap<Uuid, Vec<Span>>, DbErr> {
    let rows = staff_time_off::Entity::find()
        .filter(staff_time_off::Column::StaffId.is_in(staff_ids.to_vec()))
        .filter(staff_time_off::Column::StartAt.lt(window.end))
        // An entry lasts at most 366 days: a lower bound on the start lets the index stop.
        .filter(staff_time_off::Column::StartAt.gt(window.start - Duration::days(367)))
        .filter(staff_time_off::Column::EndAt.gt(window.start))
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<Span>> = HashMap::new();
    for r in rows {
        map.entry(r.staff_id).or_default().push(Span { start: r.start_at, end: r.end_at });
    }
    Ok(map)
}

/// Active busy blocks overlapping `window`, sorted by start, leaving out `except`'s own.
pub async fn busy<C: ConnectionTrait>(
    db: &C,
    staff_ids: &[Uuid],
    window: Span,
    except: Option<Uuid>,
) -> Result<HashMap<Uuid, Vec<Span>>, DbErr> {
    let mut q = blocks::Entity::find()
        .filter(blocks::Column::StaffId.is_in(staff_ids.to_vec()))
        .filter(blocks::Column::Active.eq(true))
        .filter(blocks::Column::StartAt.lt(window.end))
        // A block lasts at most 16 hours (12-hour service, 4-hour buffer): with a lower bound
        // on the start, the index range is the window, not all history.
        .filter(blocks::Column::StartAt.gt(window.start - Duration::days(1)))
        .filter(blocks::Column::EndAt.gt(window.start));
    if let Some(booking) = except {
        q = q.filter(blocks::Column::BookingId.ne(booking));
    }
    let rows = q.order_by_asc(blocks::Column::StartAt).all(db).await?;
    let mut map: HashMap<Uuid, Vec<Span>> = HashMap::new();
    for r in rows {
        map.entry(r.staff_id).or_default().push(Span { start: r.start_at, end: r.end_at });
    }
    Ok(map)
}

pub async fn insert_booking<C: ConnectionTrait>(
    db: &C,
    row: bookings::ActiveModel,
) -> Result<bookings::Model, DbErr> {
    row.insert(db).await
}

pub async fn update_booking<C: ConnectionTrait>(
    db: &C,
    row: bookings::ActiveModel,
) -> Result<bookings::Model, DbErr> {
    row.update(db).await
}

pub async fn insert_block<C: ConnectionTrait>(db: &C, row: blocks::ActiveModel) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

/// Moves a booking's blocks and sets whether they hold the staff member.
pub async fn update_blocks<C: ConnectionTrait>(
    db: &C,
    booking_id: Uuid,
    staff_id: Uuid,
    span: Span,
    active: bool,
) -> Result<(), DbErr> {
    blocks::Entity::update_many()
        .col_expr(blocks::Column::StaffId, Expr::value(staff_id))
        .col_expr(blocks::Column::StartAt, Expr::value(span.start))
        .col_expr(blocks::Column::EndAt, Expr::value(span.end))
        .col_expr(blocks::Column::Active, Expr::value(active))
        .filter(blocks::Column::BookingId.eq(booking_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_blocks_active<C: ConnectionTrait>(
    db: &C,
    booking_id: Uuid,
    active: bool,
) -> Result<(), DbErr> {
    blocks::Entity::update_many()
        .col_expr(blocks::Column::Active, Expr::value(active))
        .filter(blocks::Column::BookingId.eq(booking_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_event<C: ConnectionTrait>(db: &C, row: events::ActiveModel) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

pub async fn events<C: ConnectionTrait>(db: &C, booking_id: Uuid) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::BookingId.eq(booking_id))
        .order_by_asc(events::Column::At)
        .order_by_asc(events::Column::Id)
        .all(db)
        .await
}

/// Who may see which bookings: a client their own, a staff member their own appointments,
/// an admin all. Decided in the query, so "not yours" and "not found" are the same 404.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    Client(Uuid),
    /// `None`: a staff account without a profile, which has no appointments.
    Staff(Option<Uuid>),
}

pub fn scoped(scope: Scope) -> Select<bookings::Entity> {
    let q = bookings::Entity::find();
    match scope {
        Scope::All => q,
        Scope::Client(id) => q.filter(bookings::Column::ClientId.eq(id)),
        Scope::Staff(Some(id)) => q.filter(bookings::Column::StaffId.eq(id)),
        Scope::Staff(None) => q.filter(bookings::Column::Id.is_null()),
    }
}

pub async fn find_scoped<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    id: Uuid,
) -> Result<Option<bookings::Model>, DbErr> {
    scoped(scope).filter(bookings::Column::Id.eq(id)).one(db).await
}

pub struct BookingFilter {
    pub status: Option<&'static str>,
    pub staff_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub fn list(scope: Scope, f: &BookingFilter) -> Select<bookings::Entity> {
    let mut q = scoped(scope);
    if let Some(status) = f.status {
        q = q.filter(bookings::Column::Status.eq(status));
    }
    if let Some(staff_id) = f.staff_id {
        q = q.filter(bookings::Column::StaffId.eq(staff_id));
    }
    if let Some(client_id) = f.client_id {
        q = q.filter(bookings::Column::ClientId.eq(client_id));
    }
    if let Some(from) = f.from {
        q = q.filter(bookings::Column::EndAt.gt(from));
    }
    if let Some(to) = f.to {
        q = q.filter(bookings::Column::StartAt.lt(to));
    }
    q.order_by_asc(bookings::Column::StartAt).order_by_asc(bookings::Column::Id)
}

/// Whether a staff member holds an active booking that has not ended yet.
pub async fn has_future_active<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(bookings::Entity::find()
        .filter(bookings::Column::StaffId.eq(staff_id))
        .filter(bookings::Column::Status.is_in(["pending", "confirmed"]))
        .filter(bookings::Column::EndAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

pub async fn find_idempotent<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    key: &str,
) -> Result<Option<idempotency_keys::Model>, DbErr> {
    idempotency_keys::Entity::find_by_id((user_id, key.to_owned())).one(db).await
}

pub async fn insert_idempotent<C: ConnectionTrait>(
    db: &C,
    row: idempotency_keys::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}
