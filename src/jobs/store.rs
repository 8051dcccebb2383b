//! Job queries: the outbox insert, claims under a lease, results fenced by the claim, and
//! the admin reads. The claim is the one statement that differs per backend: PostgreSQL
//! skips rows another worker has locked; SQLite has one writer, so its claim is atomic as is.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Select, Statement, Value,
};
use uuid::Uuid;

use crate::entity::jobs;

/// A job's statuses, as the column's CHECK constraint admits them.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const DEAD: &str = "dead";
pub const STATUSES: [&str; 5] = [QUEUED, RUNNING, SUCCEEDED, FAILED, DEAD];

/// A job to write, usually inside the transaction of the change that causes it.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    /// One job per key: a second insert with the same key is ignored.
    pub dedupe_key: Option<String>,
    pub ref_id: Option<Uuid>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

/// `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`, to run on its own or inside a larger
/// statement (the booking's `WITH` insert on PostgreSQL).
pub fn insert_statement(job: &NewJob, now: DateTime<Utc>) -> InsertStatement {
    Query::insert()
        .into_table(jobs::Entity)
        .columns([
            jobs::Column::Id,
            jobs::Column::Kind,
            jobs::Column::Payload,
            jobs::Column::DedupeKey,
            jobs::Column::RefId,
            jobs::Column::Status,
            jobs::Column::Attempts,
            jobs::Column::MaxAttempts,
            jobs::Column::RunAt,
            jobs::Column::CreatedAt,
            jobs::Column::UpdatedAt,
        ])
        .values_panic([
            Uuid::now_v7().into(),
            job.kind.into(),
            job.payload.to_string().into(),
            job.dedupe_key.clone().into(),
            job.ref_id.into(),
            QUEUED.into(),
            0.into(),
            job.max_attempts.into(),
            job.run_at.into(),
            now.into(),
            now.into(),
        ])
        .on_conflict(OnConflict::column(jobs::Column::DedupeKey).do_nothing().to_owned())
        .to_owned()
}

/// Writes `jobs` (each ignored if its dedupe key is taken).
///
/// # Errors
/// Database failures.
pub async fn enqueue<C: ConnectionTrait>(db: &C, jobs: &[NewJob]) -> Result<(), DbErr> {
    let now = Utc::now();
    for job in jobs {
        db.execute(&insert_statement(job, now)).await?;
    }
    Ok(())
}

/// A job a worker holds until `lease_until`, as its claim `token`.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Claimed {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub ref_id: Option<Uuid>,
    /// Counting this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Claims up to `limit` runnable jobs (optionally only among `only`, the ids Redis handed
/// out) for `lease`: status `running`, attempts + 1, `worker = token`.
///
/// # Errors
/// Database failures.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    token: &str,
    limit: u64,
    lease: chrono::Duration,
    only: Option<&[Uuid]>,
) -> Result<Vec<Claimed>, DbErr> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let mut values: Vec<Value> = vec![token.into(), (now + lease).into(), now.into(), (limit as i64).into()];
    let restrict = match only {
        None => String::new(),
        Some([]) => return Ok(Vec::new()),
        Some(ids) => {
            let first = values.len() + 1;
            values.extend(ids.iter().map(|id| Value::from(*id)));
            let marks: Vec<String> = (first..first + ids.len()).map(|i| format!("${i}")).collect();
            format!("AND id IN ({})", marks.join(", "))
        }
    };
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker = $1, lease_until = $2, \
             started_at = $3, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
             WHERE ((status IN ('queued', 'failed') AND run_at <= $3) \
                 OR (status = 'running' AND lease_until < $3 AND attempts < max_attempts)) {restrict} \
             ORDER BY run_at LIMIT $4 {lock}) \
         RETURNING id, kind, payload, dedupe_key, ref_id, attempts, max_attempts"
    );
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, &sql), values);
    Claimed::find_by_statement(stmt).all(db).await
}

/// `$n` placeholders as the backend spells them (SQLite: `?n`).
pub(crate) fn numbered(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Postgres { sql.to_owned() } else { sql.replace('$', "?") }
}

fn held_by(token: &str) -> sea_orm::Condition {
    sea_orm::Condition::all().add(jobs::Column::Worker.eq(token)).add(jobs::Column::Status.eq(RUNNING))
}

/// Marks `ids` succeeded, where `token`'s claim still holds them; returns how many it did.
///
/// # Errors
/// Database failures.
pub async fn complete<C: ConnectionTrait>(db: &C, ids: &[Uuid], token: &str) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let res = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(SUCCEEDED))
        .col_expr(jobs::Column::FinishedAt, Expr::value(now))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .col_expr(jobs::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(jobs::Column::LastError, Expr::value(Option::<String>::None))
        .filter(held_by(token))
        .filter(jobs::Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Records a failed attempt: `failed` to run again at `retry_at`, or `dead` when `None`.
/// Returns whether `token`'s claim still held the job.
///
/// # Errors
/// Database failures.
pub async fn fail<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    token: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let mut q = jobs::Entity::update_many()
        .col_expr(jobs::Column::LastError, Expr::value(truncate(error, 2000)))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .col_expr(jobs::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    q = match retry_at {
        Some(at) => q
            .col_expr(jobs::Column::Status, Expr::value(FAILED))
            .col_expr(jobs::Column::RunAt, Expr::value(at)),
        None => q
            .col_expr(jobs::Column::Status, Expr::value(DEAD))
            .col_expr(jobs::Column::FinishedAt, Expr::value(now)),
    };
    let res = q.filter(held_by(token)).filter(jobs::Column::Id.eq(id)).exec(db).await?;
    Ok(res.rows_affected == 1)
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// Drops the not-yet-run jobs of `kind` about `ref_id` (a cancelled booking's reminder);
/// returns how many.
///
/// # Errors
/// Database failures.
pub async fn drop_pending<C: ConnectionTrait>(db: &C, kind: &str, ref_id: Uuid) -> Result<u64, DbErr> {
    let res = jobs::Entity::delete_many()
        .filter(jobs::Column::Kind.eq(kind))
        .filter(jobs::Column::RefId.eq(ref_id))
        .filter(jobs::Column::Status.is_in([QUEUED, FAILED]))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub struct JobFilter {
    pub status: Option<&'static str>,
    pub kind: Option<String>,
    pub ref_id: Option<Uuid>,
}

pub fn list(f: &JobFilter) -> Select<jobs::Entity> {
    let mut q = jobs::Entity::find();
    if let Some(status) = f.status {
        q = q.filter(jobs::Column::Status.eq(status));
    }
    if let Some(kind) = &f.kind {
        q = q.filter(jobs::Column::Kind.eq(kind.clone()));
    }
    if let Some(ref_id) = f.ref_id {
        q = q.filter(jobs::Column::RefId.eq(ref_id));
    }
    q.order_by_desc(jobs::Column::CreatedAt).order_by_desc(jobs::Column::Id)
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<jobs::Model>, DbErr> {
    jobs::Entity::find_by_id(id).one(db).await
}

/// Queues a `failed` or `dead` job to run now, with at least one attempt left; `false` when
/// the job is in another state (or gone).
///
/// # Errors
/// Database failures.
pub async fn retry<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let now = Utc::now();
    let res = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(QUEUED))
        .col_expr(jobs::Column::RunAt, Expr::value(now))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .col_expr(jobs::Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(jobs::Column::RelayedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            jobs::Column::MaxAttempts,
            Expr::cust("CASE WHEN max_attempts > attempts THEN max_attempts ELSE attempts + 1 END"),
        )
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.is_in([FAILED, DEAD]))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

#[derive(Debug, FromQueryResult)]
pub struct Depth {
    pub status: String,
    pub count: i64,
}

/// How many jobs are in each status.
///
/// # Errors
/// Database failures.
pub async fn depth<C: ConnectionTrait>(db: &C) -> Result<Vec<Depth>, DbErr> {
    let stmt = Statement::from_string(
        db.get_database_backend(),
        "SELECT status, COUNT(*) AS count FROM jobs GROUP BY status",
    );
    Depth::find_by_statement(stmt).all(db).await
}

#[derive(Debug, FromQueryResult)]
struct NextDue {
    run_at: Option<DateTime<Utc>>,
}

/// When the next waiting job is due (`None`: nothing waits).
///
/// # Errors
/// Database failures.
pub async fn next_due<C: ConnectionTrait>(db: &C) -> Result<Option<DateTime<Utc>>, DbErr> {
    let stmt = Statement::from_string(
        db.get_database_backend(),
        "SELECT MIN(run_at) AS run_at FROM jobs WHERE status IN ('queued', 'failed')",
    );
    Ok(NextDue::find_by_statement(stmt).one(db).await?.and_then(|r| r.run_at))
}

#[derive(Debug, FromQueryResult)]
pub struct ToRelay {
    pub id: Uuid,
    pub run_at: DateTime<Utc>,
}

/// Marks up to `limit` committed, unrelayed jobs as relayed and returns them, in one
/// statement: two relays never take the same row, and (rows locked by another statement
/// being skipped on PostgreSQL) never wait on each other or on a worker.
///
/// # Errors
/// Database failures.
pub async fn take_for_relay<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<ToRelay>, DbErr> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET relayed_at = $1 WHERE id IN (SELECT id FROM jobs \
             WHERE relayed_at IS NULL AND status IN ('queued', 'failed') ORDER BY created_at LIMIT $2 {lock}) \
         RETURNING id, run_at"
    );
    let values: Vec<Value> = vec![Utc::now().into(), (limit as i64).into()];
    ToRelay::find_by_statement(Statement::from_sql_and_values(backend, numbered(backend, &sql), values))
        .all(db)
        .await
}

/// Which of `ids` are not finished (queued, failed or running).
///
/// # Errors
/// Database failures.
pub async fn still_waiting<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Id)
        .filter(jobs::Column::Id.is_in(ids.to_vec()))
        .filter(jobs::Column::Status.is_in([QUEUED, FAILED, RUNNING]))
        .into_tuple::<Uuid>()
        .all(db)
        .await
}

/// Hands jobs back to the outbox, for the relay to give to Redis again.
///
/// # Errors
/// Database failures.
pub async fn unrelay<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    jobs::Entity::update_many()
        .col_expr(jobs::Column::RelayedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(jobs::Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Maintenance: jobs whose last attempt's worker died (lease run out, no attempts left) are
/// `dead`; succeeded jobs finished before `keep_since` are deleted. Returns (dead, deleted).
///
/// # Errors
/// Database failures.
pub async fn sweep<C: ConnectionTrait>(db: &C, keep_since: DateTime<Utc>) -> Result<(u64, u64), DbErr> {
    let now = Utc::now();
    let dead = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(DEAD))
        .col_expr(
            jobs::Column::LastError,
            Expr::value("the worker stopped during the last attempt (lease expired)"),
        )
        .col_expr(jobs::Column::FinishedAt, Expr::value(now))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Status.eq(RUNNING))
        .filter(jobs::Column::LeaseUntil.lt(now))
        .filter(Expr::col(jobs::Column::Attempts).gte(Expr::col(jobs::Column::MaxAttempts)))
        .exec(db)
        .await?
        .rows_affected;
    let deleted = jobs::Entity::delete_many()
        .filter(jobs::Column::Status.eq(SUCCEEDED))
        .filter(jobs::Column::FinishedAt.lt(keep_since))
        .exec(db)
        .await?
        .rows_affected;
    Ok((dead, deleted))
}

/// Relayed jobs that are overdue by `grace` and still waiting: Redis lost them (a restart
/// without persistence), so they go back to the relay. Returns how many.
///
/// # Errors
/// Database failures.
pub async fn unrelay_overdue<C: ConnectionTrait>(db: &C, grace: chrono::Duration) -> Result<u64, DbErr> {
    let res = jobs::Entity::update_many()
        .col_expr(jobs::Column::RelayedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(jobs::Column::RelayedAt.is_not_null())
        .filter(jobs::Column::Status.is_in([QUEUED, FAILED]))
        .filter(jobs::Column::RunAt.lt(Utc::now() - grace))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
