//! Retail sales: priced and taxed per line, all or nothing against the stock ledger, with
//! idempotency keys; returns that put stock back and refund what the lines cost.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Select, TransactionTrait,
};
use uuid::Uuid;

use super::model::{
    CreateSaleRequest, PaymentMethod, ReturnLineView, ReturnRequest, ReturnView, SaleLineView, SaleListQuery,
    SaleView,
};
use crate::auth::{CurrentUser, Role};
use crate::entity::{
    idempotency_keys, products, sale_lines, sale_return_lines, sale_returns, sales, settings,
};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::idempotency::Key;
use crate::inventory::model::Reason;
use crate::inventory::service::insufficient;
use crate::inventory::store::{self as stock, Move, MoveError};
use crate::pagination::{Page, Window, fetch};

/// `n / d` rounded half away from zero, for `n >= 0` and `d > 0`.
fn round_div(n: i128, d: i128) -> i64 {
    ((2 * n + d) / (2 * d)) as i64
}

/// The tax in, and the total of, a line whose amount after discount is `net`: with prices
/// including tax, the tax is the part of `net` it makes up (`net * r / (1 + r)`), else it is
/// added (`net * r`); rounded half away from zero, per line.
pub fn tax_line(net: i64, rate_bp: i32, prices_include_tax: bool) -> (i64, i64) {
    let (net, bp) = (i128::from(net), i128::from(rate_bp));
    if prices_include_tax {
        let tax = round_div(net * bp, 10_000 + bp);
        (tax, net as i64)
    } else {
        let tax = round_div(net * bp, 10_000);
        (tax, net as i64 + tax)
    }
}

/// The refund for returning `k` of a line's `quantity` units when `before` came back
/// already: the difference of the rounded cumulative shares, so that returning everything,
/// in any steps, refunds exactly the line's total.
pub fn refund_share(total: i64, quantity: i64, before: i64, k: i64) -> i64 {
    let share = |n: i64| round_div(i128::from(total) * i128::from(n), i128::from(quantity));
    share(before + k) - share(before)
}

/// A line as it will be written, with its place in the request.
struct Priced {
    index: usize,
    row: sale_lines::Model,
}

/// Prices every line, or names every line that cannot be sold.
fn price(
    req: &CreateSaleRequest,
    products: &HashMap<String, products::Model>,
    salon: &settings::Model,
    sale_id: Uuid,
) -> ApiResult<Vec<Priced>> {
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in req.lines.iter().enumerate() {
        let Some(product) = products.get(&line.sku.to_lowercase()) else {
            errors.push(FieldError::new(format!("lines[{i}].sku"), "no such product"));
            continue;
        };
        if !product.active {
            errors.push(FieldError::new(format!("lines[{i}].sku"), "this product is deactivated"));
            continue;
        }
        if !product.retail {
            errors.push(FieldError::new(
                format!("lines[{i}].sku"),
                "this product is backbar only, not for sale",
            ));
            continue;
        }
        let unit = line.unit_price_cents.unwrap_or(product.price_cents);
        let gross = unit * line.quantity;
        let discount = line.discount_cents.unwrap_or(0);
        if discount > gross {
            errors.push(FieldError::new(
                format!("lines[{i}].discount_cents"),
                "is more than the line's amount",
            ));
            continue;
        }
        let rate = product.tax_rate_bp.unwrap_or(salon.tax_rate_bp);
        let (tax, total) = tax_line(gross - discount, rate, salon.prices_include_tax);
        lines.push(Priced {
            index: i,
            row: sale_lines::Model {
                id: Uuid::now_v7(),
                sale_id,
                line_no: i as i32 + 1,
                product_id: product.id,
                sku: product.sku.clone(),
                name: product.name.clone(),
                quantity: line.quantity,
                unit_price_cents: unit,
                discount_cents: discount,
                tax_rate_bp: rate,
                tax_cents: tax,
                total_cents: total,
                returned_quantity: 0,
            },
        });
    }
    if errors.is_empty() { Ok(lines) } else { Err(ApiError::Validation(errors)) }
}

/// What a sale request did.
pub struct Sold {
    /// `false` for a retry answered with the stored first response.
    pub created: bool,
    /// Whether it enqueued jobs (a client's receipt, a low-stock alert's email).
    pub wake: bool,
    pub view: SaleView,
}

/// Sells products: every line moves stock, or none does. Staff and admins sell to a client
/// or a walk-in.
///
/// # Errors
/// 422 for unknown, deactivated or backbar-only products, a discount above a line's amount,
/// an unknown client, a payment above the total or `stripe`; `insufficient-stock` (409)
/// naming every line that lacks stock; with an `Idempotency-Key`, a retry returns the first
/// sale and a different request under a used key is a 422.
pub async fn create(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    max_attempts: i32,
    req: CreateSaleRequest,
    idempotency_key: Option<String>,
) -> ApiResult<Sold> {
    // Sale keys live beside booking keys, under a scope of their own.
    let key = idempotency_key.map(|k| Key::new("sale", &k, &req));
    if let Some(key) = &key
        && let Some(view) = key.replay(db, caller.id).await?
    {
        return Ok(Sold { created: false, wake: false, view });
    }
    if let Some(client) = req.client_id
        && !crate::users::store::find_by_id(db, client).await?.is_some_and(|u| u.is_active)
    {
        return Err(ApiError::field("client_id", "no such active user"));
    }
    let mut keys: Vec<String> = req.lines.iter().map(|l| l.sku.to_lowercase()).collect();
    keys.sort_unstable();
    keys.dedup();
    let products: HashMap<String, products::Model> =
        stock::find_by_skus(db, keys).await?.into_iter().map(|p| (p.sku_key.clone(), p)).collect();
    let salon = crate::settings::store::get(db).await?;
    let now = Utc::now();
    let sale_id = Uuid::now_v7();
    let mut lines = price(&req, &products, &salon, sale_id)?;
    let sum = |f: fn(&sale_lines::Model) -> i64| lines.iter().map(|l| f(&l.row)).sum::<i64>();
    let subtotal = sum(|l| l.unit_price_cents * l.quantity);
    let discount = sum(|l| l.discount_cents);
    let tax = sum(|l| l.tax_cents);
    let total = sum(|l| l.total_cents);
    let paid = match &req.payment {
        None => 0,
        Some(p) => p.amount_cents.unwrap_or(total),
    };
    if paid > total {
        return Err(ApiError::field("payment.amount_cents", "is more than the sale's total"));
    }
    let sale = sales::Model {
        id: sale_id,
        client_id: req.client_id,
        subtotal_cents: subtotal,
        discount_cents: discount,
        tax_cents: tax,
        total_cents: total,
        paid_cents: paid,
        payment_method: req.payment.as_ref().map(|p| PaymentMethod::from(p.method).as_str().to_owned()),
        refunded_cents: 0,
        created_by: caller.id,
        created_at: now,
    };
    let invoice_id = Uuid::now_v7();
    let view = SaleView {
        invoice_id: Some(invoice_id),
        ..SaleView::new(
            sale.clone(),
            salon.currency.clone(),
            lines.iter().map(|l| SaleLineView::from(l.row.clone())).collect(),
            Vec::new(),
        )
    };
    // Rows are locked in one order (by product), so two sales never wait on each other.
    lines.sort_by_key(|l| (l.row.product_id, l.index));

    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let written = async {
        if let Some(key) = &key {
            idempotency_keys::Entity::insert(key.row(caller.id, &view, now)?)
                .exec_without_returning(&txn)
                .await?;
        }
        sales::Entity::insert(sales::ActiveModel::from(sale.clone())).exec_without_returning(&txn).await?;
        let rows = lines.iter().map(|l| sale_lines::ActiveModel::from(l.row.clone()));
        sale_lines::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        // Its invoice, numbered in this transaction, and what was paid at the desk.
        let rows: Vec<sale_lines::Model> = lines.iter().map(|l| l.row.clone()).collect();
        crate::invoices::service::for_sale(&txn, invoice_id, &sale, &rows, &salon, max_attempts).await?;
        if paid > 0
            && let Some(method) = &req.payment
        {
            crate::payments::service::record_desk_payment(
                &txn,
                invoice_id,
                sale.client_id,
                method.method.into(),
                paid,
                &salon.currency,
                caller.id,
                now,
            )
            .await?;
        }
        Ok::<_, DbErr>(())
    }
    .await;
    if let Err(e) = written {
        txn.rollback().await?;
        drop(_writer);
        if let Some(key) = &key
            && crate::idempotency::is_key_conflict(&e)
            && let Some(view) = key.replay(db, caller.id).await?
        {
            return Ok(Sold { created: false, wake: false, view });
        }
        return Err(e.into());
    }
    let mut opened = false;
    for line in &lines {
        let m = Move {
            product_id: line.row.product_id,
            delta: -line.row.quantity,
            reason: Reason::Sale,
            note: None,
            actor: Some(caller.id),
            sale_id: Some(sale_id),
            booking_id: None,
        };
        match stock::apply(&txn, &m, true, max_attempts, now).await {
            Ok(moved) => opened |= moved.alert.is_some(),
            Err(MoveError::Insufficient) => {
                txn.rollback().await?;
                drop(_writer);
                return Err(shortage(db, &req, &lines, line.index).await);
            }
            Err(MoveError::Unavailable) => {
                txn.rollback().await?;
                return Err(ApiError::field(
                    format!("lines[{}].sku", line.index),
                    "this product is deactivated",
                ));
            }
            Err(MoveError::Db(e)) => {
                txn.rollback().await?;
                return Err(e.into());
            }
        }
    }
    txn.commit().await?;
    Ok(Sold { created: true, wake: opened || sale.client_id.is_some(), view })
}

/// The 409 for a sale that found too little stock at line `failed`: every line whose product
/// lacks stock now (counting the sale's other lines of it), and at least the one that failed.
async fn shortage(
    db: &DatabaseConnection,
    req: &CreateSaleRequest,
    lines: &[Priced],
    failed: usize,
) -> ApiError {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.row.product_id).collect();
    let levels: HashMap<Uuid, i64> = match stock::find_many(db, ids).await {
        Ok(found) => found.into_iter().map(|p| (p.id, p.on_hand)).collect(),
        Err(e) => return e.into(),
    };
    let mut wanted: HashMap<Uuid, i64> = HashMap::new();
    for l in lines {
        *wanted.entry(l.row.product_id).or_default() += l.row.quantity;
    }
    let mut short: Vec<&Priced> = lines
        .iter()
        .filter(|l| {
            l.index == failed
                || wanted[&l.row.product_id] > levels.get(&l.row.product_id).copied().unwrap_or(0)
        })
        .collect();
    short.sort_by_key(|l| l.index);
    let errors: Vec<FieldError> = short
        .iter()
        .map(|l| {
            let on_hand = levels.get(&l.row.product_id).copied().unwrap_or(0);
            insufficient(&format!("lines[{}].quantity", l.index), &l.row.sku, l.row.quantity, on_hand)
        })
        .collect();
    let names: Vec<String> =
        short.iter().map(|l| format!("line {} ({})", l.index + 1, req.lines[l.index].sku)).collect();
    ApiError::InsufficientStock {
        detail: format!("not enough in stock for {}; nothing was sold", names.join(", ")),
        errors,
    }
}

fn visible(caller: &CurrentUser, q: Select<sales::Entity>) -> Select<sales::Entity> {
    match caller.role {
        Role::Client => q.filter(sales::Column::ClientId.eq(caller.id)),
        _ => q,
    }
}

/// Views of `rows`, with their lines and returns (three queries for the whole page).
async fn views<C: ConnectionTrait>(db: &C, rows: Vec<sales::Model>) -> ApiResult<Vec<SaleView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let currency = crate::settings::store::get(db).await?.currency;
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let lines = sale_lines::Entity::find()
        .filter(sale_lines::Column::SaleId.is_in(ids.clone()))
        .order_by_asc(sale_lines::Column::LineNo)
        .all(db)
        .await?;
    let returns = sale_returns::Entity::find()
        .filter(sale_returns::Column::SaleId.is_in(ids))
        .order_by_asc(sale_returns::Column::Id)
        .all(db)
        .await?;
    let return_lines = if returns.is_empty() {
        Vec::new()
    } else {
        sale_return_lines::Entity::find()
            .filter(
                sale_return_lines::Column::ReturnId.is_in(returns.iter().map(|r| r.id).collect::<Vec<_>>()),
            )
            .order_by_asc(sale_return_lines::Column::Id)
            .all(db)
            .await?
    };
    let sku_of: HashMap<Uuid, String> = lines.iter().map(|l| (l.id, l.sku.clone())).collect();
    let invoice_of: HashMap<Uuid, Uuid> = crate::entity::invoices::Entity::find()
        .filter(crate::entity::invoices::Column::SaleId.is_in(rows.iter().map(|s| s.id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| Some((i.sale_id?, i.id)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let own_lines =
                lines.iter().filter(|l| l.sale_id == s.id).cloned().map(SaleLineView::from).collect();
            let own_returns = returns
                .iter()
                .filter(|r| r.sale_id == s.id)
                .map(|r| {
                    let lines = return_lines
                        .iter()
                        .filter(|l| l.return_id == r.id)
                        .map(|l| ReturnLineView {
                            sale_line_id: l.sale_line_id,
                            sku: sku_of.get(&l.sale_line_id).cloned().unwrap_or_default(),
                            quantity: l.quantity,
                            refund_cents: l.refund_cents,
                        })
                        .collect();
                    ReturnView::new(r.clone(), lines)
                })
                .collect();
            let invoice_id = invoice_of.get(&s.id).copied();
            SaleView { invoice_id, ..SaleView::new(s, currency.clone(), own_lines, own_returns) }
        })
        .collect())
}

/// Sales, newest first: all for staff and admins (optionally one client's), a client's own
/// for a client.
///
/// # Errors
/// Database failures only.
pub async fn list(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    q: SaleListQuery,
) -> ApiResult<Page<SaleView>> {
    let mut query =
        sales::Entity::find().order_by_desc(sales::Column::CreatedAt).order_by_desc(sales::Column::Id);
    if let Some(client) = q.client_id {
        query = query.filter(sales::Column::ClientId.eq(client));
    }
    let page = fetch(db, visible(caller, query), Window::new(q.limit, q.offset)).await?;
    let items = views(db, page.items).await?;
    Ok(Page { items, total: page.total, limit: page.limit, offset: page.offset })
}

/// # Errors
/// `NotFound`, also for a client's sale another client asks for.
pub async fn get(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<SaleView> {
    let row =
        visible(caller, sales::Entity::find_by_id(id)).one(db).await?.ok_or(ApiError::NotFound("sale"))?;
    views(db, vec![row]).await?.pop().ok_or(ApiError::NotFound("sale"))
}

/// Takes products of a sale back: the stock returns (a `return` movement per line) and the
/// refund is what those units cost on the sale (its share of the line's total).
///
/// # Errors
/// `NotFound`; 422 for a SKU not on the sale; `return-exceeds-sold` (409) for more than was
/// sold and not yet returned, also when two returns race.
pub async fn return_items(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    max_attempts: i32,
    id: Uuid,
    req: ReturnRequest,
) -> ApiResult<SaleView> {
    let sale = sales::Entity::find_by_id(id).one(db).await?.ok_or(ApiError::NotFound("sale"))?;
    let now = Utc::now();
    let return_id = Uuid::now_v7();
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let lines = sale_lines::Entity::find()
        .filter(sale_lines::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_lines::Column::LineNo)
        .all(&txn)
        .await?;
    // Each returned quantity is taken from the sale's lines of that SKU in order.
    let mut left: HashMap<Uuid, i64> =
        lines.iter().map(|l| (l.id, l.quantity - l.returned_quantity)).collect();
    let mut taken: Vec<(sale_lines::Model, i64)> = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in req.lines.iter().enumerate() {
        let mut want = r.quantity;
        let same: Vec<&sale_lines::Model> =
            lines.iter().filter(|l| l.sku.eq_ignore_ascii_case(&r.sku)).collect();
        if same.is_empty() {
            errors.push(FieldError::new(format!("lines[{i}].sku"), "is not on this sale"));
            continue;
        }
        for line in same {
            let k = want.min(left[&line.id]);
            if k > 0 {
                *left.get_mut(&line.id).unwrap_or(&mut 0) -= k;
                want -= k;
                match taken.iter_mut().find(|(l, _)| l.id == line.id) {
                    Some((_, n)) => *n += k,
                    None => taken.push((line.clone(), k)),
                }
            }
        }
        if want > 0 {
            txn.rollback().await?;
            return Err(ApiError::conflict(
                "return-exceeds-sold",
                format!("line {} ({}): {} more than were sold and not yet returned", i + 1, r.sku, want),
            ));
        }
    }
    if !errors.is_empty() {
        txn.rollback().await?;
        return Err(ApiError::Validation(errors));
    }
    let mut refund = 0;
    let mut rows = Vec::new();
    for (line, k) in &taken {
        // Only from the returned quantity read: a concurrent return makes this a 409.
        let changed = sale_lines::Entity::update_many()
            .col_expr(
                sale_lines::Column::ReturnedQuantity,
                sea_orm::sea_query::ExprTrait::add(
                    sea_orm::sea_query::Expr::col(sale_lines::Column::ReturnedQuantity),
                    *k,
                ),
            )
            .filter(sale_lines::Column::Id.eq(line.id))
            .filter(sale_lines::Column::ReturnedQuantity.eq(line.returned_quantity))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed != 1 {
            txn.rollback().await?;
            return Err(ApiError::conflict("return-exceeds-sold", "the sale changed meanwhile; reload it"));
        }
        let share = refund_share(line.total_cents, line.quantity, line.returned_quantity, *k);
        refund += share;
        rows.push(sale_return_lines::ActiveModel {
            id: Set(Uuid::now_v7()),
            return_id: Set(return_id),
            sale_line_id: Set(line.id),
            quantity: Set(*k),
            refund_cents: Set(share),
        });
        let m = Move {
            product_id: line.product_id,
            delta: *k,
            reason: Reason::Return,
            note: None,
            actor: Some(caller.id),
            sale_id: Some(sale.id),
            booking_id: None,
        };
        if let Err(e) = stock::apply(&txn, &m, false, max_attempts, now).await {
            txn.rollback().await?;
            return Err(match e {
                MoveError::Db(e) => e.into(),
                _ => ApiError::NotFound("product"),
            });
        }
    }
    let back = sale_returns::ActiveModel {
        id: Set(return_id),
        sale_id: Set(sale.id),
        refund_cents: Set(refund),
        reason: Set(req.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())),
        created_by: Set(caller.id),
        created_at: Set(now),
    };
    sale_returns::Entity::insert(back).exec_without_returning(&txn).await?;
    sale_return_lines::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    sales::Entity::update_many()
        .col_expr(
            sales::Column::RefundedCents,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(sales::Column::RefundedCents),
                refund,
            ),
        )
        .filter(sales::Column::Id.eq(sale.id))
        .exec(&txn)
        .await?;
    // The money goes back against what was paid on the sale's invoice.
    let invoice = crate::entity::invoices::Entity::find()
        .filter(crate::entity::invoices::Column::SaleId.eq(sale.id))
        .one(&txn)
        .await?;
    // Only what was paid beyond what the kept goods cost goes back (a part-paid sale first
    // pays off its balance).
    if let Some(invoice) = invoice {
        let due = crate::invoices::service::balance(&txn, &invoice).await?;
        let give_back = (-due).clamp(0, refund);
        let why = format!("returned from sale {}", sale.id);
        crate::payments::service::refund_invoice(
            &txn,
            invoice.id,
            give_back,
            &why,
            caller.id,
            now,
            max_attempts,
        )
        .await?;
    }
    txn.commit().await?;
    drop(_writer);
    get(db, caller, sale.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_rounded_half_away_from_zero_per_line() {
        // 23 % included in 10.00: 1000 * 2300 / 12300 = 186.99... -> 187.
        assert_eq!(tax_line(1000, 2300, true), (187, 1000));
        // 23 % on top of 10.00: 230.
        assert_eq!(tax_line(1000, 2300, false), (230, 1230));
        // 0.5 rounds up: 5 % of 10 cents = 0.5 -> 1.
        assert_eq!(tax_line(10, 500, false), (1, 11));
        assert_eq!(tax_line(0, 2300, true), (0, 0));
        // A third: 33.33 % included in 1.00 = 100 * 3333 / 13333 = 24.998 -> 25; on top, 33.33.
        assert_eq!(tax_line(100, 3333, true), (25, 100));
        assert_eq!(tax_line(100, 3333, false), (33, 133));
        // Whole yen (a zero-decimal currency): 10 % included in 1,099 yen = 99.9 -> 100.
        assert_eq!(tax_line(1099, 1000, true), (100, 1099));
        assert_eq!(tax_line(999, 0, false), (0, 999));
    }

    #[test]
    fn returning_everything_in_steps_refunds_the_whole_line() {
        for total in [0, 1, 7, 100, 999, 1001] {
            for quantity in 1..=7 {
                let mut before = 0;
                let mut refunded = 0;
                for k in [1, 2, 1, 3] {
                    let k = k.min(quantity - before);
                    if k == 0 {
                        break;
                    }
                    refunded += refund_share(total, quantity, before, k);
                    before += k;
                }
                let rest = quantity - before;
                refunded += refund_share(total, quantity, before, rest);
                assert_eq!(refunded, total, "total {total}, quantity {quantity}");
            }
        }
    }
}
