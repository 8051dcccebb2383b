//! Who is calling, and whether their role may use an endpoint. The role rule is part of the
//! handler's signature: `RequireRole<Admin>` cannot be forgotten inside a function body.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::{HeaderMap, header, request::Parts};
use sea_orm::QueryResult;
use sea_orm::sea_query::SelectStatement;
use uuid::Uuid;

use super::Role;
use crate::cache::Seen;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::store as users_store;

/// An authenticated, active user. The role comes from the database on every request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub role: Role,
    pub email: String,
    pub full_name: String,
    /// What the caller acts through; booking history records it.
    pub channel: Channel,
}

/// The way a request reaches the booking rules: the REST API itself, or a conversation
/// (`/api/v2/voice/*`) that the server turned into the same calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    #[default]
    Api,
    Voice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Voice => "voice",
        }
    }
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let token =
            bearer_token(&parts.headers).ok_or(ApiError::Unauthorized("a bearer token is required"))?;
        let (user, seen) = authenticate(state, token).await?;
        parts.extensions.insert(user.clone());
        parts.extensions.insert(seen);
        Ok(user)
    }
}

/// Public endpoints that show more to some roles: no token is anonymous, a bad token is
/// still a 401 (the caller should know their token is wrong).
impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, ApiError> {
        if parts.headers.get(header::AUTHORIZATION).is_none() {
            return Ok(None);
        }
        <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// The caller, reloaded (an account deactivated or demoted a moment ago counts at once, in
/// every process), and the cache versions read in the same statement.
async fn authenticate(state: &AppState, token: &str) -> Result<(CurrentUser, Seen), ApiError> {
    let (user, seen, _) = authenticate_token(state, token, |_| {}).await?;
    Ok((user, seen))
}

/// What [`CurrentUser`]'s extractor does, for a handler that reads more in the same statement
/// as the caller's reload (what `extend` adds to it, in the returned row): one round trip
/// where the extractor and a query of the handler's own would be two. The same 401s.
///
/// # Errors
/// 401 without a valid bearer token or for an inactive or deleted account.
pub async fn authenticate_with(
    state: &AppState,
    headers: &HeaderMap,
    extend: impl FnOnce(&mut SelectStatement),
) -> Result<(CurrentUser, Seen, QueryResult), ApiError> {
    let token = bearer_token(headers).ok_or(ApiError::Unauthorized("a bearer token is required"))?;
    authenticate_token(state, token, extend).await
}

async fn authenticate_token(
    state: &AppState,
    token: &str,
    extend: impl FnOnce(&mut SelectStatement),
) -> Result<(CurrentUser, Seen, QueryResult), ApiError> {
    let claims = state.jwt.verify(token).ok_or(ApiError::Unauthorized("the token is invalid or expired"))?;
    let (user, row) = users_store::find_caller(&state.db, claims.sub, extend)
        .await?
        .filter(|(u, _)| u.is_active)
        .ok_or(ApiError::Unauthorized("the account is inactive or no longer exists"))?;
    let role = Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("user {} has unknown role", user.id))?;
    let seen = Seen { services: user.services_version, recommendations: user.recommendations_version };
    Ok((
        CurrentUser {
            id: user.id,
            role,
            email: user.email,
            full_name: user.full_name,
            channel: Channel::Api,
        },
        seen,
        row,
    ))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// A set of roles allowed to call an endpoint.
pub trait Allowed: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Admins only.
pub struct Admin;
impl Allowed for Admin {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Staff members and admins.
pub struct StaffOrAdmin;
impl Allowed for StaffOrAdmin {
    const ROLES: &'static [Role] = &[Role::Staff, Role::Admin];
}

/// Any signed-in user.
pub struct AnyRole;
impl Allowed for AnyRole {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Staff, Role::Client];
}

/// An authenticated user whose role is in `R`: 401 without a valid token, 403 otherwise.
pub struct RequireRole<R: Allowed>(pub CurrentUser, pub PhantomData<R>);

impl<R: Allowed> FromRequestParts<AppState> for RequireRole<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        if !R::ROLES.contains(&user.role) {
            return Err(ApiError::Forbidden("your role may not use this endpoint"));
        }
        Ok(RequireRole(user, PhantomData))
    }
}
