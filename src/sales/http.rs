use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use uuid::Uuid;

use super::model::{CreateSaleRequest, ReturnRequest, SaleListQuery, SaleView};
use super::service;
use crate::auth::{AnyRole, RequireRole, StaffOrAdmin};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type JsonResult<T> = ApiResult<axum::Json<T>>;

/// Sell products at the front desk, to a client or a walk-in. All or nothing: if any line
/// lacks stock, the 409 names it (and every other line that does) and no stock moves. With an
/// `Idempotency-Key`, a retry returns the first sale and sells nothing again. Roles: staff,
/// admin.
#[utoipa::path(post, path = "/api/v2/sales/retail", tag = "sales",
    security(("bearer" = []), ("oauth2" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string of 1 to 200 visible ASCII characters (surrounding blanks are dropped); retries with the same key are safe", pattern = r"^[\t ]*[!-~]([\t -~]{0,198}[!-~])?[\t ]*$")),
    request_body = CreateSaleRequest,
    responses(
        (status = 201, description = "Sold (or, for a retry with the same Idempotency-Key, the first sale again)", body = SaleView,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored response of an earlier request with the same key"))),
        (status = 409, description = "`insufficient-stock`: `errors` names the lines (`lines[2].quantity`); nothing was sold", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_sale(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    headers: HeaderMap,
    Json(req): Json<CreateSaleRequest>,
) -> ApiResult<impl IntoResponse> {
    let key = crate::extract::idempotency_key(&headers)?;
    let sold = service::create(&state.db, &caller, state.jobs.config.max_attempts, req, key).await?;
    if sold.wake {
        state.jobs.wake();
    }
    let replayed = if sold.created { "false" } else { "true" };
    Ok((StatusCode::CREATED, [("idempotent-replayed", replayed)], axum::Json(sold.view)))
}

/// Sales, newest first. Roles: staff and admin (all; filter by `client_id`), client (their
/// own purchases).
#[utoipa::path(get, path = "/api/v2/sales", tag = "sales",
    security(("bearer" = []), ("oauth2" = [])),
    params(SaleListQuery),
    responses((status = 200, description = "A page of sales", body = Page<SaleView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_sales(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<SaleListQuery>,
) -> JsonResult<Page<SaleView>> {
    Ok(axum::Json(service::list(&state.db, &caller, q).await?))
}

/// One sale with its lines, totals and returns. Roles: staff, admin, and the client it was
/// sold to (another client's sale is a 404).
#[utoipa::path(get, path = "/api/v2/sales/{id}", tag = "sales",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Sale id")),
    responses(
        (status = 200, description = "The sale", body = SaleView),
        (status = 404, description = "No such sale (or not the caller's)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(sale_id = %id))]
pub async fn get_sale(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
) -> JsonResult<SaleView> {
    Ok(axum::Json(service::get(&state.db, &caller, id).await?))
}

/// Take products of a sale back: the stock returns and the refund is the returned units'
/// share of their lines' totals. Roles: staff, admin.
#[utoipa::path(post, path = "/api/v2/sales/{id}/return", tag = "sales",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Sale id")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "The sale with its returns", body = SaleView),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`return-exceeds-sold`: more than was sold and not yet returned", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(sale_id = %id))]
pub async fn return_items(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Path(id): Path<Uuid>,
    Json(req): Json<ReturnRequest>,
) -> JsonResult<SaleView> {
    let view = service::return_items(&state.db, &caller, state.jobs.config.max_attempts, id, req).await?;
    // An online payment's refund goes to Stripe through the queue.
    state.jobs.wake();
    Ok(axum::Json(view))
}
