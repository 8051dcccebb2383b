//! Recurring maintenance, held in the database: each schedule's `next_run_at` is moved forward
//! by a conditional update, which exactly one process wins per period; the winner enqueues
//! that period's job in the same transaction. Every worker ticks; the database decides.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait, Value};
use serde_json::json;

use super::store::{self, NewJob};
use super::worker::JobError;
use crate::entity::login_throttle;
use crate::state::AppState;

/// Marks jobs whose last worker died `dead`, deletes old succeeded jobs and stale login
/// counters. (Expired refresh tokens stay: reuse detection needs the whole family.)
pub const SWEEP: &str = "maintenance.sweep";

/// Each schedule: its job kind and period in seconds.
pub const SCHEDULES: [(&str, i64); 2] = [(SWEEP, 3600), (crate::recommend::service::REFRESH_JOB, 86_400)];

/// Succeeded jobs are kept this long (for the admin API), then deleted.
const KEEP_SUCCEEDED_DAYS: i64 = 7;

fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend, store::numbered(backend, sql), values)
}

/// Registers every schedule (due at once when new); existing ones keep their time.
///
/// # Errors
/// Database failures.
pub async fn ensure<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for (name, every) in SCHEDULES {
        db.execute_raw(stmt(
            backend,
            "INSERT INTO schedules (name, every_secs, next_run_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            vec![name.into(), (every as i32).into(), Utc::now().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Enqueues the job of every schedule that is due, where this process wins the period;
/// returns how many it enqueued.
///
/// # Errors
/// Database failures.
pub async fn tick(state: &AppState) -> Result<usize, DbErr> {
    let db = &state.db;
    let backend = db.get_database_backend();
    let mut enqueued = 0;
    for (name, every) in SCHEDULES {
        let now = Utc::now();
        let next = now + chrono::Duration::seconds(every);
        let _writer = crate::db::sqlite_writer(db).await;
        let txn = db.begin().await?;
        let won = txn
            .execute_raw(stmt(
                backend,
                "UPDATE schedules SET next_run_at = $1, last_run_at = $2 WHERE name = $3 AND next_run_at <= $2",
                vec![next.into(), now.into(), name.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        if won {
            let period = now.timestamp() / every;
            let job = NewJob {
                kind: name,
                payload: json!({"period": period}),
                dedupe_key: Some(format!("schedule:{name}:{period}")),
                ref_id: None,
                run_at: now,
                max_attempts: state.jobs.config.max_attempts,
            };
            store::enqueue(&txn, &[job]).await?;
            enqueued += 1;
        }
        txn.commit().await?;
    }
    Ok(enqueued)
}

/// The sweep job.
pub async fn sweep(state: &AppState) -> Result<(), JobError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = &state.db;
    let now: DateTime<Utc> = Utc::now();
    let _writer = crate::db::sqlite_writer(db).await;
    let (dead, deleted) = store::sweep(db, now - chrono::Duration::days(KEEP_SUCCEEDED_DAYS)).await?;
    let window = chrono::Duration::seconds(state.config.login_window_secs);
    let counters = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lt(now - window))
        .exec(db)
        .await?
        .rows_affected;
    tracing::info!(dead, deleted, counters, "maintenance sweep done");
    Ok(())
}
