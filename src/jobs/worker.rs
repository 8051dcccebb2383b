//! The worker: claim a batch under a lease, run each job (at most `concurrency` at once,
//! each within its lease), record the results fenced by the claim, and wait for a wake-up
//! when there is nothing to do. `run_once` is one such step, so tests drain the queue
//! instead of sleeping.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::Rng;
use sea_orm::DbErr;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::schedule;
use super::store::{self, Claimed};
use crate::state::AppState;

/// Why a job did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// Try again later (a server down, a timeout, a database hiccup).
    Retry(String),
    /// Trying again cannot help (a malformed payload, an unknown kind): straight to `dead`.
    Permanent(String),
}

impl From<DbErr> for JobError {
    fn from(e: DbErr) -> Self {
        JobError::Retry(format!("database: {e}"))
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(e) | JobError::Permanent(e) => f.write_str(e),
        }
    }
}

pub const NOOP: &str = "noop";

/// How often a worker asks whether a recurring schedule is due (each is hourly or slower;
/// on SQLite each ask is a write transaction).
const SCHEDULE_TICK: Duration = Duration::from_secs(15);

/// The delay before attempt `attempts + 1`: `base * 2^(attempts-1)`, capped, times a random
/// factor in [0.5, 1.0] ("equal jitter"), so that jobs failing together do not retry together.
pub fn backoff(attempts: i32, base_ms: u64, cap_secs: u64) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << (attempts.clamp(1, 32) - 1) as u32);
    let capped = exp.min(cap_secs.saturating_mul(1000));
    let jitter = rand::thread_rng().gen_range(0.5..=1.0);
    Duration::from_millis((capped as f64 * jitter) as u64)
}

pub struct Worker {
    state: AppState,
    name: String,
    slots: Arc<Semaphore>,
}

impl Worker {
    pub fn new(state: AppState) -> Self {
        let name = format!("{}:{}", std::process::id(), &Uuid::new_v4().simple().to_string()[..8]);
        let slots = Arc::new(Semaphore::new(state.jobs.config.concurrency));
        Self { state, name, slots }
    }

    /// Claims what is due and runs it; returns how many jobs ran.
    ///
    /// # Errors
    /// When the queue cannot be reached (the jobs themselves record their own errors).
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let config = &self.state.jobs.config;
        let db = &self.state.db;
        let token = format!("{}/{}", self.name, Uuid::now_v7().simple());
        let lease = chrono::Duration::seconds(config.lease_secs as i64);
        let limit = config.concurrency as u64;
        let claimed = match &self.state.jobs.redis {
            None => {
                let _writer = crate::db::sqlite_writer(db).await;
                store::claim(db, &token, limit, lease, None).await?
            }
            Some(redis) => {
                let ids = redis.take(limit as usize, config.lease_secs).await?;
                if ids.is_empty() {
                    return Ok(0);
                }
                let claimed = {
                    let _writer = crate::db::sqlite_writer(db).await;
                    store::claim(db, &token, limit, lease, Some(&ids)).await?
                };
                // Ids Redis handed out that this claim did not get: finished ones leave Redis;
                // the others (locked this instant, or still leased to a live worker) come
                // back shortly.
                let missed: Vec<Uuid> =
                    ids.iter().filter(|id| !claimed.iter().any(|c| c.id == **id)).copied().collect();
                if !missed.is_empty() {
                    let waiting = store::still_waiting(db, &missed).await?;
                    redis.finish(&missed).await?;
                    redis.defer(&waiting, 500).await?;
                }
                claimed
            }
        };
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let mut tasks = JoinSet::new();
        let timeout = job_timeout(config.lease_secs);
        for job in claimed {
            let state = self.state.clone();
            let slots = self.slots.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let started = Instant::now();
                let outcome = match tokio::time::timeout(timeout, dispatch(&state, &job)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(JobError::Retry(format!("timed out after {} ms", timeout.as_millis()))),
                };
                (job, outcome, started.elapsed())
            });
        }
        let mut done = Vec::with_capacity(count);
        let mut failed = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (job, outcome, took) = match joined {
                Ok(r) => r,
                Err(e) => {
                    // A panicking handler: its job's lease runs out and it is tried again.
                    tracing::error!(error = %e, "a job handler panicked");
                    continue;
                }
            };
            let label = if outcome.is_ok() { "succeeded" } else { "failed" };
            self.state.metrics.observe_job(&job.kind, label, took);
            match outcome {
                Ok(()) => done.push(job.id),
                Err(e) => failed.push((job, e)),
            }
        }
        {
            let _writer = crate::db::sqlite_writer(db).await;
            let recorded = store::complete(db, &done, &token).await?;
            if recorded < done.len() as u64 {
                tracing::warn!(
                    lost = done.len() as u64 - recorded,
                    "jobs finished after their lease ran out"
                );
            }
        }
        for (job, error) in &failed {
            let retry_at = match error {
                JobError::Retry(_) if job.attempts < job.max_attempts => {
                    let delay = backoff(job.attempts, config.retry_base_ms, config.retry_cap_secs);
                    Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default())
                }
                _ => None,
            };
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, dead = retry_at.is_none(), %error, "job failed");
            let _writer = crate::db::sqlite_writer(db).await;
            store::fail(db, job.id, &token, &error.to_string(), retry_at).await?;
        }
        if let Some(redis) = &self.state.jobs.redis {
            let ids: Vec<Uuid> = done.iter().copied().chain(failed.iter().map(|(j, _)| j.id)).collect();
            redis.finish(&ids).await?;
            // Failed jobs that will run again go back to the relay with their new `run_at`.
            let again: Vec<Uuid> = failed.iter().map(|(j, _)| j.id).collect();
            let _writer = crate::db::sqlite_writer(db).await;
            store::unrelay(db, &again).await?;
        }
        Ok(count)
    }

    /// Runs every job that is due now, until none is left; returns how many ran.
    ///
    /// # Errors
    /// As [`Worker::run_once`].
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            if let Some(redis) = &self.state.jobs.redis {
                redis.relay(&self.state.db).await?;
            }
            match self.run_once().await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// The worker loop, until `stop` resolves: recurring schedules, then jobs; when idle, wait
    /// for a wake-up, the next job's `run_at`, or `poll_ms`, whichever is first.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let poll = Duration::from_millis(self.state.jobs.config.poll_ms);
        if let Err(e) = schedule::ensure(&self.state.db).await {
            tracing::error!(error = %e, "cannot register the recurring schedules");
        }
        let mut last_tick = Instant::now() - SCHEDULE_TICK;
        loop {
            if last_tick.elapsed() >= SCHEDULE_TICK {
                last_tick = Instant::now();
                match schedule::tick(&self.state).await {
                    Ok(0) => {}
                    Ok(_) => self.state.jobs.wake(),
                    Err(e) => tracing::warn!(error = %e, "recurring schedules: tick failed"),
                }
            }
            let ran = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable; retrying");
                    0
                }
            };
            if ran > 0 {
                continue;
            }
            let wait = match self.state.jobs.redis {
                Some(_) => poll,
                None => match store::next_due(&self.state.db).await {
                    Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default().min(poll),
                    _ => poll,
                },
            };
            // A due job another worker has locked this instant: look again very soon.
            let wait = wait.max(Duration::from_millis(10));
            tokio::select! {
                () = &mut stop => return,
                () = self.state.jobs.local.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A job must finish well within its lease, so no second worker starts it while it runs.
fn job_timeout(lease_secs: u64) -> Duration {
    Duration::from_millis((lease_secs * 800).max(500))
}

async fn dispatch(state: &AppState, job: &Claimed) -> Result<(), JobError> {
    match job.kind.as_str() {
        NOOP => Ok(()),
        schedule::SWEEP => schedule::sweep(state).await,
        kind if kind.starts_with("booking.") => crate::notify::service::booking_message(state, job).await,
        crate::inventory::store::LOW_STOCK_JOB => crate::notify::service::low_stock_alert(state, job).await,
        crate::invoices::service::RECEIPT_JOB => crate::notify::service::invoice_receipt(state, job).await,
        crate::payments::service::HOLD_EXPIRY_JOB => crate::payments::service::expire_hold(state, job).await,
        crate::recommend::service::REFRESH_JOB => crate::recommend::service::refresh_job(state).await,
        crate::payments::service::REFUND_JOB => crate::payments::service::send_refund(state, job).await,
        crate::payments::service::DEPOSIT_REFUND_JOB => {
            crate::payments::service::refund_deposit(state, job).await
        }
        other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    }
}

/// Starts what a process needs besides its HTTP server: the workers (when `workers`), and
/// the tasks that carry wake-ups between processes and, with Redis, the relay.
pub fn spawn_background(state: &AppState, workers: bool) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if workers {
        let worker = Worker::new(state.clone());
        tasks.push(tokio::spawn(worker.run(std::future::pending())));
        match &state.jobs.redis {
            Some(redis) => tasks.push(tokio::spawn(redis.clone().listen(state.clone()))),
            None if !crate::db::is_sqlite(&state.db) => {
                tasks.push(tokio::spawn(super::redis::listen_postgres(state.clone())))
            }
            None => {}
        }
    }
    match &state.jobs.redis {
        Some(redis) => tasks.push(tokio::spawn(redis.clone().relay_loop(state.clone()))),
        None if !crate::db::is_sqlite(&state.db) => {
            tasks.push(tokio::spawn(super::redis::announce_postgres(state.clone())))
        }
        None => {}
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        for attempt in 1..=20 {
            let d = backoff(attempt, 1000, 60).as_millis() as u64;
            let full = (1000u64 << (attempt - 1).min(31)).min(60_000);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms not in [{}, {full}]", full / 2);
        }
    }

    #[test]
    fn a_job_times_out_inside_its_lease() {
        assert!(job_timeout(60) < Duration::from_secs(60));
        assert!(job_timeout(1) >= Duration::from_millis(500));
    }
}
