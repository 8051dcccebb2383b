//! Account and refresh-token queries.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use crate::entity::{refresh_tokens, users};

/// What every authenticated request reloads about its caller, and, in the same statement, the
/// versions of the rendered caches (see `crate::cache`): a cached read then needs no round
/// trip of its own.
#[derive(Debug, FromQueryResult)]
pub struct CallerRow {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub is_active: bool,
    pub services_version: Option<i64>,
    pub recommendations_version: Option<i64>,
}

/// The caller, with what `extend` adds to the same statement (columns, and joins that keep
/// the caller's row one row), and the whole row to read those columns from.
pub async fn find_caller<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    extend: impl FnOnce(&mut SelectStatement),
) -> Result<Option<(CallerRow, QueryResult)>, DbErr> {
    let mut q = users::Entity::find_by_id(id)
        .select_only()
        .columns([
            users::Column::Id,
            users::Column::Email,
            users::Column::FullName,
            users::Column::Role,
            users::Column::IsActive,
        ])
        .expr_as(crate::cache::services_version_expr(), "services_version")
        .expr_as(crate::cache::recommendations_version_expr(), "recommendations_version")
        .into_query();
    extend(&mut q);
    let Some(row) = db.query_one(&q).await? else { return Ok(None) };
    Ok(Some((CallerRow::from_query_result(&row, "")?, row)))
}

#[tracing::instrument(skip_all, fields(user_id = %id))]
pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_email<C: ConnectionTrait>(db: &C, email: &str) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find().filter(users::Column::Email.eq(email)).one(db).await
}

pub async fn insert<C: ConnectionTrait>(db: &C, user: users::ActiveModel) -> Result<users::Model, DbErr> {
    user.insert(db).await
}

pub async fn update<C: ConnectionTrait>(db: &C, user: users::ActiveModel) -> Result<users::Model, DbErr> {
    user.update(db).await
}

/// Filters of the user list; `role` is forced to `client` for staff callers by the service.
pub struct UserFilter {
    pub role: Option<&'static str>,
    pub active: Option<bool>,
    pub search: Option<String>,
}

pub fn list(filter: &UserFilter) -> Select<users::Entity> {
    let mut query = users::Entity::find();
    if let Some(role) = filter.role {
        query = query.filter(users::Column::Role.eq(role));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::Column::IsActive.eq(active));
    }
    if let Some(search) = &filter.search {
        // Emails are stored lower-case; names are compared lower-cased on both backends.
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            Expr::col(users::Column::Email)
                .like(pattern.clone())
                .or(Expr::expr(Func::lower(Expr::col(users::Column::FullName))).like(pattern)),
        );
    }
    query.order_by_asc(users::Column::CreatedAt).order_by_asc(users::Column::Id)
}

/// `%` and `_` in a search are literal characters, not wildcards.
pub(crate) fn escape_like(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect()
}

pub async fn count_active_admins<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    users::Entity::find()
        .filter(users::Column::Role.eq("admin"))
        .filter(users::Column::IsActive.eq(true))
        .count(db)
        .await
}

pub async fn insert_refresh<C: ConnectionTrait>(
    db: &C,
    token: refresh_tokens::ActiveModel,
) -> Result<refresh_tokens::Model, DbErr> {
    token.insert(db).await
}

pub async fn find_refresh_by_hash<C: ConnectionTrait>(
    db: &C,
    hash: &str,
) -> Result<Option<refresh_tokens::Model>, DbErr> {
    refresh_tokens::Entity::find().filter(refresh_tokens::Column::TokenHash.eq(hash)).one(db).await
}

/// Marks the token used, only if nobody else did first: of two concurrent refreshes with one
/// token, exactly one gets `true`.
pub async fn revoke_if_active<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke_all_for_user<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
