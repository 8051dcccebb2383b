//! Invoices: issued in the transaction of what they bill (a booking's completion, a retail
//! sale), numbered `YYYY-NNNNNN` without gaps per year (the salon's local year) by a counter row
//! incremented in that same transaction: a rolled-back invoice gives its number back, and on
//! PostgreSQL the row lock orders concurrent invoices across processes (on SQLite, the single
//! writer does).
//!
//! Rounding: each line's tax is rounded half away from zero on its own (see
//! `sales::service::tax_line`); the invoice's totals are the sums of its lines.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Select, Statement,
};
use uuid::Uuid;

use super::model::{InvoiceListQuery, InvoiceView};
use crate::auth::{CurrentUser, Role};
use crate::entity::{bookings, invoice_lines, invoices, sale_lines, sales, services, settings};
use crate::error::{ApiError, ApiResult};
use crate::jobs::store::numbered;
use crate::pagination::{Page, Window, fetch};

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
    issue(txn, draft, &salon, now).await
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
    issue(txn, draft, salon, sale.created_at).await
}

fn visible(caller: &CurrentUser, query: Select<invoices::Entity>) -> Select<invoices::Entity> {
    match caller.role {
        Role::Client => query.filter(invoices::Column::ClientId.eq(caller.id)),
        _ => query,
    }
}

/// What was paid against an invoice: its payments and its booking's deposit, captured minus
/// refunded.
async fn paid<C: ConnectionTrait>(db: &C, i: &invoices::Model) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Paid {
        paid: Option<i64>,
    }
    let backend = db.get_database_backend();
    let sql = "SELECT CAST(SUM(captured_cents - refunded_cents) AS BIGINT) AS paid FROM payments \
               WHERE status = 'succeeded' AND (invoice_id = $1 OR (kind = 'deposit' AND booking_id = $2))";
    let booking = i.booking_id.unwrap_or_else(Uuid::nil);
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, sql), [i.id.into(), booking.into()]);
    Ok(Paid::find_by_statement(stmt).one(db).await?.and_then(|p| p.paid).unwrap_or(0))
}

async fn view<C: ConnectionTrait>(db: &C, i: invoices::Model) -> Result<InvoiceView, DbErr> {
    let lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(i.id))
        .order_by_asc(invoice_lines::Column::LineNo)
        .all(db)
        .await?;
    let paid = paid(db, &i).await?;
    Ok(InvoiceView::new(i, lines, paid))
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
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        items.push(view(db, row).await?);
    }
    Ok(Page { items, total: page.total, limit: page.limit, offset: page.offset })
}
