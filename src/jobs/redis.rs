//! Carrying jobs and wake-ups between processes.
//!
//! With `REDIS_URL`, Redis is the dispatcher: a relay moves committed outbox rows (the `jobs`
//! table) into a sorted set of due job ids (scored by `run_at`); workers take ids with a Lua
//! script that moves them, atomically, into a sorted set of leases (scored by expiry), from
//! which expired leases return to the due set. The database row stays the record of the job
//! (status, attempts, errors: what `/api/v2/jobs` shows) and its claim is still fenced there,
//! so Redis losing its data (a restart without persistence) delays jobs but loses none: the
//! relay hands overdue rows to Redis again. While Redis is down, jobs wait in the outbox.
//!
//! Without Redis, on PostgreSQL, a committed job wakes workers in other processes through
//! `NOTIFY salon_jobs` (coalesced: one notification per burst, not one per job).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::store;
use crate::state::AppState;

/// Jobs relayed per round.
const RELAY_BATCH: u64 = 500;
/// A relayed job still waiting this long after it was due is handed to Redis again.
const OVERDUE_GRACE_SECS: i64 = 60;

pub struct RedisQueue {
    client: redis::Client,
    conn: ConnectionManager,
    due: String,
    leased: String,
    wake: String,
    take: redis::Script,
}

/// Moves expired leases back to due, then takes up to `n` due ids into leases.
const TAKE: &str = r"
local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), id)
end
return ids
";

impl RedisQueue {
    /// A queue under `prefix` (several salons may share one Redis). Connects lazily: a
    /// Redis that is down at start only delays jobs.
    ///
    /// # Errors
    /// A malformed URL.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            conn,
            due: format!("{prefix}:jobs:due"),
            leased: format!("{prefix}:jobs:leased"),
            wake: format!("{prefix}:jobs:wake"),
            take: redis::Script::new(TAKE),
        })
    }

    /// Hands committed, unrelayed jobs to Redis; returns how many.
    ///
    /// # Errors
    /// Redis or the database unreachable; the jobs stay in the outbox.
    pub async fn relay(&self, db: &DatabaseConnection) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            // Marked first, so no worker meets a job in Redis that the database still calls
            // unrelayed; handed back to the outbox if Redis refuses it.
            let rows = {
                let _writer = crate::db::sqlite_writer(db).await;
                store::take_for_relay(db, RELAY_BATCH).await?
            };
            if rows.is_empty() {
                break;
            }
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            let items: Vec<(i64, String)> =
                rows.iter().map(|r| (r.run_at.timestamp_millis(), r.id.to_string())).collect();
            let mut conn = self.conn.clone();
            let added: redis::RedisResult<()> = conn.zadd_multiple(&self.due, &items).await;
            if let Err(e) = added {
                let _writer = crate::db::sqlite_writer(db).await;
                store::unrelay(db, &ids).await?;
                return Err(e.into());
            }
            total += ids.len();
            if (ids.len() as u64) < RELAY_BATCH {
                break;
            }
        }
        if total > 0 {
            let mut conn = self.conn.clone();
            let _: i64 = conn.publish(&self.wake, "1").await?;
        }
        Ok(total)
    }

    /// Takes up to `n` due job ids under a lease of `lease_secs` (plus a second, so that the
    /// database's lease on the same job runs out first).
    ///
    /// # Errors
    /// Redis unreachable.
    pub async fn take(&self, n: usize, lease_secs: u64) -> anyhow::Result<Vec<Uuid>> {
        let mut conn = self.conn.clone();
        let now = Utc::now().timestamp_millis();
        let ids: Vec<String> = self
            .take
            .key(&self.due)
            .key(&self.leased)
            .arg(now)
            .arg(n)
            .arg(lease_secs as i64 * 1000 + 1000)
            .invoke_async(&mut conn)
            .await?;
        Ok(ids.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect())
    }

    /// Puts `ids` back among the due jobs, `delay_ms` from now.
    ///
    /// # Errors
    /// Redis unreachable.
    pub async fn defer(&self, ids: &[Uuid], delay_ms: i64) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let at = Utc::now().timestamp_millis() + delay_ms;
        let items: Vec<(i64, String)> = ids.iter().map(|id| (at, id.to_string())).collect();
        let mut conn = self.conn.clone();
        let () = conn.zadd_multiple(&self.due, &items).await?;
        Ok(())
    }

    /// Releases the leases of jobs that are done with (for now).
    ///
    /// # Errors
    /// Redis unreachable.
    pub async fn finish(&self, ids: &[Uuid]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let members: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let _: i64 = conn.zrem(&self.leased, members).await?;
        Ok(())
    }

    /// The relay, until the process ends: after every wake-up (a local commit), at least
    /// every second, and, every minute, overdue jobs are handed over again.
    pub async fn relay_loop(self: Arc<Self>, state: AppState) {
        let mut last_check = std::time::Instant::now();
        loop {
            match self.relay(&state.db).await {
                Ok(n) if n > 0 => state.jobs.local.notify_one(),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "job relay to Redis failed; the jobs stay in the outbox")
                }
            }
            if last_check.elapsed() >= Duration::from_secs(60) {
                last_check = std::time::Instant::now();
                let _writer = crate::db::sqlite_writer(&state.db).await;
                match store::unrelay_overdue(&state.db, chrono::Duration::seconds(OVERDUE_GRACE_SECS)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(jobs = n, "overdue jobs handed to Redis again"),
                    Err(e) => tracing::warn!(error = %e, "overdue job check failed"),
                }
            }
            tokio::select! {
                () = state.jobs.announce.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Wakes this process's workers whenever any process relays jobs.
    pub async fn listen(self: Arc<Self>, state: AppState) {
        loop {
            match self.client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if pubsub.subscribe(&self.wake).await.is_ok() {
                        let mut messages = pubsub.on_message();
                        while messages.next().await.is_some() {
                            state.jobs.local.notify_one();
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "Redis wake-up subscription failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

const PG_CHANNEL: &str = "salon_jobs";
const ANNOUNCE_EVERY: Duration = Duration::from_millis(50);

/// Tells workers in other processes that jobs were committed: at once after a quiet spell
/// (an idle worker starts within a millisecond or two), then at most one `NOTIFY` per
/// `ANNOUNCE_EVERY` while jobs keep coming (busy workers do not wait for it: they look
/// again as soon as they finish a batch). Sent after the commit, outside the business
/// transaction, so the booking path does not take PostgreSQL's commit-time notification lock.
pub async fn announce_postgres(state: AppState) {
    use sea_orm::ConnectionTrait;
    loop {
        state.jobs.announce.notified().await;
        if let Err(e) = state.db.execute_unprepared(&format!("NOTIFY {PG_CHANNEL}")).await {
            tracing::debug!(error = %e, "NOTIFY failed; other workers will poll");
        }
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}

/// Wakes this process's workers on every `NOTIFY salon_jobs`.
pub async fn listen_postgres(state: AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&state.config.database_url).await {
            Ok(mut listener) => {
                if listener.listen(PG_CHANNEL).await.is_ok() {
                    while listener.recv().await.is_ok() {
                        state.jobs.local.notify_one();
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "LISTEN failed; workers poll meanwhile"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
