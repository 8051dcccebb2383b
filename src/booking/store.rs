//! Booking queries. What availability needs is loaded in a fixed number of queries, whatever
//! the number of staff members or days: settings, service, assignments, and the calendars
//! (schedules, time off and busy blocks together).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{
    CommonTableExpression, Condition, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType,
    WithClause,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, QueryFilter, QueryOrder, QueryTrait, Select, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::engine::Span;
use crate::entity::{
    booking_blocks as blocks, booking_events as events, bookings, idempotency_keys, services, settings,
    staff, staff_schedule_intervals as hours, staff_services, staff_time_off as time_off, users,
};
use crate::staff::model::Interval;

/// What every booking question starts from: the salon's settings, the service, and its
/// assignments to active staff members (optionally to one of them).
pub struct Context {
    pub settings: settings::Model,
    pub service: services::Model,
    pub assignments: Vec<staff_services::Model>,
    /// Whether the user asked about (the client of a booking made by staff) is active;
    /// `None` when none was asked about.
    pub client_active: Option<bool>,
}

/// Every column of `E`, each named `{prefix}{column}`, so that several entities can share one
/// row and each be read back with `FromQueryResult::from_query_result(row, prefix)`.
pub(crate) fn select_prefixed<E: EntityTrait>(q: &mut SelectStatement, entity: E, prefix: &str) {
    for column in E::Column::iter() {
        q.expr_as(Expr::col((entity, column)), format!("{prefix}{}", column.as_str()));
    }
}

/// The booking context in one query (the settings row, the service, and its qualified staff
/// members' assignments, left-joined; and whether `client` is an active user, when given);
/// `None` when there is no such service.
pub async fn context<C: ConnectionTrait>(
    db: &C,
    service_id: Uuid,
    staff_id: Option<Uuid>,
    client: Option<Uuid>,
) -> Result<Option<Context>, DbErr> {
    let mut q = Query::select();
    select_prefixed(&mut q, services::Entity, "s_");
    select_prefixed(&mut q, settings::Entity, "c_");
    select_prefixed(&mut q, staff_services::Entity, "a_");
    if let Some(client) = client {
        let active = Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .and_where(users::Column::Id.eq(client))
            .and_where(users::Column::IsActive.eq(true))
            .to_owned();
        q.expr_as(Expr::exists(active), CLIENT_ACTIVE);
    }
    let mut qualified = Condition::all()
        .add(
            Expr::col((staff_services::Entity, staff_services::Column::ServiceId))
                .equals((services::Entity, services::Column::Id)),
        )
        .add(
            Expr::col((staff_services::Entity, staff_services::Column::StaffId))
                .in_subquery(active_staff_ids()),
        );
    if let Some(staff_id) = staff_id {
        qualified =
            qualified.add(Expr::col((staff_services::Entity, staff_services::Column::StaffId)).eq(staff_id));
    }
    q.from(services::Entity)
        .join(
            JoinType::InnerJoin,
            settings::Entity,
            Expr::col((settings::Entity, settings::Column::Id)).eq(1),
        )
        .join(JoinType::LeftJoin, staff_services::Entity, qualified)
        .and_where(Expr::col((services::Entity, services::Column::Id)).eq(service_id))
        .order_by((staff_services::Entity, staff_services::Column::StaffId), Order::Asc);
    let rows = db.query_all(&q).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let mut context = Context {
        settings: settings::Model::from_query_result(first, "c_")?,
        service: services::Model::from_query_result(first, "s_")?,
        assignments: Vec::with_capacity(rows.len()),
        client_active: match client {
            Some(_) => Some(first.try_get::<bool>("", CLIENT_ACTIVE)?),
            None => None,
        },
    };
    for row in &rows {
        if row.try_get::<Option<Uuid>>("a_", staff_services::Column::Id.as_str())?.is_some() {
            context.assignments.push(staff_services::Model::from_query_result(row, "a_")?);
        }
    }
    Ok(Some(context))
}

const CLIENT_ACTIVE: &str = "client_active";

/// `SELECT id FROM staff WHERE is_active`: who can be booked at all.
fn active_staff_ids() -> SelectStatement {
    Query::select()
        .column(staff::Column::Id)
        .from(staff::Entity)
        .and_where(staff::Column::IsActive.eq(true))
        .to_owned()
}

/// Assignments of `service_id` to active staff members (optionally one of them).
pub async fn qualified<C: ConnectionTrait>(
    db: &C,
    service_id: Uuid,
    staff_id: Option<Uuid>,
) -> Result<Vec<staff_services::Model>, DbErr> {
    let mut q = staff_services::Entity::find()
        .filter(staff_services::Column::ServiceId.eq(service_id))
        .filter(staff_services::Column::StaffId.in_subquery(active_staff_ids()));
    if let Some(staff_id) = staff_id {
        q = q.filter(staff_services::Column::StaffId.eq(staff_id));
    }
    q.order_by_asc(staff_services::Column::StaffId).all(db).await
}

/// What availability needs of each staff member's calendar.
#[derive(Debug, Default)]
pub struct CalendarRows {
    pub week: Vec<Interval>,
    pub time_off: Vec<Span>,
    /// Sorted by start.
    pub busy: Vec<Span>,
}

/// One row of the calendar query: a working interval, a time-off entry or a busy block.
#[derive(Debug, FromQueryResult)]
struct CalendarRow {
    kind: i32,
    staff_id: Uuid,
    weekday: Option<i16>,
    start_minute: Option<i16>,
    end_minute: Option<i16>,
    start_at: Option<DateTime<Utc>>,
    end_at: Option<DateTime<Utc>>,
}

const WEEK: i32 = 1;
const TIME_OFF: i32 = 2;
const BUSY: i32 = 3;

/// The calendars of `staff_ids` in one round trip (a `UNION ALL` of three selects): working
/// hours on `weekdays`, time off and active busy blocks overlapping `window`, leaving out
/// `except`'s own blocks.
pub async fn calendars<C: ConnectionTrait>(
    db: &C,
    staff_ids: &[Uuid],
    weekdays: &[i16],
    window: Span,
    except: Option<Uuid>,
) -> Result<HashMap<Uuid, CalendarRows>, DbErr> {
    let null = || Expr::cust("NULL");
    let mut week = Query::select();
    week.expr_as(Expr::val(WEEK), "kind")
        .columns([
            hours::Column::StaffId,
            hours::Column::Weekday,
            hours::Column::StartMinute,
            hours::Column::EndMinute,
        ])
        .expr_as(null(), "start_at")
        .expr_as(null(), "end_at")
        .from(hours::Entity)
        .and_where(hours::Column::StaffId.is_in(staff_ids.to_vec()))
        .and_where(hours::Column::Weekday.is_in(weekdays.to_vec()));
    let mut off = Query::select();
    off.expr(Expr::val(TIME_OFF))
        .column(time_off::Column::StaffId)
        .exprs([null(), null(), null()])
        .columns([time_off::Column::StartAt, time_off::Column::EndAt])
        .from(time_off::Entity)
        .and_where(time_off::Column::StaffId.is_in(staff_ids.to_vec()))
        .and_where(time_off::Column::StartAt.lt(window.end))
        // An entry lasts at most 366 days: a lower bound on the start lets the index stop.
        .and_where(time_off::Column::StartAt.gt(window.start - Duration::days(367)))
        .and_where(time_off::Column::EndAt.gt(window.start));
    let mut busy = Query::select();
    busy.expr(Expr::val(BUSY))
        .column(blocks::Column::StaffId)
        .exprs([null(), null(), null()])
        .columns([blocks::Column::StartAt, blocks::Column::EndAt])
        .from(blocks::Entity)
        .and_where(blocks::Column::StaffId.is_in(staff_ids.to_vec()))
        .and_where(blocks::Column::Active.eq(true))
        .and_where(blocks::Column::StartAt.lt(window.end))
        // A block lasts at most 16 hours (12-hour service, 4-hour buffer): with a lower bound
        // on the start, the index range is the window, not all history.
        .and_where(blocks::Column::StartAt.gt(window.start - Duration::days(1)))
        .and_where(blocks::Column::EndAt.gt(window.start));
    if let Some(booking) = except {
        busy.and_where(blocks::Column::BookingId.ne(booking));
    }
    week.union(UnionType::All, off).union(UnionType::All, busy);

    let rows = CalendarRow::find_by_statement(db.get_database_backend().build(&week)).all(db).await?;
    let mut map: HashMap<Uuid, CalendarRows> = HashMap::new();
    for r in rows {
        let entry = map.entry(r.staff_id).or_default();
        match (r.kind, r.weekday, r.start_minute, r.end_minute, r.start_at, r.end_at) {
            (WEEK, Some(weekday), Some(start), Some(end), _, _) => {
                entry.week.push(Interval { weekday, start, end })
            }
            (TIME_OFF, _, _, _, Some(start), Some(end)) => entry.time_off.push(Span { start, end }),
            (BUSY, _, _, _, Some(start), Some(end)) => entry.busy.push(Span { start, end }),
            _ => return Err(DbErr::Custom(format!("unexpected calendar row {r:?}"))),
        }
    }
    for entry in map.values_mut() {
        entry.busy.sort_by_key(|b| b.start);
    }
    Ok(map)
}

/// The rows a new booking is made of.
pub struct NewBooking {
    pub booking: bookings::ActiveModel,
    pub block: blocks::ActiveModel,
    pub event: events::ActiveModel,
    pub key: Option<idempotency_keys::ActiveModel>,
    /// The outbox: jobs that exist exactly when the booking does.
    pub jobs: Vec<sea_orm::sea_query::InsertStatement>,
}

/// Writes a new booking's rows, all or nothing. On PostgreSQL one statement (inserts in `WITH`
/// clauses), which is its own transaction: the exclusion constraints and foreign keys are
/// checked as for separate inserts (with an idempotency key: BEGIN, the key's advisory lock,
/// that statement, COMMIT). On SQLite BEGIN, the inserts as one batch, and COMMIT; the
/// first write takes the single writer lock, so the triggers see every committed booking.
pub async fn insert_new(db: &DatabaseConnection, rows: NewBooking) -> Result<(), DbErr> {
    let NewBooking { booking, block, event, key, jobs } = rows;
    // Requests that share an idempotency key are written one at a time (PostgreSQL), so a
    // retry never races its original into the exclusion constraints, where two inserts of
    // one slot can deadlock and the victim, replaying the key before the survivor commits,
    // would miss it and answer 409. Waiting here, a retry fails on the committed rows instead,
    // and the key is there to replay.
    let key_lock =
        key.as_ref().and_then(|k| Some(format!("{}:{}", k.user_id.try_as_ref()?, k.key.try_as_ref()?)));
    let mut inserts = vec![
        bookings::Entity::insert(booking).into_query(),
        blocks::Entity::insert(block).into_query(),
        events::Entity::insert(event).into_query(),
    ];
    inserts.extend(key.map(|k| idempotency_keys::Entity::insert(k).into_query()));
    inserts.extend(jobs);
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        // PostgreSQL promises no order among data-modifying `WITH` clauses; it runs the ones
        // the main query does not read last-listed first. Listing them in reverse makes the
        // booking row (and its client-overlap constraint) go first, as on SQLite, so a double
        // click gets the client's reason. Correctness does not depend on it: whichever
        // constraint fires, the statement fails whole and is classified.
        let mut with = WithClause::new();
        for (i, insert) in inserts.into_iter().enumerate().rev() {
            with.cte(CommonTableExpression::new().query(insert).table_name(format!("w{i}")).to_owned());
        }
        let write = with.query(Query::select().expr(Expr::val(1)).to_owned());
        let Some(key_lock) = key_lock else {
            db.execute(&write).await?;
            return Ok(());
        };
        let txn = db.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key_lock.into()],
        ))
        .await?;
        txn.execute(&write).await?;
        return txn.commit().await;
    }
    // SQLite runs the statements of one batch in order, binding the anonymous parameters of
    // each from the shared list in turn.
    let (mut sql, mut values) = (String::new(), Vec::new());
    for insert in &inserts {
        let stmt = backend.build(insert);
        sql.push_str(&stmt.sql);
        sql.push_str(";\n");
        values.extend(stmt.values.map(|v| v.0).unwrap_or_default());
    }
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    txn.commit().await
}

pub async fn update_booking<C: ConnectionTrait>(
    db: &C,
    row: bookings::ActiveModel,
) -> Result<bookings::Model, DbErr> {
    row.update(db).await
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

/// A booking's events, oldest first (ids are time-ordered, so they break ties within a tick).
pub fn events_query(booking_id: Uuid) -> sea_orm::Select<events::Entity> {
    events::Entity::find()
        .filter(events::Column::BookingId.eq(booking_id))
        .order_by_asc(events::Column::At)
        .order_by_asc(events::Column::Id)
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
