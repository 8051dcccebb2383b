//! `salon load-dataset`: the standard benchmark dataset, loaded with bulk inserts (one
//! password hash shared by every generated account, multi-row INSERTs in large transactions):
//! 20 staff with weekly hours, 50 services all assigned to everyone, 10,000 clients,
//! 100,000 past bookings (about 5 % cancelled) and the next 14 days half booked; 300
//! products (one in six backbar only) with recipes for a fifth of the services, a year of
//! retail sales (20,000, one to three lines each) and the backbar use of every completed
//! booking, all in the stock ledger (whose sums are the levels).

use anyhow::{Context, bail};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use uuid::Uuid;

use crate::auth::password;
use crate::entity::{
    booking_blocks, booking_events, bookings, products, service_categories, services, staff,
    staff_schedule_intervals, staff_services, users,
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
    pub products: usize,
    /// Retail sales over the past year.
    pub sales: usize,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            staff: 20,
            services: 50,
            clients: 10_000,
            past_bookings: 100_000,
            future_days: 14,
            products: 300,
            sales: 20_000,
        }
    }
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub users: usize,
    pub bookings: usize,
    pub products: usize,
    pub sales: usize,
    pub movements: usize,
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
            deposit_cents: None,
            deposit_percent: None,
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
    let staff_user: std::collections::HashMap<Uuid, Uuid> =
        staff_ids.iter().copied().zip(staff_users.iter().copied()).collect();
    let stock = retail(&txn, &settings, size, &service_rows, &rows, &clients, &staff_user, now).await?;
    insert_chunks(&txn, rows.into_iter().map(bookings::ActiveModel::from).collect())
        .await
        .context("bookings")?;
    insert_chunks(&txn, blocks).await.context("booking blocks")?;
    insert_chunks(&txn, events).await.context("booking events")?;
    txn.commit().await?;
    Ok(Loaded {
        users: n_users,
        bookings: total,
        products: size.products,
        sales: stock.0,
        movements: stock.1,
    })
}

/// One change of stock, before the ledger's balances are known.
struct Event {
    at: chrono::DateTime<Utc>,
    product: usize,
    delta: i64,
    reason: &'static str,
    actor: Uuid,
    sale_id: Option<Uuid>,
    booking_id: Option<Uuid>,
}

/// Products, recipes, a year of sales and the backbar use of `bookings`, as ledger movements
/// in time order from one delivery before the first of them; returns (sales, movements).
#[allow(clippy::too_many_arguments)]
async fn retail<C: sea_orm::ConnectionTrait>(
    txn: &C,
    salon: &crate::entity::settings::Model,
    size: Size,
    service_rows: &[services::Model],
    bookings: &[bookings::Model],
    clients: &[Uuid],
    staff_user: &std::collections::HashMap<Uuid, Uuid>,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<(usize, usize)> {
    use rand::{Rng, SeedableRng};
    const CATEGORIES: [&str; 5] = ["Hair care", "Styling", "Colour", "Nails", "Skin"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let year_ago = now - Duration::days(366);
    let mut products: Vec<products::Model> = (0..size.products)
        .map(|i| {
            let retail = i % 6 != 5;
            products::Model {
                id: Uuid::now_v7(),
                sku: format!("P-{i:04}"),
                sku_key: format!("p-{i:04}"),
                name: format!("{} product {i}", CATEGORIES[i % 5]),
                brand: Some(format!("Brand {}", i % 12)),
                category: Some(CATEGORIES[i % 5].into()),
                description: None,
                cost_cents: 300 + (i as i64 % 40) * 25,
                price_cents: if retail { 900 + (i as i64 % 40) * 60 } else { 0 },
                tax_rate_bp: None,
                reorder_threshold: 5,
                reorder_quantity: Some(24),
                barcode: None,
                retail,
                active: true,
                on_hand: 0,
                created_at: year_ago,
                updated_at: year_ago,
            }
        })
        .collect();
    let backbar: Vec<usize> = (0..products.len()).filter(|&i| !products[i].retail).collect();
    let sellable: Vec<usize> = (0..products.len()).filter(|&i| products[i].retail).collect();
    // A fifth of the services use two backbar products.
    let mut recipes: std::collections::HashMap<Uuid, Vec<(usize, i64)>> = std::collections::HashMap::new();
    if !backbar.is_empty() {
        for (i, s) in service_rows.iter().enumerate().filter(|(i, _)| i % 5 == 2) {
            let first = backbar[i % backbar.len()];
            let second = backbar[(i + 7) % backbar.len()];
            let mut items = vec![(first, 1)];
            if second != first {
                items.push((second, 2));
            }
            recipes.insert(s.id, items);
        }
    }
    let mut events = Vec::new();
    for b in bookings.iter().filter(|b| b.status == "completed") {
        for &(product, quantity) in recipes.get(&b.service_id).into_iter().flatten() {
            events.push(Event {
                at: b.end_at,
                product,
                delta: -quantity,
                reason: "service_use",
                actor: staff_user.get(&b.staff_id).copied().unwrap_or(b.created_by),
                sale_id: None,
                booking_id: Some(b.id),
            });
        }
    }
    let seller = staff_user.values().next().copied().context("the dataset has staff")?;
    let mut sales_rows = Vec::new();
    let mut lines = Vec::new();
    for _ in 0..if sellable.is_empty() { 0 } else { size.sales } {
        let day = now - Duration::days(rng.gen_range(1..=365));
        let at = day
            .date_naive()
            .and_hms_opt(rng.gen_range(9..19), rng.gen_range(0..60), 0)
            .expect("time")
            .and_utc();
        let sale_id = Uuid::now_v7();
        let mut sale = crate::entity::sales::Model {
            id: sale_id,
            client_id: (!clients.is_empty() && rng.gen_bool(0.7))
                .then(|| clients[rng.gen_range(0..clients.len())]),
            subtotal_cents: 0,
            discount_cents: 0,
            tax_cents: 0,
            total_cents: 0,
            paid_cents: 0,
            payment_method: Some(if rng.gen_bool(0.4) { "cash" } else { "card_terminal" }.into()),
            refunded_cents: 0,
            created_by: seller,
            created_at: at,
        };
        for line_no in 1..=rng.gen_range(1..=3) {
            let product = sellable[rng.gen_range(0..sellable.len())];
            let p = &products[product];
            let quantity = rng.gen_range(1..=2);
            let rate = salon.tax_rate_bp;
            let (tax, total) =
                crate::sales::service::tax_line(p.price_cents * quantity, rate, salon.prices_include_tax);
            sale.subtotal_cents += p.price_cents * quantity;
            sale.tax_cents += tax;
            sale.total_cents += total;
            lines.push(crate::entity::sale_lines::ActiveModel {
                id: Set(Uuid::now_v7()),
                sale_id: Set(sale_id),
                line_no: Set(line_no),
                product_id: Set(p.id),
                sku: Set(p.sku.clone()),
                name: Set(p.name.clone()),
                quantity: Set(quantity),
                unit_price_cents: Set(p.price_cents),
                discount_cents: Set(0),
                tax_rate_bp: Set(rate),
                tax_cents: Set(tax),
                total_cents: Set(total),
                returned_quantity: Set(0),
            });
            events.push(Event {
                at,
                product,
                delta: -quantity,
                reason: "sale",
                actor: seller,
                sale_id: Some(sale_id),
                booking_id: None,
            });
        }
        sale.paid_cents = sale.total_cents;
        sales_rows.push(crate::entity::sales::ActiveModel::from(sale));
    }
    // One delivery before the first use covers it all and leaves 0 to 60 on the shelf.
    let delivered =
        events.iter().map(|e| e.at).min().map_or(year_ago, |first| first.min(year_ago)) - Duration::days(1);
    let mut used = vec![0i64; products.len()];
    for e in &events {
        used[e.product] -= e.delta;
    }
    for (i, used) in used.into_iter().enumerate() {
        let left = rng.gen_range(0..=60);
        events.push(Event {
            at: delivered,
            product: i,
            delta: used + left,
            reason: "receive",
            actor: seller,
            sale_id: None,
            booking_id: None,
        });
    }
    events.sort_by_key(|e| e.at);
    let mut movements = Vec::with_capacity(events.len());
    for e in &events {
        let p = &mut products[e.product];
        p.on_hand += e.delta;
        movements.push(crate::entity::stock_movements::ActiveModel {
            id: Set(Uuid::now_v7()),
            product_id: Set(p.id),
            delta: Set(e.delta),
            balance: Set(p.on_hand),
            reason: Set(e.reason.into()),
            note: Set(None),
            actor_id: Set(Some(e.actor)),
            sale_id: Set(e.sale_id),
            booking_id: Set(e.booking_id),
            created_at: Set(e.at),
        });
    }
    let recipe_rows: Vec<_> = recipes
        .iter()
        .flat_map(|(service, items)| {
            let products = &products;
            items.iter().map(move |&(p, quantity)| crate::entity::service_products::ActiveModel {
                service_id: Set(*service),
                product_id: Set(products[p].id),
                quantity: Set(quantity),
            })
        })
        .collect();
    let (n_sales, n_movements) = (sales_rows.len(), movements.len());
    insert_chunks(txn, products.into_iter().map(products::ActiveModel::from).collect())
        .await
        .context("products")?;
    insert_chunks(txn, recipe_rows).await.context("recipes")?;
    insert_chunks(txn, sales_rows).await.context("sales")?;
    insert_chunks(txn, lines).await.context("sale lines")?;
    insert_chunks(txn, movements).await.context("stock movements")?;
    Ok((n_sales, n_movements))
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
        deposit_cents: None,
        hold_until: None,
    }
}
