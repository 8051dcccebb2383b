//! The list envelope every collection endpoint returns.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// `{"items": [...], "total": N, "limit": L, "offset": O}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the filters, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

/// Limit and offset after defaults; the query structs validate the ranges.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u64,
    pub offset: u64,
}

impl Window {
    pub fn new(limit: Option<u64>, offset: Option<u64>) -> Self {
        Self { limit: limit.unwrap_or(DEFAULT_LIMIT), offset: offset.unwrap_or(0) }
    }

    pub fn page<T>(self, items: Vec<T>, total: u64) -> Page<T> {
        Page { items, total, limit: self.limit, offset: self.offset }
    }
}

impl<T> Page<T> {
    /// The same page with every item converted (entity -> view).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// Runs a filtered, ordered query for one page, with the total across pages.
///
/// # Errors
/// Database failures.
pub async fn fetch<C, E>(db: &C, query: Select<E>, window: Window) -> Result<Page<E::Model>, DbErr>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
{
    let total = query.clone().count(db).await?;
    let items = query.limit(window.limit).offset(window.offset).all(db).await?;
    Ok(window.page(items, total))
}
