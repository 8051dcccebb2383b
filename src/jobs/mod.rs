//! Background jobs: a durable queue in the database (also the transactional outbox), with
//! Redis as the dispatcher when `REDIS_URL` is set; workers that claim jobs under a lease,
//! retry with backoff and jitter, and end in `dead`; recurring maintenance held in the
//! database; and the admin API at `/api/v2/jobs`.

mod http;
pub mod model;
pub mod redis;
pub mod schedule;
pub mod store;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::config::JobsConfig;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_jobs))
        .routes(routes!(http::get_job))
        .routes(routes!(http::retry_job))
}

/// What a process shares between the code that enqueues and its workers: the wake-ups (a
/// worker that waits is woken as soon as a job is committed, with no busy polling) and the
/// Redis dispatcher, if any.
pub struct Jobs {
    pub config: JobsConfig,
    /// Wakes this process's workers.
    pub(crate) local: Notify,
    /// Wakes the task that tells other processes (PostgreSQL NOTIFY, or Redis).
    pub(crate) announce: Notify,
    pub redis: Option<Arc<redis::RedisQueue>>,
}

impl Jobs {
    pub fn new(config: JobsConfig, redis: Option<Arc<redis::RedisQueue>>) -> Self {
        Self { config, local: Notify::new(), announce: Notify::new(), redis }
    }

    /// Call after a transaction that enqueued jobs has committed.
    pub fn wake(&self) {
        self.local.notify_one();
        self.announce.notify_one();
    }
}
