//! Loading what the model learns from, the refresh job that stores its output, and the reads
//! (a client's recommendations, the clients due for a visit), which only read what is stored.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryResult, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::engine::{Data, Model, Product, Service};
use super::model::{
    DueClient, DueQuery, NextService, ProductRecommendation, Recommendations, ServiceRecommendation,
};
use crate::auth::{CurrentUser, Role};
use crate::entity::{
    bookings, products, recommendation_model, recommendations, sale_lines, sales, services, users,
};
use crate::error::{ApiError, ApiResult};
use crate::jobs::store::NewJob;
use crate::jobs::worker::JobError;
use crate::pagination::Page;
use crate::state::AppState;

/// The job that recomputes the model (daily, and on `POST /api/v2/recommendations/refresh`).
pub const REFRESH_JOB: &str = "recommendations.refresh";

/// A stored ranked item.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    id: Uuid,
    score: f64,
    reason: String,
}

/// Everything the model learns from, as of now: completed visits, and purchases by clients
/// (what was returned does not count).
///
/// # Errors
/// Database failures.
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Data, DbErr> {
    let service_rows: Vec<(Uuid, String, Option<Uuid>, bool)> = services::Entity::find()
        .select_only()
        .columns([
            services::Column::Id,
            services::Column::Name,
            services::Column::CategoryId,
            services::Column::IsActive,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let product_rows: Vec<(Uuid, String, bool, bool, i64)> = products::Entity::find()
        .select_only()
        .columns([
            products::Column::Id,
            products::Column::Name,
            products::Column::Retail,
            products::Column::Active,
            products::Column::OnHand,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let clients: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Role.eq("client"))
        .into_tuple()
        .all(db)
        .await?;
    let visits: Vec<(Uuid, Uuid, DateTime<Utc>)> = bookings::Entity::find()
        .select_only()
        .columns([bookings::Column::ClientId, bookings::Column::ServiceId, bookings::Column::StartAt])
        .filter(bookings::Column::Status.eq("completed"))
        .into_tuple()
        .all(db)
        .await?;
    let mut q = Query::select();
    q.column((sales::Entity, sales::Column::ClientId))
        .column((sale_lines::Entity, sale_lines::Column::ProductId))
        .column((sales::Entity, sales::Column::CreatedAt))
        .from(sale_lines::Entity)
        .inner_join(
            sales::Entity,
            Expr::col((sales::Entity, sales::Column::Id))
                .equals((sale_lines::Entity, sale_lines::Column::SaleId)),
        )
        .and_where(Expr::col((sales::Entity, sales::Column::ClientId)).is_not_null())
        .and_where(
            Expr::col((sale_lines::Entity, sale_lines::Column::Quantity))
                .gt(Expr::col((sale_lines::Entity, sale_lines::Column::ReturnedQuantity))),
        );
    let mut purchases = Vec::new();
    for row in db.query_all(&q).await? {
        let client: Uuid = row.try_get_by_index(0)?;
        let product: Uuid = row.try_get_by_index(1)?;
        let at: DateTime<Utc> = row.try_get_by_index(2)?;
        purchases.push((client, product, at));
    }

    let client_index: HashMap<Uuid, usize> = clients.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let service_index: HashMap<Uuid, usize> =
        service_rows.iter().enumerate().map(|(i, s)| (s.0, i)).collect();
    let product_index: HashMap<Uuid, usize> =
        product_rows.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
    Ok(Data {
        services: service_rows
            .into_iter()
            .map(|(id, name, category, active)| Service { id, name, category, active })
            .collect(),
        products: product_rows
            .into_iter()
            .map(|(id, name, retail, active, on_hand)| Product {
                id,
                name,
                available: retail && active && on_hand > 0,
            })
            .collect(),
        clients,
        visits: visits
            .into_iter()
            .filter_map(|(c, s, at)| Some((*client_index.get(&c)?, *service_index.get(&s)?, at.date_naive())))
            .collect(),
        purchases: purchases
            .into_iter()
            .filter_map(|(c, p, at)| Some((*client_index.get(&c)?, *product_index.get(&p)?, at.date_naive())))
            .collect(),
    })
}

/// What one refresh did.
#[derive(Debug, Clone, Copy)]
pub struct Refreshed {
    pub clients: usize,
    pub load_ms: u128,
    pub fit_ms: u128,
    pub write_ms: u128,
}

/// Recomputes the model and replaces what is stored, in one transaction.
///
/// # Errors
/// Database failures.
pub async fn refresh(db: &DatabaseConnection) -> anyhow::Result<Refreshed> {
    let started = std::time::Instant::now();
    let data = load(db).await?;
    let loaded = started.elapsed();
    let now = Utc::now();
    let today = now.date_naive();
    let (rows, model_row, n) = tokio::task::spawn_blocking(move || {
        let model = Model::fit(&data, today);
        let stored = |items: &[super::engine::Scored], ids: &dyn Fn(usize) -> Uuid| {
            let list: Vec<Stored> = items
                .iter()
                .map(|s| Stored { id: ids(s.index), score: round(s.score), reason: s.reason.clone() })
                .collect();
            serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
        };
        let service_id = |i: usize| data.services[i].id;
        let product_id = |i: usize| data.products[i].id;
        let mut rows = Vec::with_capacity(data.clients.len());
        for (c, client) in data.clients.iter().enumerate() {
            let r = model.recommend(c, today);
            rows.push(recommendations::ActiveModel::from(recommendations::Model {
                client_id: *client,
                next_service_id: r.next.as_ref().map(|n| data.services[n.service].id),
                due_on: r.next.as_ref().map(|n| n.due_on),
                last_visit_on: r.next.as_ref().map(|n| n.last_visit_on),
                reason: r.next.as_ref().map(|n| n.reason.clone()),
                confidence: r.next.as_ref().map(|n| n.confidence),
                services: stored(&r.services, &service_id),
                products: stored(&r.products, &product_id),
                generated_at: now,
            }));
        }
        let model_row = recommendation_model::Model {
            id: 1,
            popular_services: stored(model.popular_services(), &service_id),
            popular_products: stored(model.popular_products(), &product_id),
            clients: data.clients.len() as i32,
            took_ms: 0,
            generated_at: now,
        };
        (rows, model_row, data.clients.len())
    })
    .await?;
    let fitted = started.elapsed();
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    recommendations::Entity::delete_many().exec(&txn).await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(1_000).collect();
        recommendations::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
    }
    recommendation_model::Entity::delete_many().exec(&txn).await?;
    let took_ms = started.elapsed().as_millis() as i64;
    recommendation_model::Entity::insert(recommendation_model::ActiveModel::from(
        recommendation_model::Model { took_ms, ..model_row },
    ))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    let done = started.elapsed();
    tracing::info!(clients = n, took_ms = done.as_millis() as u64, "recommendations refreshed");
    Ok(Refreshed {
        clients: n,
        load_ms: loaded.as_millis(),
        fit_ms: (fitted - loaded).as_millis(),
        write_ms: (done - fitted).as_millis(),
    })
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Runs a `recommendations.refresh` job.
///
/// # Errors
/// `Retry` on database failures.
pub async fn refresh_job(state: &AppState) -> Result<(), JobError> {
    refresh(&state.db).await.map(|_| ()).map_err(|e| JobError::Retry(format!("{e:#}")))
}

/// Queues a refresh; returns the id its job carries.
///
/// # Errors
/// Database failures.
pub async fn queue_refresh(state: &AppState) -> ApiResult<Uuid> {
    let ref_id = Uuid::now_v7();
    let job = NewJob {
        kind: REFRESH_JOB,
        payload: serde_json::json!({"requested": true}),
        dedupe_key: None,
        ref_id: Some(ref_id),
        run_at: Utc::now(),
        max_attempts: state.jobs.config.max_attempts,
    };
    let _writer = crate::db::sqlite_writer(&state.db).await;
    crate::jobs::store::enqueue(&state.db, &[job]).await?;
    drop(_writer);
    state.jobs.wake();
    Ok(ref_id)
}

fn parse(json: &str) -> Vec<Stored> {
    serde_json::from_str(json).unwrap_or_default()
}

/// How many of each list a reader gets.
const SHOWN: usize = 5;

/// The client's role and their stored row, read with the caller (see [`with_client_row`]).
#[derive(Debug, FromQueryResult)]
struct Row {
    role: Option<String>,
    next_service_id: Option<Uuid>,
    due_on: Option<NaiveDate>,
    last_visit_on: Option<NaiveDate>,
    reason: Option<String>,
    confidence: Option<f64>,
    services: Option<String>,
    products: Option<String>,
    generated_at: Option<DateTime<Utc>>,
}

/// What may be recommended now, by id, with its name and SKU (empty for a service): active
/// services, and products that are active, sold retail and in stock.
pub type Recommendable = HashMap<Uuid, (String, String)>;

/// [`Recommendable`] in one query.
async fn recommendable<C: ConnectionTrait>(db: &C) -> Result<Recommendable, DbErr> {
    use sea_orm::sea_query::UnionType;
    let mut q = Query::select();
    q.column(services::Column::Id)
        .column(services::Column::Name)
        .expr_as(Expr::val(""), Alias::new("sku"))
        .from(services::Entity)
        .and_where(Expr::col(services::Column::IsActive).eq(true));
    let mut p = Query::select();
    p.column(products::Column::Id)
        .column(products::Column::Name)
        .column(products::Column::Sku)
        .from(products::Entity)
        .and_where(Expr::col(products::Column::Active).eq(true))
        .and_where(Expr::col(products::Column::Retail).eq(true))
        .and_where(Expr::col(products::Column::OnHand).gt(0));
    q.union(UnionType::All, p);
    let mut found = HashMap::new();
    for row in db.query_all(&q).await? {
        let (id, name, sku): (Uuid, String, String) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        found.insert(id, (name, sku));
    }
    Ok(found)
}

/// [`Recommendable`] at one recommendations version: every change to what it holds (a
/// service's name or state; a product's name, SKU, state, or stock reaching or leaving zero)
/// bumps that version, so a rendering at the same version reads only the client's row.
pub type RecommendableCache = crate::cache::Versioned<Recommendable>;

/// The prefix of the columns [`with_client_row`] adds.
const ROW: &str = "r_";

/// Adds client `id`'s role and stored recommendations to the caller's statement (columns
/// prefixed `r_`, NULL when there is no such user or row), so that a first read is one round
/// trip, and its row is as of the version read in the same statement.
pub fn with_client_row(q: &mut SelectStatement, id: Uuid) {
    let client = Alias::new("client");
    let rec = |c: recommendations::Column| Expr::col((recommendations::Entity, c));
    q.expr_as(Expr::col((client.clone(), users::Column::Role)), format!("{ROW}role"))
        .expr_as(rec(recommendations::Column::NextServiceId), format!("{ROW}next_service_id"))
        .expr_as(rec(recommendations::Column::DueOn), format!("{ROW}due_on"))
        .expr_as(rec(recommendations::Column::LastVisitOn), format!("{ROW}last_visit_on"))
        .expr_as(rec(recommendations::Column::Reason), format!("{ROW}reason"))
        .expr_as(rec(recommendations::Column::Confidence), format!("{ROW}confidence"))
        .expr_as(rec(recommendations::Column::Services), format!("{ROW}services"))
        .expr_as(rec(recommendations::Column::Products), format!("{ROW}products"))
        .expr_as(rec(recommendations::Column::GeneratedAt), format!("{ROW}generated_at"))
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            client.clone(),
            Expr::col((client.clone(), users::Column::Id)).eq(id),
        )
        .left_join(
            recommendations::Entity,
            rec(recommendations::Column::ClientId).equals((client, users::Column::Id)),
        );
}

/// A client's recommendations, rendered, from the cache while `version` is the one it was
/// rendered at; rendered and kept otherwise, from the client's stored row (`row`, read with
/// the caller and the version by [`with_client_row`]) and what may be recommended at that
/// version (so what became inactive or ran out since is left out). Who may ask is checked
/// first, and a 404 is never kept.
///
/// # Errors
/// `NotFound` for an unknown client, and for another client's id when a client asks.
pub async fn for_client(
    db: &DatabaseConnection,
    cache: &crate::cache::RenderCache,
    recommendable: &RecommendableCache,
    caller: &CurrentUser,
    version: Option<i64>,
    id: Uuid,
    row: &QueryResult,
) -> ApiResult<crate::cache::Rendered> {
    if caller.is(Role::Client) && caller.id != id {
        return Err(ApiError::NotFound("client"));
    }
    let key = id.to_string();
    if let Some(kept) = version.and_then(|v| cache.get(&key, v)) {
        return Ok(kept);
    }
    let row = Row::from_query_result(row, ROW)?;
    let value = render(db, recommendable, version, id, row).await?;
    let rendered = crate::cache::Rendered::new(&key, version, &value).map_err(anyhow::Error::from)?;
    cache.put(key, rendered.clone());
    Ok(rendered)
}

/// A client's recommendations from their stored row, with only what may be recommended at
/// `version` (no query; one for a client who joined after the last refresh, and one when
/// that version's items are not yet held).
async fn render(
    db: &DatabaseConnection,
    recommendable: &RecommendableCache,
    version: Option<i64>,
    id: Uuid,
    row: Row,
) -> ApiResult<Recommendations> {
    if row.role.as_deref() != Some("client") {
        return Err(ApiError::NotFound("client"));
    }
    let (services_json, products_json, generated_at) = match (&row.services, &row.products) {
        (Some(s), Some(p)) => (s.clone(), p.clone(), row.generated_at),
        // A client who joined since the last refresh: what is popular.
        _ => match recommendation_model::Entity::find_by_id(1).one(db).await? {
            Some(m) => (m.popular_services, m.popular_products, Some(m.generated_at)),
            None => ("[]".into(), "[]".into(), None),
        },
    };
    let (services, products) = (parse(&services_json), parse(&products_json));
    let live = recommendable.at(version, || self::recommendable(db)).await?;
    let next_service = next_of(&row, |id| live.get(&id).map(|(name, _)| name.clone()));
    Ok(Recommendations {
        client_id: id,
        next_service,
        services: services
            .into_iter()
            .filter_map(|s| {
                let (name, _) = live.get(&s.id)?;
                Some(ServiceRecommendation {
                    service_id: s.id,
                    name: name.clone(),
                    score: s.score,
                    reason: s.reason,
                })
            })
            .take(SHOWN)
            .collect(),
        products: products
            .into_iter()
            .filter_map(|p| {
                let (name, sku) = live.get(&p.id)?;
                Some(ProductRecommendation {
                    product_id: p.id,
                    sku: sku.clone(),
                    name: name.clone(),
                    score: p.score,
                    reason: p.reason,
                })
            })
            .take(SHOWN)
            .collect(),
        generated_at,
    })
}

fn next_of(r: &Row, name: impl Fn(Uuid) -> Option<String>) -> Option<NextService> {
    let id = r.next_service_id?;
    Some(NextService {
        service_id: id,
        name: name(id)?,
        due_on: r.due_on?,
        last_visit_on: r.last_visit_on?,
        reason: r.reason.clone()?,
        confidence: r.confidence.unwrap_or(0.0),
    })
}

/// Clients due for a visit before `q.before`, soonest (most overdue) first; by default those
/// who already hold an upcoming booking are left out, and so are deactivated clients and
/// services.
///
/// # Errors
/// Database failures only.
pub async fn due(db: &DatabaseConnection, q: DueQuery) -> ApiResult<Page<DueClient>> {
    let now = Utc::now();
    let before: NaiveDate = q.before.unwrap_or_else(|| now.date_naive() + chrono::Duration::days(7));
    let window = crate::pagination::Window::new(q.limit, q.offset);
    let r = |c: recommendations::Column| Expr::col((recommendations::Entity, c));
    let mut select = Query::select();
    select
        .from(recommendations::Entity)
        .inner_join(
            users::Entity,
            Expr::col((users::Entity, users::Column::Id))
                .equals((recommendations::Entity, recommendations::Column::ClientId)),
        )
        .inner_join(
            services::Entity,
            Expr::col((services::Entity, services::Column::Id))
                .equals((recommendations::Entity, recommendations::Column::NextServiceId)),
        )
        .and_where(r(recommendations::Column::DueOn).lt(before))
        .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
        .and_where(Expr::col((services::Entity, services::Column::IsActive)).eq(true));
    if q.unbooked_only.unwrap_or(true) {
        let mut upcoming = Query::select();
        upcoming
            .expr(Expr::val(1))
            .from(bookings::Entity)
            .and_where(
                Expr::col((bookings::Entity, bookings::Column::ClientId))
                    .equals((recommendations::Entity, recommendations::Column::ClientId)),
            )
            .and_where(Expr::col((bookings::Entity, bookings::Column::StartAt)).gt(now))
            .and_where(
                Expr::col((bookings::Entity, bookings::Column::Status)).is_in(["pending", "confirmed"]),
            );
        select.and_where(Expr::exists(upcoming).not());
    }
    let mut count = select.clone();
    count.expr(Expr::col((recommendations::Entity, recommendations::Column::ClientId)).count());
    let total: i64 = match db.query_one(&count).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    select
        .columns([
            (recommendations::Entity, recommendations::Column::ClientId),
            (recommendations::Entity, recommendations::Column::NextServiceId),
            (recommendations::Entity, recommendations::Column::DueOn),
            (recommendations::Entity, recommendations::Column::LastVisitOn),
            (recommendations::Entity, recommendations::Column::Reason),
            (recommendations::Entity, recommendations::Column::Confidence),
        ])
        .column((users::Entity, users::Column::FullName))
        .column((users::Entity, users::Column::Email))
        .column((users::Entity, users::Column::Phone))
        .column((services::Entity, services::Column::Name))
        .order_by((recommendations::Entity, recommendations::Column::DueOn), Order::Asc)
        .order_by((recommendations::Entity, recommendations::Column::ClientId), Order::Asc)
        .limit(window.limit)
        .offset(window.offset);
    let mut items = Vec::new();
    for row in db.query_all(&select).await? {
        items.push(DueClient {
            client_id: row.try_get_by_index(0)?,
            full_name: row.try_get_by_index(6)?,
            email: row.try_get_by_index(7)?,
            phone: row.try_get_by_index(8)?,
            next_service: NextService {
                service_id: row.try_get_by_index(1)?,
                name: row.try_get_by_index(9)?,
                due_on: row.try_get_by_index(2)?,
                last_visit_on: row.try_get_by_index(3)?,
                reason: row.try_get_by_index(4)?,
                confidence: row.try_get_by_index::<Option<f64>>(5)?.unwrap_or(0.0),
            },
        });
    }
    Ok(Page { items, total: total as u64, limit: window.limit, offset: window.offset })
}
