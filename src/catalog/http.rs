use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::model::{
    AssignmentListQuery, AssignmentView, CategoryListQuery, CategoryView, CreateAssignmentRequest,
    CreateCategoryRequest, CreateServiceRequest, ServiceListQuery, ServiceView, UpdateCategoryRequest,
    UpdateServiceRequest,
};
use super::service;
use crate::auth::{Admin, CurrentUser, RequireRole};
use crate::cache::Seen;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type Created<T> = ApiResult<(StatusCode, axum::Json<T>)>;

/// List service categories. Public (active ones); admins may list deactivated ones too.
#[utoipa::path(get, path = "/api/v1/services/categories", tag = "services",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(CategoryListQuery),
    responses((status = 200, description = "A page of categories, by name", body = Page<CategoryView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_categories(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Query(q): Query<CategoryListQuery>,
) -> ApiResult<axum::Json<Page<CategoryView>>> {
    Ok(axum::Json(service::list_categories(&state.db, caller.as_ref(), q).await?.map(CategoryView::from)))
}

/// Create a category. Roles: admin.
#[utoipa::path(post, path = "/api/v1/services/categories", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, description = "The new category", body = CategoryView),
        (status = 409, description = "`category-exists`: the name is taken (case-insensitive)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_category(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Json(req): Json<CreateCategoryRequest>,
) -> Created<CategoryView> {
    Ok((StatusCode::CREATED, axum::Json(service::create_category(&state.db, req).await?.into())))
}

/// Rename, describe, or (re)activate a category. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/services/categories/{id}", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body = UpdateCategoryRequest,
    responses(
        (status = 200, description = "The updated category", body = CategoryView),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`category-exists`: the name is taken", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(category_id = %id))]
pub async fn update_category(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCategoryRequest>,
) -> ApiResult<axum::Json<CategoryView>> {
    Ok(axum::Json(service::update_category(&state.db, id, req).await?.into()))
}

/// Deactivate a category (kept for history; hidden from public lists). Roles: admin.
#[utoipa::path(delete, path = "/api/v1/services/categories/{id}", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(category_id = %id))]
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::deactivate_category(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List services. Public (active ones); admins may list deactivated ones too.
///
/// The response carries a weak `ETag`; sending it back in `If-None-Match` gets a 304 without
/// a body while the services have not changed.
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(ServiceListQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier response")),
    responses(
        (status = 200, description = "A page of services, by name", body = Page<ServiceView>,
            headers(
                ("ETag" = String, description = "Changes whenever the page could have changed"),
                ("Cache-Control" = String, description = "`private, no-cache`: revalidate with `If-None-Match`"),
                ("Vary" = String, description = "`authorization`: admins may see more"))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`",
            headers(
                ("ETag" = String, description = "The same `ETag`"),
                ("Cache-Control" = String, description = "`private, no-cache`"),
                ("Vary" = String, description = "`authorization`"))),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list_services(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    seen: Option<Extension<Seen>>,
    headers: HeaderMap,
    Query(q): Query<ServiceListQuery>,
) -> ApiResult<Response> {
    let seen = seen.map(|Extension(seen)| seen);
    let rendered = service::list_services(&state.db, &state.services_cache, caller.as_ref(), seen, q).await?;
    Ok(rendered.respond(&headers))
}

/// Create a service. Roles: admin.
#[utoipa::path(post, path = "/api/v1/services", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateServiceRequest,
    responses((status = 201, description = "The new service", body = ServiceView)))]
#[tracing::instrument(skip_all)]
pub async fn create_service(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Json(req): Json<CreateServiceRequest>,
) -> Created<ServiceView> {
    Ok((StatusCode::CREATED, axum::Json(service::create_service(&state.db, req).await?.into())))
}

/// One service. Public for active services; admins also read deactivated ones.
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Service id")),
    responses(
        (status = 200, description = "The service", body = ServiceView),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(service_id = %id))]
pub async fn get_service(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ServiceView>> {
    Ok(axum::Json(service::get_service(&state.db, caller.as_ref(), id).await?.into()))
}

/// Change a service. Roles: admin.
#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Service id")),
    request_body = UpdateServiceRequest,
    responses(
        (status = 200, description = "The updated service", body = ServiceView),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(service_id = %id))]
pub async fn update_service(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateServiceRequest>,
) -> ApiResult<axum::Json<ServiceView>> {
    Ok(axum::Json(service::update_service(&state.db, id, req).await?.into()))
}

/// Deactivate a service (kept for history; no longer bookable or listed publicly). Roles: admin.
#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Service id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(service_id = %id))]
pub async fn delete_service(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::deactivate_service(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which staff member performs which service, with their price and duration. Public (active
/// staff and services); admins see all.
#[utoipa::path(get, path = "/api/v1/services/assignments", tag = "services",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(AssignmentListQuery),
    responses((status = 200, description = "A page of assignments", body = Page<AssignmentView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_assignments(
    State(state): State<AppState>,
    caller: Option<CurrentUser>,
    Query(q): Query<AssignmentListQuery>,
) -> ApiResult<axum::Json<Page<AssignmentView>>> {
    Ok(axum::Json(service::list_assignments(&state.db, caller.as_ref(), q).await?))
}

/// Assign a service to a staff member, optionally with their own price and duration.
/// Roles: admin.
#[utoipa::path(post, path = "/api/v1/services/assignments", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateAssignmentRequest,
    responses(
        (status = 201, description = "The new assignment", body = AssignmentView),
        (status = 409, description = "`assignment-exists`: this pair is already assigned", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_assignment(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Json(req): Json<CreateAssignmentRequest>,
) -> Created<AssignmentView> {
    Ok((StatusCode::CREATED, axum::Json(service::create_assignment(&state.db, req).await?)))
}

/// Remove an assignment. Roles: admin.
#[utoipa::path(delete, path = "/api/v1/services/assignments/{id}", tag = "services",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Assignment id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(assignment_id = %id))]
pub async fn delete_assignment(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_assignment(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
