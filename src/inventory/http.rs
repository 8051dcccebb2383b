use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::model::{
    AlertListQuery, AlertView, CreateProductRequest, LevelListQuery, LevelView, MovementListQuery,
    MovementView, ProductListQuery, ProductView, RecipeRequest, RecipeView, StockChangeView,
    UpdateProductRequest, UpdateStockRequest,
};
use super::service;
use crate::auth::{Admin, RequireRole, StaffOrAdmin};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type JsonResult<T> = ApiResult<axum::Json<T>>;

/// List products, by name; search with `q`, filter by `category`, `low_stock`, `active`
/// (default `true`) and `retail`. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/products", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(ProductListQuery),
    responses((status = 200, description = "A page of products with their stock", body = Page<ProductView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_products(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Query(q): Query<ProductListQuery>,
) -> JsonResult<Page<ProductView>> {
    Ok(axum::Json(service::list_products(&state.db, q).await?.map(ProductView::from)))
}

/// Add a product, optionally with its stock on hand (a `receive` movement). Role: admin.
#[utoipa::path(post, path = "/api/v2/products", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateProductRequest,
    responses(
        (status = 201, description = "The new product", body = ProductView),
        (status = 409, description = "`sku-taken` (SKUs are compared regardless of case) or `barcode-taken`", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_product(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<Admin>,
    Json(req): Json<CreateProductRequest>,
) -> ApiResult<(StatusCode, axum::Json<ProductView>)> {
    let product =
        service::create_product(&state.db, Some(caller.id), state.jobs.config.max_attempts, req).await?;
    Ok((StatusCode::CREATED, axum::Json(product.into())))
}

/// One product with its stock. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/products/{id}", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(product_id = %id))]
pub async fn get_product(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
) -> JsonResult<ProductView> {
    Ok(axum::Json(service::get_product(&state.db, id).await?.into()))
}

/// Change a product's details (stock changes go through `update_stock`). Role: admin.
#[utoipa::path(patch, path = "/api/v2/products/{id}", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = UpdateProductRequest,
    responses(
        (status = 200, description = "The updated product", body = ProductView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sku-taken` or `barcode-taken`", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(product_id = %id))]
pub async fn update_product(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateProductRequest>,
) -> JsonResult<ProductView> {
    Ok(axum::Json(service::update_product(&state.db, id, req).await?.into()))
}

/// Deactivate a product: it keeps its history and stock but can no longer be sold. Role: admin.
#[utoipa::path(delete, path = "/api/v2/products/{id}", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(product_id = %id))]
pub async fn delete_product(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::deactivate_product(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a product's stock: `delta` with a reason (`receive`, `return`, `adjustment`,
/// `waste`), or `count` (the level is set to it; the movement records the difference).
/// Roles: staff, admin.
#[utoipa::path(put, path = "/api/v2/inventory/{sku}/update_stock", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("sku" = String, Path, description = "The product's SKU (any case)")),
    request_body = UpdateStockRequest,
    responses(
        (status = 200, description = "The new level and the movement", body = StockChangeView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`insufficient-stock`: the level would go below zero; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(sku = %sku))]
pub async fn update_stock(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(sku): Path<String>,
    Json(req): Json<UpdateStockRequest>,
) -> JsonResult<StockChangeView> {
    let change = service::update_stock(&state.db, &caller, state.jobs.config.max_attempts, &sku, req).await?;
    if change.alerted {
        state.jobs.wake();
    }
    Ok(axum::Json(change.view))
}

/// Stock levels, low-stock products first, then by name. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/inventory", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(LevelListQuery),
    responses((status = 200, description = "A page of levels", body = Page<LevelView>)))]
#[tracing::instrument(skip_all)]
pub async fn levels(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Query(q): Query<LevelListQuery>,
) -> JsonResult<Page<LevelView>> {
    Ok(axum::Json(service::levels(&state.db, q).await?.map(LevelView::from)))
}

/// A product's stock movements, newest first. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/inventory/{sku}/movements", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("sku" = String, Path, description = "The product's SKU (any case)"), MovementListQuery),
    responses(
        (status = 200, description = "A page of movements", body = Page<MovementView>),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(sku = %sku))]
pub async fn movements(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Path(sku): Path<String>,
    Query(q): Query<MovementListQuery>,
) -> JsonResult<Page<MovementView>> {
    Ok(axum::Json(service::movements(&state.db, &sku, q).await?))
}

/// Stock alerts: open ones first, then acknowledged, then closed; filter by `status` and
/// `kind`. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/inventory/alerts", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(AlertListQuery),
    responses((status = 200, description = "A page of alerts", body = Page<AlertView>)))]
#[tracing::instrument(skip_all)]
pub async fn alerts(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Query(q): Query<AlertListQuery>,
) -> JsonResult<Page<AlertView>> {
    Ok(axum::Json(service::alerts(&state.db, q).await?))
}

/// Acknowledge an alert: someone is on it. A low-stock alert still closes itself when the
/// stock is replenished. Roles: staff, admin.
#[utoipa::path(post, path = "/api/v2/inventory/alerts/{id}/acknowledge", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert, acknowledged", body = AlertView),
        (status = 404, description = "No such alert", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`: the alert is closed", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(alert_id = %id))]
pub async fn acknowledge(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
) -> JsonResult<AlertView> {
    Ok(axum::Json(service::acknowledge(&state.db, &caller, id).await?))
}

/// What one performance of a service uses (deducted when a booking of it is completed).
/// Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/services/{id}/products", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Service id")),
    responses(
        (status = 200, description = "The products and quantities", body = RecipeView),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(service_id = %id))]
pub async fn get_recipe(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
) -> JsonResult<RecipeView> {
    Ok(axum::Json(service::recipe(&state.db, id).await?))
}

/// Set what one performance of a service uses; replaces the whole list. Role: admin.
#[utoipa::path(put, path = "/api/v2/services/{id}/products", tag = "inventory",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Service id")),
    request_body = RecipeRequest,
    responses(
        (status = 200, description = "The products and quantities", body = RecipeView),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(service_id = %id))]
pub async fn set_recipe(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
    Json(req): Json<RecipeRequest>,
) -> JsonResult<RecipeView> {
    Ok(axum::Json(service::set_recipe(&state.db, id, req).await?))
}
