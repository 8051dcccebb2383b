//! Handlers: extract, authorize (in the signature), call the service, map to a view.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, StatusCode};
use uuid::Uuid;

use super::model::{
    AdminUpdateUserRequest, LoginForm, LoginRequest, RefreshRequest, RegisterRequest, TokenResponse,
    UpdateProfileRequest, UserListQuery, UserView,
};
use super::service;
use crate::auth::{Admin, AnyRole, RequireRole, StaffOrAdmin};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, JsonOrForm, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type JsonResponse<T> = ApiResult<axum::Json<T>>;

/// Create a client account.
///
/// Registration always creates a `client`; staff accounts are created through `/api/v1/staff`.
#[utoipa::path(post, path = "/api/v1/users/register", tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account", body = UserView),
        (status = 409, description = "`email-taken`: the email is in use", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    let user = service::create_user(&state.db, req.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(user.into())))
}

/// Log in: JSON `{email, password}` or the OAuth2 password form (`username`, `password`).
///
/// Unknown email and wrong password give the same 401. After 5 failures for one email within
/// 15 minutes (20 from one client address), further attempts are a 429 with `Retry-After`
/// until the window ends; the count is kept in the database, so it holds across processes.
#[utoipa::path(post, path = "/api/v1/users/login", tag = "users",
    request_body(content(
        (LoginRequest = "application/json"),
        (LoginForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A token pair", body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    JsonOrForm(req): JsonOrForm<LoginRequest>,
) -> JsonResponse<TokenResponse> {
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string());
    Ok(axum::Json(service::login(&state, &req.email, req.password, ip).await?))
}

/// Exchange a refresh token for a new pair (rotation).
///
/// The presented refresh token stops working. Presenting an already used one revokes every
/// token of that session: it was stolen or replayed.
#[utoipa::path(post, path = "/api/v1/users/refresh", tag = "users",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired or reused refresh token", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> JsonResponse<TokenResponse> {
    Ok(axum::Json(service::refresh(&state, &req.refresh_token).await?))
}

/// Log out: revoke the session the refresh token belongs to (idempotent).
#[utoipa::path(post, path = "/api/v1/users/logout", tag = "users",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is revoked")))]
#[tracing::instrument(skip_all)]
pub async fn logout(State(state): State<AppState>, Json(req): Json<RefreshRequest>) -> ApiResult<StatusCode> {
    service::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account. Roles: any signed-in user.
#[utoipa::path(get, path = "/api/v1/users/profile", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "The caller's account", body = UserView)))]
#[tracing::instrument(skip_all)]
pub async fn get_profile(
    State(state): State<AppState>,
    RequireRole(user, _): RequireRole<AnyRole>,
) -> JsonResponse<UserView> {
    Ok(axum::Json(service::profile(&state.db, &user).await?.into()))
}

/// Update the caller's name, phone or password. Roles: any signed-in user.
///
/// A new `password` needs `current_password`; changing it ends the caller's other sessions.
#[utoipa::path(patch, path = "/api/v1/users/profile", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = UpdateProfileRequest,
    responses((status = 200, description = "The updated account", body = UserView)))]
#[tracing::instrument(skip_all)]
pub async fn update_profile(
    State(state): State<AppState>,
    RequireRole(user, _): RequireRole<AnyRole>,
    Json(req): Json<UpdateProfileRequest>,
) -> JsonResponse<UserView> {
    Ok(axum::Json(service::update_profile(&state.db, &user, req).await?.into()))
}

/// List accounts. Roles: admin (everyone), staff (clients only, to book on their behalf).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(UserListQuery),
    responses((status = 200, description = "A page of accounts", body = Page<UserView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_users(
    State(state): State<AppState>,
    RequireRole(user, _): RequireRole<StaffOrAdmin>,
    Query(q): Query<UserListQuery>,
) -> JsonResponse<Page<UserView>> {
    Ok(axum::Json(service::list_users(&state.db, &user, q).await?.map(UserView::from)))
}

/// Change an account's role or deactivate it. Roles: admin.
///
/// A deactivated user's tokens stop working at once. Demoting or deactivating the last active
/// admin is a 409 `last-admin`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = AdminUpdateUserRequest,
    responses(
        (status = 200, description = "The updated account", body = UserView),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last-admin`: the change would leave no active admin", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %id))]
pub async fn update_user(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    Path(id): Path<Uuid>,
    Json(req): Json<AdminUpdateUserRequest>,
) -> JsonResponse<UserView> {
    Ok(axum::Json(service::admin_update_user(&state.db, id, req).await?.into()))
}
