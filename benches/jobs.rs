//! The job queue's figures: no-op jobs enqueued and completed per second, and the latency from
//! enqueue to start on an idle queue (workers woken, not polling).
//!
//! `cargo bench --bench jobs -- sqlite|postgres|redis` (default: all three). PostgreSQL at
//! `BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`,
//! a throw-away database is created on it), Redis at `BENCH_REDIS_URL` (default
//! `redis://127.0.0.1:6379`). `BENCH_JOBS` (default 20000) sets the throughput run's size.

use std::time::{Duration, Instant};

use chrono::Utc;
use salon::config::Config;
use salon::jobs::store::{self, NewJob};
use salon::jobs::worker::{NOOP, Worker};
use salon::state::AppState;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

const WORKERS: usize = 2;

async fn state(url: &str, redis: Option<&str>) -> AppState {
    let db = salon::db::connect(url).await.expect("connect");
    salon::db::migrate(&db).await.expect("migrate");
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let config = Config::from_lookup(|key| match key {
        "DATABASE_URL" => Some(url.to_owned()),
        "JWT_SECRET" => Some("bench-secret-that-is-long-enough-for-hs256-0123456789".into()),
        "SALON_WORKER_CONCURRENCY" => {
            Some(std::env::var("BENCH_CONCURRENCY").unwrap_or_else(|_| "64".into()))
        }
        "REDIS_URL" => redis.map(str::to_owned),
        "SALON_REDIS_PREFIX" => Some(prefix.clone()),
        _ => None,
    })
    .expect("config");
    AppState::new(db, config).await.expect("state")
}

fn noop() -> NewJob {
    NewJob {
        kind: NOOP,
        payload: serde_json::json!({}),
        dedupe_key: None,
        ref_id: None,
        run_at: Utc::now(),
        max_attempts: 3,
    }
}

async fn enqueue(db: &DatabaseConnection, n: usize) {
    let _writer = salon::db::sqlite_writer(db).await;
    let txn = db.begin().await.unwrap();
    let jobs: Vec<NewJob> = (0..n).map(|_| noop()).collect();
    store::enqueue(&txn, &jobs).await.unwrap();
    txn.commit().await.unwrap();
}

async fn count_done(db: &DatabaseConnection) -> i64 {
    let depth = store::depth(db).await.unwrap();
    depth.iter().filter(|d| d.status == "succeeded").map(|d| d.count).sum()
}

/// Enqueues `n` no-op jobs in batches of 100 while `WORKERS` workers run them; jobs/s from the
/// first enqueue to the last completion.
async fn throughput(state: &AppState, n: usize) -> f64 {
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (w, st) = (Worker::new(state.clone()), state.clone());
        workers.push(tokio::spawn(async move {
            loop {
                if let Some(redis) = &st.jobs.redis {
                    let _ = redis.relay(&st.db).await;
                }
                match w.run_once().await {
                    Ok(0) => tokio::time::sleep(Duration::from_millis(1)).await,
                    Ok(_) => {}
                    Err(e) => panic!("worker: {e:#}"),
                }
            }
        }));
    }
    for _ in 0..n / 100 {
        enqueue(&state.db, 100).await;
    }
    while (count_done(&state.db).await as usize) < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    for w in workers {
        w.abort();
    }
    rate
}

/// With the worker loop idle (waiting for a wake-up), the time from commit to the worker's
/// start of each of `samples` jobs, enqueued one at a time 20 ms apart.
async fn latency(state: &AppState, samples: usize) -> (f64, f64) {
    let mut tasks = salon::jobs::worker::spawn_background(state, true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ms = Vec::new();
    for _ in 0..samples {
        let job = noop();
        let created = Utc::now();
        {
            let _writer = salon::db::sqlite_writer(&state.db).await;
            store::enqueue(&state.db, &[NewJob { run_at: created, ..job }]).await.unwrap();
        }
        state.jobs.wake();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let backend = state.db.get_database_backend();
    let rows = state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT created_at, started_at FROM jobs WHERE kind = 'noop' AND started_at IS NOT NULL",
        ))
        .await
        .unwrap();
    for row in rows {
        let c: chrono::DateTime<Utc> = row.try_get("", "created_at").unwrap();
        let s: chrono::DateTime<Utc> = row.try_get("", "started_at").unwrap();
        ms.push((s - c).num_microseconds().unwrap_or(0) as f64 / 1000.0);
    }
    for t in tasks.drain(..) {
        t.abort();
    }
    ms.sort_by(f64::total_cmp);
    assert_eq!(ms.len(), samples, "every job started");
    (ms[ms.len() / 2], ms[ms.len() * 95 / 100])
}

fn postgres_admin() -> String {
    std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

async fn on_postgres_admin(sql: String) {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
    let mut conn = PgConnection::connect(&postgres_admin()).await.expect("PostgreSQL");
    conn.execute(sea_orm::sqlx::raw_sql(AssertSqlSafe(sql))).await.unwrap();
}

/// A throw-away database: (its URL, its name).
async fn fresh_postgres() -> (String, String) {
    let name = format!("salon_bench_jobs_{}", uuid::Uuid::new_v4().simple());
    on_postgres_admin(format!("CREATE DATABASE \"{name}\"")).await;
    (postgres_admin().replacen("/postgres?", &format!("/{name}?"), 1), name)
}

async fn run(backend: &str, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_name) = match backend {
        "sqlite" => (format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()), None),
        _ => {
            let (url, name) = fresh_postgres().await;
            (url, Some(name))
        }
    };
    let redis = (backend == "redis")
        .then(|| std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()));
    let s = state(&url, redis.as_deref()).await;
    let rate = throughput(&s, n).await;
    let s = state(&url, redis.as_deref()).await;
    s.db.execute_unprepared("DELETE FROM jobs").await.unwrap();
    let (p50, p95) = latency(&s, 200).await;
    println!(
        "{backend:>8}: {n} no-op jobs at {rate:.0} jobs/s enqueued and completed; enqueue->start p50 {p50:.2} ms, p95 {p95:.2} ms"
    );
    if let Some(name) = pg_name {
        // Both states' pools and their tasks still hold connections: FORCE ends them.
        on_postgres_admin(format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await;
    }
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let n: usize = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    for backend in ["sqlite", "postgres", "redis"] {
        if which.is_empty() || which.iter().any(|w| w == backend) {
            rt.block_on(run(backend, n));
        }
    }
}
