//! Invoices: issued in the transaction of what they bill (a booking's completion, a retail
//! sale), numbered `YYYY-NNNNNN` without gaps per year (the salon's local year) by a counter row
//! incremented in that same transaction: a rolled-back invoice gives its number back, and on
//! PostgreSQL the row lock orders concurrent invoices across processes (on SQLite, the single
//! writer does).
//!
//! Rounding: each line's tax is rounded half away from zero on its own (see
//! `sales::service::tax_line`); the invoice's totals are the sums of its lines.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Select, Statement,
};
use uuid::Uuid;

use super::model::{InvoiceListQuery, InvoiceView};
use super::receipt::Receipt;
use crate::auth::{CurrentUser, Role};
use crate::entity::{bookings, invoice_lines, invoices, sale_lines, sales, services, settings, users};
use crate::error::{ApiError, ApiResult};
use crate::jobs::store::{NewJob, numbered};
use crate::pagination::{Page, Window, fetch};

/// The job that emails an invoice's receipt to its client.
pub const RECEIPT_JOB: &str = "invoice.receipt";

/// A line to invoice.
pub struct DraftLine {
    pub kind: &'static str,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub discount_cents: i64,
    pub tax_rate_bp: i32,
    pub tax_cents: i64,
    pub total_cents: i64,
}

/// What an invoice bills.
pub struct Draft {
    pub id: Uuid,
    pub booking_id: Option<Uuid>,
    pub sale_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub lines: Vec<DraftLine>,
}

/// The next number of `year`, in `txn`.
async fn next_seq<C: ConnectionTrait>(txn: &C, year: i32) -> Result<i32, DbErr> {
    #[derive(FromQueryResult)]
    struct Last {
        last: i32,
    }
    let backend = txn.get_database_backend();
    let sql = "INSERT INTO invoice_counters (year, last) VALUES ($1, 1) \
               ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last";
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, sql), [year.into()]);
    Last::find_by_statement(stmt)
        .one(txn)
        .await?
        .map(|l| l.last)
        .ok_or_else(|| DbErr::Custom("no invoice number".into()))
}

/// Issues `draft` in `txn`: its number, the invoice and its lines.
///
/// # Errors
/// Database failures.
pub async fn issue<C: ConnectionTrait>(
    txn: &C,
    draft: Draft,
    salon: &settings::Model,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<invoices::Model, DbErr> {
    let tz: chrono_tz::Tz = salon.timezone.parse().unwrap_or(chrono_tz::UTC);
    let year = now.with_timezone(&tz).year();
    let seq = next_seq(txn, year).await?;
    let sum = |f: fn(&DraftLine) -> i64| draft.lines.iter().map(f).sum::<i64>();
    let row = invoices::Model {
        id: draft.id,
        number: format!("{year}-{seq:06}"),
        year,
        seq,
        booking_id: draft.booking_id,
        sale_id: draft.sale_id,
        client_id: draft.client_id,
        currency: salon.currency.clone(),
        subtotal_cents: sum(|l| l.unit_price_cents * l.quantity),
        discount_cents: sum(|l| l.discount_cents),
        tax_cents: sum(|l| l.tax_cents),
        total_cents: sum(|l| l.total_cents),
        created_at: now,
    };
    invoices::Entity::insert(invoices::ActiveModel::from(row.clone())).exec_without_returning(txn).await?;
    let lines = draft.lines.into_iter().enumerate().map(|(i, l)| {
        invoice_lines::ActiveModel::from(invoice_lines::Model {
            id: Uuid::now_v7(),
            invoice_id: row.id,
            line_no: i as i32 + 1,
            kind: l.kind.into(),
            description: l.description.chars().take(300).collect(),
            quantity: l.quantity,
            unit_price_cents: l.unit_price_cents,
            discount_cents: l.discount_cents,
            tax_rate_bp: l.tax_rate_bp,
            tax_cents: l.tax_cents,
            total_cents: l.total_cents,
        })
    });
    invoice_lines::Entity::insert_many(lines).exec_without_returning(txn).await?;
    // The client's receipt, through the queue (a walk-in has nobody to send it to).
    if row.client_id.is_some() {
        let job = NewJob {
            kind: RECEIPT_JOB,
            payload: serde_json::json!({"invoice_id": row.id}),
            dedupe_key: Some(format!("receipt:{}", row.id)),
            ref_id: Some(row.id),
            run_at: now,
            max_attempts,
        };
        crate::jobs::store::enqueue(txn, &[job]).await?;
    }
    Ok(row)
}

/// The invoice of a completed booking: the service at the booked price (what it used from the
/// backbar is not charged), taxed per the salon's settings.
///
/// # Errors
/// Database failures.
pub async fn for_booking<C: ConnectionTrait>(
    txn: &C,
    booking: &bookings::Model,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<invoices::Model, DbErr> {
    let salon = crate::settings::store::get(txn).await?;
    let name = services::Entity::find_by_id(booking.service_id)
        .one(txn)
        .await?
        .map_or_else(|| "Service".into(), |s| s.name);
    let (tax, total) =
        crate::sales::service::tax_line(booking.price_cents, salon.tax_rate_bp, salon.prices_include_tax);
    let line = DraftLine {
        kind: "service",
        description: name,
        quantity: 1,
        unit_price_cents: booking.price_cents,
        discount_cents: 0,
        tax_rate_bp: salon.tax_rate_bp,
        tax_cents: tax,
        total_cents: total,
    };
    let draft = Draft {
        id: Uuid::now_v7(),
        booking_id: Some(booking.id),
        sale_id: None,
        client_id: Some(booking.client_id),
        lines: vec![line],
    };
    issue(txn, draft, &salon, now, max_attempts).await
}

/// The invoice of a retail sale, line for line.
///
/// # Errors
/// Database failures.
pub async fn for_sale<C: ConnectionTrait>(
    txn: &C,
    invoice_id: Uuid,
    sale: &sales::Model,
    lines: &[sale_lines::Model],
    salon: &settings::Model,
    max_attempts: i32,
) -> Result<invoices::Model, DbErr> {
    let mut lines: Vec<&sale_lines::Model> = lines.iter().collect();
    lines.sort_by_key(|l| l.line_no);
    let draft = Draft {
        id: invoice_id,
        booking_id: None,
        sale_id: Some(sale.id),
        client_id: sale.client_id,
        lines: lines
            .into_iter()
            .map(|l| DraftLine {
                kind: "product",
                description: format!("{} ({})", l.name, l.sku),
                quantity: l.quantity,
                unit_price_cents: l.unit_price_cents,
                discount_cents: l.discount_cents,
                tax_rate_bp: l.tax_rate_bp,
                tax_cents: l.tax_cents,
                total_cents: l.total_cents,
            })
            .collect(),
    };
    issue(txn, draft, salon, sale.created_at, max_attempts).await
}

fn visible(caller: &CurrentUser, query: Select<invoices::Entity>) -> Select<invoices::Entity> {
    match caller.role {
        Role::Client => query.filter(invoices::Column::ClientId.eq(caller.id)),
        _ => query,
    }
}

/// What was paid against each of `rows`: its payments and its booking's deposit, captured
/// minus refunded; one query for the lot.
async fn paid<C: ConnectionTrait>(db: &C, rows: &[invoices::Model]) -> Result<HashMap<Uuid, i64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Paid {
        id: Uuid,
        paid: Option<i64>,
    }
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let marks: Vec<String> = (1..=rows.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT i.id AS id, CAST(SUM(p.captured_cents - p.refunded_cents) AS BIGINT) AS paid \
         FROM invoices i JOIN payments p ON p.status = 'succeeded' \
         AND (p.invoice_id = i.id OR (p.kind = 'deposit' AND p.booking_id = i.booking_id)) \
         WHERE i.id IN ({}) GROUP BY i.id",
        marks.join(", ")
    );
    let values = rows.iter().map(|i| i.id.into());
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, &sql), values);
    let found = Paid::find_by_statement(stmt).all(db).await?;
    Ok(found.into_iter().map(|p| (p.id, p.paid.unwrap_or(0))).collect())
}

/// What is still due on `invoice`: its total less what was paid (negative when overpaid).
///
/// # Errors
/// Database failures.
pub async fn balance<C: ConnectionTrait>(db: &C, invoice: &invoices::Model) -> Result<i64, DbErr> {
    let one = std::slice::from_ref(invoice);
    let (paid, returned) = (paid(db, one).await?, returned(db, one).await?);
    let of = |m: &HashMap<Uuid, i64>| m.get(&invoice.id).copied().unwrap_or(0);
    Ok(invoice.total_cents - of(&returned) - of(&paid))
}

/// What the goods returned from each sale invoice's sale were worth, by invoice.
async fn returned<C: ConnectionTrait>(db: &C, rows: &[invoices::Model]) -> Result<HashMap<Uuid, i64>, DbErr> {
    let by_sale: HashMap<Uuid, Uuid> = rows.iter().filter_map(|i| Some((i.sale_id?, i.id))).collect();
    if by_sale.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(Uuid, i64)> = sales::Entity::find()
        .select_only()
        .columns([sales::Column::Id, sales::Column::RefundedCents])
        .filter(sales::Column::Id.is_in(by_sale.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().filter_map(|(sale, cents)| Some((*by_sale.get(&sale)?, cents))).collect())
}

/// `rows` with their lines and what was paid, in two queries.
async fn views<C: ConnectionTrait>(db: &C, rows: Vec<invoices::Model>) -> Result<Vec<InvoiceView>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines: HashMap<Uuid, Vec<invoice_lines::Model>> = HashMap::new();
    for line in invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.is_in(rows.iter().map(|i| i.id)))
        .order_by_asc(invoice_lines::Column::InvoiceId)
        .order_by_asc(invoice_lines::Column::LineNo)
        .all(db)
        .await?
    {
        lines.entry(line.invoice_id).or_default().push(line);
    }
    let (paid, returned) = (paid(db, &rows).await?, returned(db, &rows).await?);
    Ok(rows
        .into_iter()
        .map(|i| {
            let of = |m: &HashMap<Uuid, i64>| m.get(&i.id).copied().unwrap_or(0);
            let (back, paid) = (of(&returned), of(&paid));
            let own = lines.remove(&i.id).unwrap_or_default();
            InvoiceView::new(i, own, back, paid)
        })
        .collect())
}

async fn view<C: ConnectionTrait>(db: &C, row: invoices::Model) -> Result<InvoiceView, DbErr> {
    let mut one = views(db, vec![row]).await?;
    one.pop().ok_or_else(|| DbErr::Custom("no invoice view".into()))
}

/// An invoice as its receipt, with the client it is for (none for a walk-in sale); `None`
/// when there is no such invoice.
///
/// # Errors
/// Database failures.
pub async fn receipt(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Option<(Receipt, Option<users::Model>)>, DbErr> {
    let Some(row) = invoices::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let view = view(db, row).await?;
    Ok(Some(document(db, &view).await?))
}

async fn document(
    db: &DatabaseConnection,
    view: &InvoiceView,
) -> Result<(Receipt, Option<users::Model>), DbErr> {
    let salon = crate::settings::store::get(db).await?;
    let client = match view.client_id {
        Some(id) => users::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok((Receipt::new(view, &salon, client.as_ref()), client))
}

/// One invoice as its receipt, for whoever may read the invoice.
///
/// # Errors
/// `NotFound`, also for another client's invoice.
pub async fn get_receipt(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<Receipt> {
    let view = get(db, caller, id).await?;
    Ok(document(db, &view).await?.0)
}

/// # Errors
/// `NotFound`, also for another client's invoice.
pub async fn get(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<InvoiceView> {
    let row = visible(caller, invoices::Entity::find_by_id(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("invoice"))?;
    Ok(view(db, row).await?)
}

/// Newest first.
///
/// # Errors
/// Database failures only.
pub async fn list(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    q: InvoiceListQuery,
) -> ApiResult<Page<InvoiceView>> {
    let mut query = invoices::Entity::find()
        .order_by_desc(invoices::Column::CreatedAt)
        .order_by_desc(invoices::Column::Id);
    if let Some(b) = q.booking_id {
        query = query.filter(invoices::Column::BookingId.eq(b));
    }
    if let Some(s) = q.sale_id {
        query = query.filter(invoices::Column::SaleId.eq(s));
    }
    if let Some(c) = q.client_id {
        query = query.filter(invoices::Column::ClientId.eq(c));
    }
    let page = fetch(db, visible(caller, query), Window::new(q.limit, q.offset)).await?;
    let items = views(db, page.items).await?;
    Ok(Page { items, total: page.total, limit: page.limit, offset: page.offset })
}
