use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::model::{DueClient, DueQuery, Recommendations, RefreshQueued};
use super::service;
use crate::auth::{Admin, RequireRole, StaffOrAdmin};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

/// A client's recommendations: the next service they are due for (when, and why), other
/// services and complementary products, each with a score and a reason. Read from the stored
/// model (see `POST /api/v2/recommendations/refresh`); what became inactive or ran out of
/// stock since is left out. A client without history gets what is popular and no
/// `next_service`. Roles: staff, admin, and that client (another client's id is a 404).
/// The answer carries an `ETag`: send it back in `If-None-Match` for a `304` while nothing
/// it was made from has changed.
#[utoipa::path(get, path = "/api/v2/recommendations/client/{id}", tag = "recommendations",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Client (user) id"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` of an earlier answer")),
    responses(
        (status = 200, description = "The recommendations", body = Recommendations,
            headers(
                ("ETag" = String, description = "Changes whenever the answer could have changed"),
                ("Cache-Control" = String, description = "`private, no-cache`: revalidate with `If-None-Match`"),
                ("Vary" = String, description = "`authorization`"))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`",
            headers(
                ("ETag" = String, description = "The same `ETag`"),
                ("Cache-Control" = String, description = "`private, no-cache`"),
                ("Vary" = String, description = "`authorization`"))),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn for_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<Uuid>, ApiError>,
) -> ApiResult<Response> {
    // Any role, as `RequireRole<AnyRole>` (and its 401s first), but with the client's row read
    // in the caller's own statement: a first read is one round trip.
    let id = path.as_ref().ok().map(|Path(id)| *id);
    if let Some(id) = id {
        tracing::Span::current().record("client_id", tracing::field::display(id));
    }
    let (caller, seen, row) = crate::auth::extract::authenticate_with(&state, &headers, |q| {
        if let Some(id) = id {
            service::with_client_row(q, id);
        }
    })
    .await?;
    let Path(id) = path?;
    let rendered = service::for_client(
        &state.db,
        &state.recommendations_cache,
        &state.recommendable,
        &caller,
        seen.recommendations,
        id,
        &row,
    )
    .await?;
    Ok(rendered.respond(&headers))
}

/// Clients due for a visit before a day (the overdue first), for a rebooking call or message:
/// each with the service, due date, last visit and the reason. Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/recommendations/due", tag = "recommendations",
    security(("bearer" = []), ("oauth2" = [])),
    params(DueQuery),
    responses((status = 200, description = "A page of clients due", body = Page<DueClient>)))]
#[tracing::instrument(skip_all)]
pub async fn due(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Query(q): Query<DueQuery>,
) -> ApiResult<axum::Json<Page<DueClient>>> {
    Ok(axum::Json(service::due(&state.db, q).await?))
}

/// Recompute the model now (it is also recomputed daily), in the background: follow it with
/// `GET /api/v2/jobs?ref_id=<ref_id>`. Role: admin.
#[utoipa::path(post, path = "/api/v2/recommendations/refresh", tag = "recommendations", operation_id = "refresh_recommendations",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 202, description = "Queued", body = RefreshQueued)))]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
) -> ApiResult<(StatusCode, axum::Json<RefreshQueued>)> {
    let ref_id = service::queue_refresh(&state).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(RefreshQueued { ref_id })))
}
