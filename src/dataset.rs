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
    let mut rows = past_visits(&service_rows, &clients, &staff_ids, &hours, today, size.past_bookings);
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
            channel: Set("api".into()),
        })
        .collect();
    let staff_user: std::collections::HashMap<Uuid, Uuid> =
        staff_ids.iter().copied().zip(staff_users.iter().copied()).collect();
    let stock = retail(&txn, &settings, size, &service_rows, &rows, &staff_user, now).await?;
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
    // Who buys what: seven sales in ten are to a client at the end of a visit in the last year
    // (so who comes often buys often). A client's line is, 35 % of the time, their favourite
    // product of the category that goes with the visit's service (service category k goes with
    // product category k), 40 % another product of that category, 25 % anything; products are
    // not equally popular (1/rank). Walk-ins buy anything.
    let service_index: std::collections::HashMap<Uuid, usize> =
        service_rows.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let visits: Vec<&bookings::Model> =
        bookings.iter().filter(|b| b.status == "completed" && b.start_at > year_ago).collect();
    let by_category: Vec<Vec<usize>> =
        (0..5).map(|c| sellable.iter().copied().filter(|i| i % 5 == c).collect()).collect();
    let popular = |n: usize| -> Vec<f64> { (0..n).map(|r| 1.0 / (r as f64 + 1.0)).collect() };
    let mut favourites: std::collections::HashMap<(Uuid, usize), usize> = std::collections::HashMap::new();
    let mut sales_rows = Vec::new();
    let mut lines = Vec::new();
    for _ in 0..if sellable.is_empty() { 0 } else { size.sales } {
        let visit = (!visits.is_empty() && rng.gen_bool(0.7)).then(|| visits[rng.gen_range(0..visits.len())]);
        let at = match visit {
            Some(b) => b.end_at + Duration::minutes(rng.gen_range(1..15)),
            None => (now - Duration::days(rng.gen_range(1..=365)))
                .date_naive()
                .and_hms_opt(rng.gen_range(9..19), rng.gen_range(0..60), 0)
                .expect("time")
                .and_utc(),
        };
        let category = visit.map(|b| service_index.get(&b.service_id).copied().unwrap_or(0) % 5);
        let sale_id = Uuid::now_v7();
        let mut sale = crate::entity::sales::Model {
            id: sale_id,
            client_id: visit.map(|b| b.client_id),
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
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..rng.gen_range(1..=3) {
            let anything = |rng: &mut rand::rngs::StdRng| sellable[pick(rng, &popular(sellable.len()))];
            let product = match (visit, category) {
                (Some(b), Some(k)) if !by_category[k].is_empty() => {
                    let of_category = &by_category[k];
                    match rng.gen_range(0..100) {
                        0..35 => *favourites
                            .entry((b.client_id, k))
                            .or_insert_with(|| of_category[pick(&mut rng, &popular(of_category.len()))]),
                        35..75 => of_category[pick(&mut rng, &popular(of_category.len()))],
                        _ => anything(&mut rng),
                    }
                }
                _ => anything(&mut rng),
            };
            if chosen.contains(&product) {
                continue;
            }
            chosen.push(product);
            let line_no = chosen.len() as i32;
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

/// What kind of client: how often and how regularly they come.
#[derive(Clone, Copy)]
enum Habit {
    /// Every 3 to 8 weeks, give or take 15 %.
    Regular,
    /// Every 2 to 6 months, give or take 35 %.
    Occasional,
    /// One or two seasons a year (before summer, before the holidays...), two or three visits
    /// two to four weeks apart in each, nothing in between.
    Seasonal,
}

/// A weighted pick: index `i` with probability proportional to `weights[i]`.
fn pick(rng: &mut impl rand::Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// `size` past bookings, from clients with habits (see [`Habit`]): each client has a home
/// category (some categories are busier than others), a main service in it (services within a
/// category are not equally popular), for half of them a second service they take now and
/// then, and a tenth of their visits go to something else. Visits are generated over the last
/// 1,000 days, then placed, most recent first, on the nearest day with a free staff hour (the
/// salon is open Monday to Saturday, nine hours a day); older ones beyond `size` are dropped.
/// About 5 % are cancelled.
fn past_visits(
    services: &[services::Model],
    clients: &[Uuid],
    staff_ids: &[Uuid],
    hours: &[u32],
    today: NaiveDate,
    size: usize,
) -> Vec<bookings::Model> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    if services.is_empty() || clients.is_empty() || staff_ids.is_empty() || size == 0 {
        return Vec::new();
    }
    const SPAN: i64 = 1_000;
    const CATEGORY_WEIGHTS: [f64; 5] = [35.0, 25.0, 20.0, 12.0, 8.0];
    // Services by category (service i is in category i % 5), most popular first.
    let by_category: Vec<Vec<usize>> =
        (0..5).map(|c| (0..services.len()).filter(|i| i % 5 == c).collect()).collect();
    let within = |n: usize| -> Vec<f64> { (0..n).map(|r| 1.0 / (r as f64 + 1.0)).collect() };
    let global: Vec<f64> =
        (0..services.len()).map(|i| CATEGORY_WEIGHTS[i % 5] / (i / 5 + 1) as f64).collect();
    let start = today - Duration::days(SPAN);
    // (day, client, service)
    let mut visits: Vec<(NaiveDate, usize, usize)> = Vec::new();
    for client in 0..clients.len() {
        let habit = match rng.gen_range(0..10) {
            0..=2 => Habit::Regular,
            3..=7 => Habit::Occasional,
            _ => Habit::Seasonal,
        };
        let home = pick(&mut rng, &CATEGORY_WEIGHTS);
        let home_services = if by_category[home].is_empty() { &by_category[0] } else { &by_category[home] };
        let main = home_services[pick(&mut rng, &within(home_services.len()))];
        let second = rng.gen_bool(0.5).then(|| {
            if rng.gen_bool(0.4) && home_services.len() > 1 {
                home_services[pick(&mut rng, &within(home_services.len()))]
            } else {
                pick(&mut rng, &global)
            }
        });
        let second_share = rng.gen_range(0.2..0.45);
        let choose = |rng: &mut rand::rngs::StdRng| {
            if rng.gen_bool(0.1) {
                pick(rng, &global)
            } else {
                match second {
                    Some(s) if rng.gen_bool(second_share) => s,
                    _ => main,
                }
            }
        };
        let mut days: Vec<NaiveDate> = Vec::new();
        match habit {
            Habit::Regular | Habit::Occasional => {
                let (base, spread) = match habit {
                    Habit::Regular => (rng.gen_range(21..=56) as f64, 0.15),
                    _ => (rng.gen_range(60..=180) as f64, 0.35),
                };
                let mut day = start + Duration::days(rng.gen_range(0..base as i64));
                while day < today {
                    days.push(day);
                    let gap = (base * (1.0 + rng.gen_range(-spread..spread))).round().max(14.0);
                    day += Duration::days(gap as i64);
                }
            }
            Habit::Seasonal => {
                let seasons: Vec<u32> = if rng.gen_bool(0.5) {
                    vec![rng.gen_range(1..=12)]
                } else {
                    let m = rng.gen_range(1..=6);
                    vec![m, m + 6]
                };
                for year in (start.year())..=today.year() {
                    for &month in &seasons {
                        let Some(first) = NaiveDate::from_ymd_opt(year, month, rng.gen_range(1..=20)) else {
                            continue;
                        };
                        let mut day = first;
                        for _ in 0..rng.gen_range(2..=3) {
                            if day >= start && day < today {
                                days.push(day);
                            }
                            day += Duration::days(rng.gen_range(14..=28));
                        }
                    }
                }
            }
        }
        for day in days {
            visits.push((day, client, choose(&mut rng)));
        }
    }
    // Most recent first, onto the nearest open day with a free hour (never today or later).
    visits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let capacity = staff_ids.len() * hours.len();
    let mut used: std::collections::HashMap<NaiveDate, Vec<bool>> = std::collections::HashMap::new();
    let mut client_days: std::collections::HashSet<(usize, NaiveDate)> = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(size);
    for (want, client, service) in visits {
        if rows.len() == size {
            break;
        }
        let placed = (0..30i64).flat_map(|k| [k, -k - 1]).map(|k| want + Duration::days(k)).find(|day| {
            *day < today
                && day.weekday().number_from_monday() <= 6
                && !client_days.contains(&(client, *day))
                && used.get(day).is_none_or(|slots| slots.iter().any(|u| !u))
        });
        let Some(day) = placed else { continue };
        let slots = used.entry(day).or_insert_with(|| vec![false; capacity]);
        let free: Vec<usize> = (0..capacity).filter(|&i| !slots[i]).collect();
        let slot = free[rng.gen_range(0..free.len())];
        slots[slot] = true;
        client_days.insert((client, day));
        let status = if rng.gen_bool(0.05) { "cancelled" } else { "completed" };
        let (staff, hour) = (slot / hours.len(), hours[slot % hours.len()]);
        rows.push(booking(services, &staff_ids[staff], clients[client], service, day, hour, status));
    }
    rows
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
