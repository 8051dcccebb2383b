use axum::extract::State;
use uuid::Uuid;

use super::model::{InvoiceListQuery, InvoiceView};
use super::service;
use crate::auth::{AnyRole, RequireRole};
use crate::error::{ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

/// Invoices, newest first: one per completed booking and per retail sale. Roles: staff and
/// admin (all; filter by booking, sale or client), client (their own).
#[utoipa::path(get, path = "/api/v2/invoices", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(InvoiceListQuery),
    responses((status = 200, description = "A page of invoices", body = Page<InvoiceView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_invoices(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<InvoiceListQuery>,
) -> ApiResult<axum::Json<Page<InvoiceView>>> {
    Ok(axum::Json(service::list(&state.db, &caller, q).await?))
}

/// One invoice with its lines, what was paid (a booking's deposit counts) and the balance.
/// Roles: staff, admin, and the client it is for (another client's is a 404).
#[utoipa::path(get, path = "/api/v2/invoices/{id}", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice", body = InvoiceView),
        (status = 404, description = "No such invoice", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(invoice_id = %id))]
pub async fn get_invoice(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<InvoiceView>> {
    Ok(axum::Json(service::get(&state.db, &caller, id).await?))
}
