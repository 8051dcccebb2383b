//! Inventory queries, and the one way stock changes: [`apply`], which updates the level row
//! and appends the movement in the caller's transaction, and opens or closes the product's
//! low-stock alert as the level crosses its threshold.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, Select, Statement, Value,
};
use serde_json::json;
use uuid::Uuid;

use super::model::Reason;
use crate::entity::{products, service_products, stock_alerts, stock_movements};
use crate::jobs::store::{NewJob, enqueue, numbered};

/// The job that emails the admins about a low-stock alert.
pub const LOW_STOCK_JOB: &str = "inventory.low_stock";

pub struct ProductFilter {
    pub q: Option<String>,
    pub category: Option<String>,
    pub low_stock: Option<bool>,
    pub active: Option<bool>,
    pub retail: Option<bool>,
}

fn low_stock_expr() -> sea_orm::sea_query::SimpleExpr {
    Expr::col((products::Entity, products::Column::OnHand))
        .lte(Expr::col((products::Entity, products::Column::ReorderThreshold)))
}

pub fn products(f: &ProductFilter) -> Select<products::Entity> {
    let mut q = products::Entity::find();
    if let Some(text) = &f.q {
        for word in text.split_whitespace() {
            let pattern = format!("%{}%", crate::users::store::escape_like(&word.to_lowercase()));
            let lower = |c: products::Column| Expr::expr(Func::lower(Expr::col(c)));
            q = q.filter(
                lower(products::Column::Name)
                    .like(pattern.clone())
                    .or(Expr::col(products::Column::SkuKey).like(pattern.clone()))
                    .or(lower(products::Column::Brand).like(pattern)),
            );
        }
    }
    if let Some(category) = &f.category {
        q = q.filter(
            Expr::expr(Func::lower(Expr::col(products::Column::Category))).eq(category.trim().to_lowercase()),
        );
    }
    if let Some(low) = f.low_stock {
        q = q.filter(if low { low_stock_expr() } else { low_stock_expr().not() });
    }
    if let Some(active) = f.active {
        q = q.filter(products::Column::Active.eq(active));
    }
    if let Some(retail) = f.retail {
        q = q.filter(products::Column::Retail.eq(retail));
    }
    q
}

pub fn by_name(q: Select<products::Entity>) -> Select<products::Entity> {
    q.order_by_asc(products::Column::Name).order_by_asc(products::Column::Id)
}

/// Low-stock products first, then by name.
pub fn levels(q: Select<products::Entity>) -> Select<products::Entity> {
    by_name(q.order_by(low_stock_expr(), Order::Desc))
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<products::Model>, DbErr> {
    products::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_sku<C: ConnectionTrait>(db: &C, sku: &str) -> Result<Option<products::Model>, DbErr> {
    products::Entity::find().filter(products::Column::SkuKey.eq(sku.to_lowercase())).one(db).await
}

pub async fn find_by_skus<C: ConnectionTrait>(
    db: &C,
    keys: Vec<String>,
) -> Result<Vec<products::Model>, DbErr> {
    products::Entity::find().filter(products::Column::SkuKey.is_in(keys)).all(db).await
}

pub async fn find_many<C: ConnectionTrait>(db: &C, ids: Vec<Uuid>) -> Result<Vec<products::Model>, DbErr> {
    products::Entity::find().filter(products::Column::Id.is_in(ids)).all(db).await
}

pub fn movements(product_id: Uuid, reason: Option<Reason>) -> Select<stock_movements::Entity> {
    let mut q = stock_movements::Entity::find().filter(stock_movements::Column::ProductId.eq(product_id));
    if let Some(reason) = reason {
        q = q.filter(stock_movements::Column::Reason.eq(reason.as_str()));
    }
    // Ids are UUIDv7: time-ordered, and unique where two movements share a timestamp.
    q.order_by_desc(stock_movements::Column::Id)
}

pub fn alerts(status: Option<&'static str>, kind: Option<&'static str>) -> Select<stock_alerts::Entity> {
    let mut q = stock_alerts::Entity::find();
    if let Some(status) = status {
        q = q.filter(stock_alerts::Column::Status.eq(status));
    }
    if let Some(kind) = kind {
        q = q.filter(stock_alerts::Column::Kind.eq(kind));
    }
    // Open, then acknowledged, then closed; newest first within each.
    q.order_by(Expr::col(stock_alerts::Column::Status).eq("closed"), Order::Asc)
        .order_by(Expr::col(stock_alerts::Column::Status).eq("acknowledged"), Order::Asc)
        .order_by_desc(stock_alerts::Column::OpenedAt)
        .order_by_desc(stock_alerts::Column::Id)
}

/// Acknowledges an alert that is open; returns the alert as it is now.
pub async fn acknowledge<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<stock_alerts::Model>, DbErr> {
    stock_alerts::Entity::update_many()
        .col_expr(stock_alerts::Column::Status, Expr::value("acknowledged"))
        .col_expr(stock_alerts::Column::AcknowledgedAt, Expr::value(now))
        .col_expr(stock_alerts::Column::AcknowledgedBy, Expr::value(by))
        .filter(stock_alerts::Column::Id.eq(id))
        .filter(stock_alerts::Column::Status.eq("open"))
        .exec(db)
        .await?;
    stock_alerts::Entity::find_by_id(id).one(db).await
}

/// A service's recipe with each product.
pub async fn recipe<C: ConnectionTrait>(
    db: &C,
    service_id: Uuid,
) -> Result<Vec<(service_products::Model, products::Model)>, DbErr> {
    let items = service_products::Entity::find()
        .filter(service_products::Column::ServiceId.eq(service_id))
        .order_by_asc(service_products::Column::ProductId)
        .all(db)
        .await?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let products = find_many(db, items.iter().map(|i| i.product_id).collect()).await?;
    Ok(items
        .into_iter()
        .filter_map(|i| products.iter().find(|p| p.id == i.product_id).cloned().map(|p| (i, p)))
        .collect())
}

/// Replaces a service's recipe.
pub async fn set_recipe<C: ConnectionTrait>(
    db: &C,
    service_id: Uuid,
    items: &[(Uuid, i64)],
) -> Result<(), DbErr> {
    service_products::Entity::delete_many()
        .filter(service_products::Column::ServiceId.eq(service_id))
        .exec(db)
        .await?;
    if items.is_empty() {
        return Ok(());
    }
    let rows = items.iter().map(|(product_id, quantity)| service_products::ActiveModel {
        service_id: Set(service_id),
        product_id: Set(*product_id),
        quantity: Set(*quantity),
    });
    service_products::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// One change of stock.
#[derive(Debug, Clone)]
pub struct Move<'a> {
    pub product_id: Uuid,
    pub delta: i64,
    pub reason: Reason,
    pub note: Option<&'a str>,
    pub actor: Option<Uuid>,
    pub sale_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
}

#[derive(Debug)]
pub enum MoveError {
    /// The level would go below zero (the CHECK on `products.on_hand` refused it). On
    /// PostgreSQL the transaction is aborted: roll it back.
    Insufficient,
    /// No such product, or (where only active products may move) a deactivated one.
    Unavailable,
    Db(DbErr),
}

impl From<DbErr> for MoveError {
    fn from(e: DbErr) -> Self {
        MoveError::Db(e)
    }
}

/// Whether a database error is the level's CHECK refusing a negative `on_hand`.
fn is_negative_level(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("on_hand") && (text.contains("check") || text.contains("CHECK"))
}

/// The level after a movement, with what the alerts need.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Level {
    pub id: Uuid,
    pub sku: String,
    pub on_hand: i64,
    pub reorder_threshold: i64,
    pub active: bool,
}

/// What [`apply`] wrote.
#[derive(Debug, Clone)]
pub struct Moved {
    pub level: Level,
    pub movement: stock_movements::Model,
    /// A low-stock alert this movement opened.
    pub alert: Option<Uuid>,
}

/// Applies one movement inside `txn`: the level row first (the database refuses a negative
/// level, and on PostgreSQL the row stays locked until the transaction ends, so movements of
/// one product queue there), then the ledger row, then the product's alert.
///
/// # Errors
/// `Insufficient`, `Unavailable` (`only_active` and the product is deactivated, or it does
/// not exist), or database failures.
pub async fn apply<C: ConnectionTrait>(
    txn: &C,
    m: &Move<'_>,
    only_active: bool,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Moved, MoveError> {
    let backend = txn.get_database_backend();
    let active = if only_active { " AND active = TRUE" } else { "" };
    let sql = format!(
        "UPDATE products SET on_hand = on_hand + $1 WHERE id = $2{active} \
         RETURNING id, sku, on_hand, reorder_threshold, active"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        numbered(backend, &sql),
        [m.delta.into(), m.product_id.into()],
    );
    let level = match Level::find_by_statement(stmt).one(txn).await {
        Ok(Some(level)) => level,
        Ok(None) => return Err(MoveError::Unavailable),
        Err(e) if is_negative_level(&e) => return Err(MoveError::Insufficient),
        Err(e) => return Err(e.into()),
    };
    let movement = stock_movements::Model {
        id: Uuid::now_v7(),
        product_id: m.product_id,
        delta: m.delta,
        balance: level.on_hand,
        reason: m.reason.as_str().into(),
        note: m.note.map(str::to_owned),
        actor_id: m.actor,
        sale_id: m.sale_id,
        booking_id: m.booking_id,
        created_at: now,
    };
    stock_movements::Entity::insert(stock_movements::ActiveModel::from(movement.clone()))
        .exec_without_returning(txn)
        .await?;
    let before = level.on_hand - m.delta;
    let mut alert = None;
    if m.delta < 0 && level.on_hand <= level.reorder_threshold && level.active {
        alert = open_low_stock(txn, &level, max_attempts, now).await?;
    } else if m.delta > 0 && level.on_hand > level.reorder_threshold && before <= level.reorder_threshold {
        close_low_stock(txn, level.id, now).await?;
    }
    Ok(Moved { level, movement, alert })
}

/// Opens the product's low-stock alert unless one is already open or acknowledged (then
/// nothing happens: one alert per crossing), and enqueues its email in the same transaction.
pub async fn open_low_stock<C: ConnectionTrait>(
    txn: &C,
    level: &Level,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    #[derive(FromQueryResult)]
    struct Opened {
        id: Uuid,
    }
    let backend = txn.get_database_backend();
    let id = Uuid::now_v7();
    let sql = "INSERT INTO stock_alerts (id, product_id, kind, status, on_hand, threshold, opened_at) \
               VALUES ($1, $2, 'low_stock', 'open', $3, $4, $5) \
               ON CONFLICT (product_id) WHERE kind = 'low_stock' AND status <> 'closed' DO NOTHING \
               RETURNING id";
    let values: [Value; 5] =
        [id.into(), level.id.into(), level.on_hand.into(), level.reorder_threshold.into(), now.into()];
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, sql), values);
    let Some(opened) = Opened::find_by_statement(stmt).one(txn).await? else { return Ok(None) };
    let job = NewJob {
        kind: LOW_STOCK_JOB,
        payload: json!({"alert_id": opened.id}),
        dedupe_key: Some(format!("low-stock:{}", opened.id)),
        ref_id: Some(opened.id),
        run_at: now,
        max_attempts,
    };
    enqueue(txn, &[job]).await?;
    Ok(Some(opened.id))
}

/// Closes the product's low-stock alert, if one is open or acknowledged.
pub async fn close_low_stock<C: ConnectionTrait>(
    txn: &C,
    product_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(stock_alerts::Entity::update_many()
        .col_expr(stock_alerts::Column::Status, Expr::value("closed"))
        .col_expr(stock_alerts::Column::ClosedAt, Expr::value(now))
        .filter(stock_alerts::Column::ProductId.eq(product_id))
        .filter(stock_alerts::Column::Kind.eq("low_stock"))
        .filter(stock_alerts::Column::Status.ne("closed"))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Reads a product's level for a change that depends on it (a count, a service's use),
/// locking the row on PostgreSQL until the transaction ends. (SQLite: the caller holds the
/// one writer.)
pub async fn lock_level<C: ConnectionTrait>(txn: &C, product_id: Uuid) -> Result<Option<i64>, DbErr> {
    #[derive(FromQueryResult)]
    struct OnHand {
        on_hand: i64,
    }
    let backend = txn.get_database_backend();
    let lock = if backend == DbBackend::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT on_hand FROM products WHERE id = $1{lock}");
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, &sql), [product_id.into()]);
    Ok(OnHand::find_by_statement(stmt).one(txn).await?.map(|r| r.on_hand))
}

/// Records that a completed booking needed more of a product than there was.
pub async fn discrepancy<C: ConnectionTrait>(
    txn: &C,
    product: &products::Model,
    on_hand: i64,
    shortfall: i64,
    booking_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = stock_alerts::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(product.id),
        kind: Set("discrepancy".into()),
        status: Set("open".into()),
        on_hand: Set(on_hand),
        threshold: Set(product.reorder_threshold),
        shortfall: Set(Some(shortfall)),
        booking_id: Set(Some(booking_id)),
        opened_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        closed_at: Set(None),
    };
    stock_alerts::Entity::insert(row).exec_without_returning(txn).await?;
    Ok(())
}

/// The sum of a product's ledger (what `on_hand` must always equal).
pub async fn ledger_sum<C: ConnectionTrait>(db: &C, product_id: Uuid) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Sum {
        total: Option<i64>,
    }
    let backend = db.get_database_backend();
    let sql = "SELECT CAST(SUM(delta) AS BIGINT) AS total FROM stock_movements WHERE product_id = $1";
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, sql), [product_id.into()]);
    Ok(Sum::find_by_statement(stmt).one(db).await?.and_then(|s| s.total).unwrap_or(0))
}
