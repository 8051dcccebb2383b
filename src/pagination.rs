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

/// Runs a filtered, ordered query for one page, with the total across pages (counted only
/// when the page does not reach the end).
///
/// # Errors
/// Database failures.
pub async fn fetch<C, E>(db: &C, query: Select<E>, window: Window) -> Result<Page<E::Model>, DbErr>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
{
    // One row more than the page tells whether anything follows; only then is a COUNT needed.
    let mut items = query.clone().limit(window.limit + 1).offset(window.offset).all(db).await?;
    let fetched = items.len() as u64;
    let total = if fetched <= window.limit && (fetched > 0 || window.offset == 0) {
        window.offset + fetched
    } else {
        items.truncate(window.limit as usize);
        query.count(db).await?
    };
    Ok(window.page(items, total))
}
