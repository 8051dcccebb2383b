//! Inventory rules: the product catalog, stock changes by hand (with their reasons), levels,
//! alerts, what services use, and the deduction when a booking is completed.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use uuid::Uuid;

use super::model::{
    AlertListQuery, AlertView, CreateProductRequest, LevelListQuery, MovementListQuery, MovementView,
    ProductListQuery, Reason, RecipeItemView, RecipeRequest, RecipeView, StockChangeView,
    UpdateProductRequest, UpdateStockRequest,
};
use super::store::{self, Move, MoveError};
use crate::auth::CurrentUser;
use crate::entity::{bookings, products, stock_alerts};
use crate::error::{ApiError, ApiResult, FieldError, on_constraint};
use crate::pagination::{Page, Window, fetch};

const PRODUCT_TAKEN: &[(&str, &str, &str)] = &[
    ("sku_key", "sku-taken", "a product with this SKU already exists (SKUs are compared regardless of case)"),
    ("barcode", "barcode-taken", "another product has this barcode"),
];

/// The 409 for a movement that would take stock below zero.
pub fn insufficient(field: &str, sku: &str, wanted: i64, on_hand: i64) -> FieldError {
    FieldError::new(field, format!("{wanted} of {sku} requested, {on_hand} in stock"))
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// # Errors
/// `sku-taken` or `barcode-taken` (409).
pub async fn create_product(
    db: &DatabaseConnection,
    actor: Option<Uuid>,
    max_attempts: i32,
    req: CreateProductRequest,
) -> ApiResult<products::Model> {
    let now = Utc::now();
    let row = products::Model {
        id: Uuid::now_v7(),
        sku_key: req.sku.to_lowercase(),
        sku: req.sku,
        name: req.name.trim().to_owned(),
        brand: trimmed(req.brand),
        category: trimmed(req.category),
        description: req.description,
        cost_cents: req.cost_cents,
        price_cents: req.price_cents,
        tax_rate_bp: req.tax_rate_bp,
        reorder_threshold: req.reorder_threshold.unwrap_or(0),
        reorder_quantity: req.reorder_quantity,
        barcode: req.barcode,
        retail: req.retail.unwrap_or(true),
        active: true,
        on_hand: 0,
        created_at: now,
        updated_at: now,
    };
    let initial = req.initial_stock.unwrap_or(0);
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    products::Entity::insert(products::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await
        .map_err(|e| on_constraint(e, PRODUCT_TAKEN))?;
    if initial > 0 {
        let m = Move {
            product_id: row.id,
            delta: initial,
            reason: Reason::Receive,
            note: Some("initial stock"),
            actor,
            sale_id: None,
            booking_id: None,
        };
        store::apply(&txn, &m, false, max_attempts, now).await.map_err(move_error)?;
    }
    txn.commit().await?;
    Ok(products::Model { on_hand: initial, ..row })
}

/// A movement's failure outside a sale (where there is one line to name).
fn move_error(e: MoveError) -> ApiError {
    match e {
        MoveError::Insufficient => ApiError::InsufficientStock {
            detail: "not enough in stock".into(),
            errors: vec![FieldError::new("delta", "would take the level below zero")],
        },
        MoveError::Unavailable => ApiError::NotFound("product"),
        MoveError::Db(e) => e.into(),
    }
}

/// # Errors
/// Database failures only.
pub async fn list_products(db: &DatabaseConnection, q: ProductListQuery) -> ApiResult<Page<products::Model>> {
    let window = Window::new(q.limit, q.offset);
    let filter = store::ProductFilter {
        q: q.q.filter(|s| !s.trim().is_empty()),
        category: q.category,
        low_stock: q.low_stock,
        active: Some(q.active.unwrap_or(true)),
        retail: q.retail,
    };
    Ok(fetch(db, store::by_name(store::products(&filter)), window).await?)
}

/// # Errors
/// `NotFound`.
pub async fn get_product(db: &DatabaseConnection, id: Uuid) -> ApiResult<products::Model> {
    store::find(db, id).await?.ok_or(ApiError::NotFound("product"))
}

/// Changes a product's details (never its stock). A lower threshold, or a deactivation,
/// closes its low-stock alert.
///
/// # Errors
/// `NotFound`; `sku-taken`, `barcode-taken` (409).
pub async fn update_product(
    db: &DatabaseConnection,
    id: Uuid,
    req: UpdateProductRequest,
) -> ApiResult<products::Model> {
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let mut row = store::find(&txn, id).await?.ok_or(ApiError::NotFound("product"))?.into_active_model();
    if let Some(sku) = req.sku {
        row.sku_key = Set(sku.to_lowercase());
        row.sku = Set(sku);
    }
    if let Some(name) = req.name {
        row.name = Set(name.trim().to_owned());
    }
    if let Some(v) = req.brand {
        row.brand = Set(trimmed(v));
    }
    if let Some(v) = req.category {
        row.category = Set(trimmed(v));
    }
    if let Some(v) = req.description {
        row.description = Set(v);
    }
    if let Some(v) = req.cost_cents {
        row.cost_cents = Set(v);
    }
    if let Some(v) = req.price_cents {
        row.price_cents = Set(v);
    }
    if let Some(v) = req.tax_rate_bp {
        row.tax_rate_bp = Set(v);
    }
    if let Some(v) = req.reorder_threshold {
        row.reorder_threshold = Set(v);
    }
    if let Some(v) = req.reorder_quantity {
        row.reorder_quantity = Set(v);
    }
    if let Some(v) = req.barcode {
        row.barcode = Set(v);
    }
    if let Some(v) = req.retail {
        row.retail = Set(v);
    }
    if let Some(v) = req.active {
        row.active = Set(v);
    }
    let now = Utc::now();
    row.updated_at = Set(now);
    let saved = row.update(&txn).await.map_err(|e| on_constraint(e, PRODUCT_TAKEN))?;
    if !saved.active || saved.on_hand > saved.reorder_threshold {
        store::close_low_stock(&txn, saved.id, now).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// # Errors
/// `NotFound`.
pub async fn deactivate_product(db: &DatabaseConnection, id: Uuid) -> ApiResult<()> {
    let req = UpdateProductRequest { active: Some(false), ..UpdateProductRequest::default() };
    update_product(db, id, req).await.map(|_| ())
}

/// What a request to change stock by hand means: the reason and, for a delta, the delta.
fn stock_change(req: &UpdateStockRequest) -> ApiResult<(Reason, Option<i64>)> {
    match (req.delta, req.count) {
        (Some(_), Some(_)) | (None, None) => Err(ApiError::Validation(vec![
            FieldError::new("delta", "give either delta or count"),
            FieldError::new("count", "give either delta or count"),
        ])),
        (None, Some(_)) => match req.reason {
            None | Some(Reason::Count) => Ok((Reason::Count, None)),
            Some(_) => Err(ApiError::field("reason", "a count's reason is count")),
        },
        (Some(delta), None) => {
            let reason = req.reason.ok_or_else(|| ApiError::field("reason", "is required with delta"))?;
            let problem = match reason {
                Reason::Count => Some("a count is given as count, not delta"),
                Reason::Sale | Reason::ServiceUse => {
                    Some("is recorded by sales and completed bookings, not by hand")
                }
                Reason::Receive | Reason::Return if delta <= 0 => Some("needs a positive delta"),
                Reason::Waste if delta >= 0 => Some("needs a negative delta"),
                _ if delta == 0 => Some("needs a delta other than 0"),
                _ => None,
            };
            match problem {
                Some(message) => Err(ApiError::field("reason", message)),
                None => Ok((reason, Some(delta))),
            }
        }
    }
}

/// What a stock change did.
pub struct StockChanged {
    /// Whether it opened a low-stock alert (its email job waits).
    pub alerted: bool,
    pub view: StockChangeView,
}

/// Changes a product's stock by hand: a delta with its reason, or a count (the level is set
/// to it; the movement is the difference, also when that is 0).
///
/// # Errors
/// 422 for a delta and count together, a reason that does not fit; `NotFound`;
/// `insufficient-stock` (409) for a delta that would take the level below zero.
pub async fn update_stock(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    max_attempts: i32,
    sku: &str,
    req: UpdateStockRequest,
) -> ApiResult<StockChanged> {
    let (reason, delta) = stock_change(&req)?;
    let product = store::find_by_sku(db, sku).await?.ok_or(ApiError::NotFound("product"))?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let now = Utc::now();
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let delta = match delta {
        Some(delta) => delta,
        None => {
            let on_hand = store::lock_level(&txn, product.id).await?.ok_or(ApiError::NotFound("product"))?;
            req.count.unwrap_or(0) - on_hand
        }
    };
    let m = Move {
        product_id: product.id,
        delta,
        reason,
        note,
        actor: Some(caller.id),
        sale_id: None,
        booking_id: None,
    };
    let moved = match store::apply(&txn, &m, false, max_attempts, now).await {
        Ok(moved) => moved,
        Err(MoveError::Insufficient) => {
            txn.rollback().await?;
            let on_hand = store::find(db, product.id).await?.map_or(0, |p| p.on_hand);
            return Err(ApiError::InsufficientStock {
                detail: format!("{} of {} in stock; cannot remove {}", on_hand, product.sku, -delta),
                errors: vec![insufficient("delta", &product.sku, -delta, on_hand)],
            });
        }
        Err(e) => return Err(move_error(e)),
    };
    txn.commit().await?;
    let view = StockChangeView {
        product_id: product.id,
        sku: moved.level.sku,
        on_hand: moved.level.on_hand,
        low_stock: moved.level.on_hand <= moved.level.reorder_threshold,
        movement: moved.movement.into(),
    };
    Ok(StockChanged { alerted: moved.alert.is_some(), view })
}

/// # Errors
/// Database failures only.
pub async fn levels(db: &DatabaseConnection, q: LevelListQuery) -> ApiResult<Page<products::Model>> {
    let window = Window::new(q.limit, q.offset);
    let filter = store::ProductFilter {
        q: None,
        category: None,
        low_stock: q.low_stock,
        active: Some(q.active.unwrap_or(true)),
        retail: None,
    };
    Ok(fetch(db, store::levels(store::products(&filter)), window).await?)
}

/// # Errors
/// `NotFound` for an unknown SKU.
pub async fn movements(
    db: &DatabaseConnection,
    sku: &str,
    q: MovementListQuery,
) -> ApiResult<Page<MovementView>> {
    let product = store::find_by_sku(db, sku).await?.ok_or(ApiError::NotFound("product"))?;
    let window = Window::new(q.limit, q.offset);
    Ok(fetch(db, store::movements(product.id, q.reason), window).await?.map(MovementView::from))
}

async fn alert_views(db: &DatabaseConnection, alerts: Vec<stock_alerts::Model>) -> ApiResult<Vec<AlertView>> {
    let mut ids: Vec<Uuid> = alerts.iter().map(|a| a.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let products = store::find_many(db, ids).await?;
    Ok(alerts
        .into_iter()
        .filter_map(|a| products.iter().find(|p| p.id == a.product_id).map(|p| AlertView::new(a, p)))
        .collect())
}

/// # Errors
/// Database failures only.
pub async fn alerts(db: &DatabaseConnection, q: AlertListQuery) -> ApiResult<Page<AlertView>> {
    let window = Window::new(q.limit, q.offset);
    let page =
        fetch(db, store::alerts(q.status.map(|s| s.as_str()), q.kind.map(|k| k.as_str())), window).await?;
    let items = alert_views(db, page.items).await?;
    Ok(Page { items, total: page.total, limit: page.limit, offset: page.offset })
}

/// Acknowledges an open alert (a second acknowledgement changes nothing).
///
/// # Errors
/// `NotFound`; `invalid-transition` (409) for a closed alert.
pub async fn acknowledge(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<AlertView> {
    let alert = {
        let _writer = crate::db::sqlite_writer(db).await;
        store::acknowledge(db, id, caller.id, Utc::now()).await?.ok_or(ApiError::NotFound("alert"))?
    };
    if alert.status == "closed" {
        return Err(ApiError::conflict(
            "invalid-transition",
            "this alert is closed: the stock was replenished",
        ));
    }
    alert_views(db, vec![alert]).await?.pop().ok_or(ApiError::NotFound("alert"))
}

/// # Errors
/// `NotFound` for an unknown service.
pub async fn recipe(db: &DatabaseConnection, service_id: Uuid) -> ApiResult<RecipeView> {
    crate::catalog::store::find_service(db, service_id).await?.ok_or(ApiError::NotFound("service"))?;
    let items = store::recipe(db, service_id)
        .await?
        .into_iter()
        .map(|(item, p)| RecipeItemView {
            product_id: p.id,
            sku: p.sku,
            name: p.name,
            quantity: item.quantity,
            on_hand: p.on_hand,
        })
        .collect();
    Ok(RecipeView { service_id, items })
}

/// Replaces what one performance of a service uses.
///
/// # Errors
/// `NotFound` for an unknown service; 422 for an unknown product or one listed twice.
pub async fn set_recipe(
    db: &DatabaseConnection,
    service_id: Uuid,
    req: RecipeRequest,
) -> ApiResult<RecipeView> {
    crate::catalog::store::find_service(db, service_id).await?.ok_or(ApiError::NotFound("service"))?;
    let ids: Vec<Uuid> = req.items.iter().map(|i| i.product_id).collect();
    let known = store::find_many(db, ids).await?;
    let mut errors = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        if !known.iter().any(|p| p.id == item.product_id) {
            errors.push(FieldError::new(format!("items[{i}].product_id"), "no such product"));
        } else if req.items[..i].iter().any(|other| other.product_id == item.product_id) {
            errors.push(FieldError::new(format!("items[{i}].product_id"), "is listed twice"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let items: Vec<(Uuid, i64)> = req.items.iter().map(|i| (i.product_id, i.quantity)).collect();
    {
        let _writer = crate::db::sqlite_writer(db).await;
        let txn = db.begin().await?;
        store::set_recipe(&txn, service_id, &items).await?;
        txn.commit().await?;
    }
    recipe(db, service_id).await
}

/// Deducts what a completed booking's service used, inside the completion's transaction: each
/// product in id order (so that concurrent completions lock rows in one order), at most what
/// is in stock. A shortfall is recorded as a discrepancy alert; the completion goes ahead.
///
/// # Errors
/// Database failures.
pub async fn use_for_booking<C: ConnectionTrait>(
    txn: &C,
    booking: &bookings::Model,
    actor: Uuid,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    let mut opened = Vec::new();
    for (item, product) in store::recipe(txn, booking.service_id).await? {
        let on_hand = store::lock_level(txn, product.id).await?.unwrap_or(0);
        let taken = item.quantity.min(on_hand);
        if taken < item.quantity {
            store::discrepancy(txn, &product, on_hand, item.quantity - taken, booking.id, now).await?;
        }
        if taken == 0 {
            continue;
        }
        let m = Move {
            product_id: product.id,
            delta: -taken,
            reason: Reason::ServiceUse,
            note: None,
            actor: Some(actor),
            sale_id: None,
            booking_id: Some(booking.id),
        };
        match store::apply(txn, &m, false, max_attempts, now).await {
            Ok(moved) => opened.extend(moved.alert),
            Err(MoveError::Db(e)) => return Err(e),
            // The row is locked (or the writer held) since it was read: neither can happen.
            Err(MoveError::Insufficient | MoveError::Unavailable) => {
                return Err(sea_orm::DbErr::Custom("stock changed under a lock".into()));
            }
        }
    }
    Ok(opened)
}
