//! Failed-login throttling, counted in the database so that the limit holds across every
//! server process sharing it (an in-process limiter would multiply the allowance by the
//! number of processes).

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entity::login_throttle::{self, Column, Entity};
use crate::error::ApiError;

/// A throttle key and how many failures it may have within the window.
pub struct Key {
    pub key: String,
    pub max_failures: i32,
}

/// 429 (with the seconds until the window ends) if any key has used up its failures.
///
/// # Errors
/// `RateLimited`, or a database error.
pub async fn check(db: &DatabaseConnection, keys: &[Key], window_secs: i64) -> Result<(), ApiError> {
    let now = Utc::now();
    let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
    let rows = Entity::find().filter(Column::Key.is_in(names)).all(db).await?;
    for row in rows {
        let Some(limit) = keys.iter().find(|k| k.key == row.key) else { continue };
        let ends = row.window_started_at + Duration::seconds(window_secs);
        if row.failures >= limit.max_failures && ends > now {
            let retry_after_secs = Ord::max((ends - now).num_seconds(), 1) as u64;
            return Err(ApiError::RateLimited { retry_after_secs });
        }
    }
    Ok(())
}

/// Counts one failure against each key, starting a new window where the old one has ended.
///
/// # Errors
/// On database failure.
pub async fn record_failure(db: &DatabaseConnection, keys: &[Key], window_secs: i64) -> Result<(), ApiError> {
    let now = Utc::now();
    let stale = Expr::col((Entity, Column::WindowStartedAt)).lt(now - Duration::seconds(window_secs));
    for key in keys {
        Entity::insert(login_throttle::ActiveModel {
            key: Set(key.key.clone()),
            failures: Set(1),
            window_started_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(Column::Key)
                .value(
                    Column::Failures,
                    Expr::case(stale.clone(), 1).finally(Expr::col((Entity, Column::Failures)).add(1)),
                )
                .value(
                    Column::WindowStartedAt,
                    Expr::case(stale.clone(), now).finally(Expr::col((Entity, Column::WindowStartedAt))),
                )
                .to_owned(),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Forgets the failures of a key after a successful login.
///
/// # Errors
/// On database failure.
pub async fn clear(db: &DatabaseConnection, key: &str) -> Result<(), ApiError> {
    Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}
