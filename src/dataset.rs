//! `salon load-dataset`: the standard benchmark dataset, loaded with bulk inserts (one
//! password hash shared by every generated account, multi-row INSERTs in large transactions):
//! 20 staff with weekly hours, 50 services all assigned to everyone, 10,000 clients,
//! 100,000 past bookings (about 5 % cancelled) and the next 14 days half booked.

use anyhow::{Context, bail};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use uuid::Uuid;

use crate::auth::password;
use crate::entity::{
    booking_blocks, booking_events, bookings, service_categories, services, staff, staff_schedule_intervals,
    staff_services, users,
};

/// The password of every generated account (admin, staff, clients).
pub const PASSWORD: &str = "bench-password";
pub const ADMIN_EMAIL: &str = "admin@bench.example";

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub staff: usize,
    pub services: usize,
    pub clients: usize,
    pub past_bookings: usize,
    /// Days ahead that are half booked.
    pub future_days: i64,
}

impl Default for Size {
    fn default() -> Self {
        Size { staff: 20, services: 50, clients: 10_000, past_bookings: 100_000, future_days: 14 }
    }
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub users: usize,
    pub bookings: usize,
}

/// Rows per multi-row INSERT: under SQLite's 32,766 bound parameters for the widest table.
const CHUNK: usize = 1_000;

async fn insert_chunks<A, C>(db: &C, rows: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
    C: sea_orm::ConnectionTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Working hours: Monday to Saturday, 09:00-13:00 and 14:00-19:00.
const HOURS: [(i16, i16); 2] = [(9 * 60, 13 * 60), (14 * 60, 19 * 60)];

/// Loads the dataset into a database that has no bookings yet.
///
/// # Errors
/// A database that already holds bookings; database failures.
pub async fn load(db: &DatabaseConnection, size: Size) -> anyhow::Result<Loaded> {
    if bookings::Entity::find().count(db).await? > 0 {
        bail!("the database already holds bookings; load the dataset into an empty database");
    }
    let settings = crate::settings::store::get(db).await?;
    if settings.timezone != "UTC" {
        bail!("the dataset is laid out in UTC; run it on a database whose settings.timezone is UTC");
    }
    let hash = password::hash(PASSWORD.into()).await?;
    let now = Utc::now();
    let txn = db.begin().await?;

    let user = |email: String, name: String, role: &str| users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        password_hash: Set(hash.clone()),
        full_name: Set(name),
        phone: Set(None),
        role: Set(role.into()),
        is_active: Set(true),
        notify_email: Set(true),
        notify_sms: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let mut accounts = vec![user(ADMIN_EMAIL.into(), "Bench Admin".into(), "admin")];
    let staff_users: Vec<Uuid> = (0..size.staff)
        .map(|i| {
            let u = user(format!("staff{i}@bench.example"), format!("Stylist {i}"), "staff");
            let id = *u.id.as_ref();
            accounts.push(u);
            id
        })
        .collect();
    let clients: Vec<Uuid> = (0..size.clients)
        .map(|i| {
            let u = user(format!("client{i}@bench.example"), format!("Client {i}"), "client");
            let id = *u.id.as_ref();
            accounts.push(u);
            id
        })
        .collect();
    let n_users = accounts.len();
    insert_chunks(&txn, accounts).await.context("users")?;

    let staff_ids: Vec<Uuid> = staff_users.iter().map(|_| Uuid::now_v7()).collect();
    let profiles = staff_ids.iter().zip(&staff_users).enumerate().map(|(i, (id, user))| staff::ActiveModel {
        id: Set(*id),
        user_id: Set(*user),
        display_name: Set(format!("Stylist {i}")),
        bio: Set(None),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    });
    insert_chunks(&txn, profiles.collect()).await.context("staff")?;
    let intervals = staff_ids.iter().flat_map(|id| {
        (1..=6).flat_map(move |weekday| {
            HOURS.iter().map(move |(start, end)| staff_schedule_intervals::ActiveModel {
                id: Set(Uuid::now_v7()),
                staff_id: Set(*id),
                weekday: Set(weekday),
                start_minute: Set(*start),
                end_minute: Set(*end),
            })
        })
    });
    insert_chunks(&txn, intervals.collect()).await.context("schedules")?;

    let categories: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    let category_rows = categories.iter().enumerate().map(|(i, id)| service_categories::ActiveModel {
        id: Set(*id),
        name: Set(format!("Category {i}")),
        name_key: Set(format!("category {i}")),
        description: Set(None),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    });
    insert_chunks(&txn, category_rows.collect()).await.context("categories")?;
    // Durations of 30, 45 or 60 minutes with buffers of 0-15: every block fits in an hour.
    let service_rows: Vec<services::Model> = (0..size.services)
        .map(|i| services::Model {
            id: Uuid::now_v7(),
            category_id: Some(categories[i % categories.len()]),
            name: format!("Service {i}"),
            description: None,
            duration_minutes: [30, 45, 30][i % 3],
            buffer_minutes: [0, 5, 10, 15][i % 4].min(60 - [30, 45, 30][i % 3]),
            price_cents: 2000 + (i as i64) * 150,
            is_active: true,
            created_at: now,
            updated_at: now,
        })
        .collect();
    insert_chunks(&txn, service_rows.iter().cloned().map(services::ActiveModel::from).collect())
        .await
        .context("services")?;
    let assignments = staff_ids.iter().flat_map(|staff_id| {
        service_rows.iter().map(move |s| staff_services::ActiveModel {
            id: Set(Uuid::now_v7()),
            staff_id: Set(*staff_id),
            service_id: Set(s.id),
            price_cents: Set(None),
            duration_minutes: Set(None),
            created_at: Set(now),
        })
    });
    insert_chunks(&txn, assignments.collect()).await.context("assignments")?;

    // Bookings on the hour within working hours: 9 a day per staff member, Monday to Saturday.
    let hours: Vec<u32> = HOURS.iter().flat_map(|(s, e)| (*s / 60..*e / 60).map(|h| h as u32)).collect();
    let today = now.date_naive();
    let mut rows: Vec<bookings::Model> = Vec::new();
    let mut n = 0usize;
    // Past: walk back day by day until there are enough.
    let mut day = today - Duration::days(1);
    while n < size.past_bookings {
        if day.weekday().number_from_monday() <= 6 {
            for &hour in &hours {
                for (s, staff_id) in staff_ids.iter().enumerate() {
                    if n == size.past_bookings {
                        break;
                    }
                    let status = if n % 20 == 7 { "cancelled" } else { "completed" };
                    rows.push(booking(
                        &service_rows,
                        staff_id,
                        clients[n % clients.len()],
                        s + n,
                        day,
                        hour,
                        status,
                    ));
                    n += 1;
                }
            }
        }
        day -= Duration::days(1);
    }
    // Future: every other hour of the next days booked (alternating per staff member), with
    // clients chosen so that no client holds two bookings at one time.
    let mut f = 0usize;
    for d in 1..=size.future_days {
        let day = today + Duration::days(d);
        if day.weekday().number_from_monday() > 6 {
            continue;
        }
        for (h, &hour) in hours.iter().enumerate() {
            for (s, staff_id) in staff_ids.iter().enumerate() {
                if (h + s) % 2 == 0 {
                    let client = clients[(f * 7919) % clients.len()];
                    rows.push(booking(&service_rows, staff_id, client, s + h, day, hour, "confirmed"));
                    f += 1;
                }
            }
        }
    }
    let total = rows.len();
    let blocks = rows.iter().map(|b| {
        let buffer = service_rows.iter().find(|s| s.id == b.service_id).map_or(0, |s| s.buffer_minutes);
        booking_blocks::ActiveModel {
            id: Set(Uuid::now_v7()),
            booking_id: Set(b.id),
            staff_id: Set(b.staff_id),
            start_at: Set(b.start_at),
            end_at: Set(b.end_at + Duration::minutes(buffer.into())),
            active: Set(b.status == "confirmed"),
        }
    });
    let blocks: Vec<_> = blocks.collect();
    let events: Vec<_> = rows
        .iter()
        .map(|b| booking_events::ActiveModel {
            id: Set(Uuid::now_v7()),
            booking_id: Set(b.id),
            at: Set(b.created_at),
            actor_id: Set(b.client_id),
            kind: Set("created".into()),
            old_value: Set(None),
            new_value: Set(Some(format!(r#"{{"status":"{}"}}"#, b.status))),
            reason: Set(None),
        })
        .collect();
    insert_chunks(&txn, rows.into_iter().map(bookings::ActiveModel::from).collect())
        .await
        .context("bookings")?;
    insert_chunks(&txn, blocks).await.context("booking blocks")?;
    insert_chunks(&txn, events).await.context("booking events")?;
    txn.commit().await?;
    Ok(Loaded { users: n_users, bookings: total })
}

fn booking(
    services: &[services::Model],
    staff_id: &Uuid,
    client: Uuid,
    pick: usize,
    day: NaiveDate,
    hour: u32,
    status: &str,
) -> bookings::Model {
    let service = &services[pick % services.len()];
    let start = day.and_hms_opt(hour, 0, 0).expect("valid hour").and_utc();
    bookings::Model {
        id: Uuid::now_v7(),
        service_id: service.id,
        staff_id: *staff_id,
        client_id: client,
        start_at: start,
        end_at: start + Duration::minutes(service.duration_minutes.into()),
        status: status.into(),
        price_cents: service.price_cents,
        notes: None,
        created_by: client,
        created_at: start - Duration::days(7),
        updated_at: start - Duration::days(7),
    }
}
