//! Connecting by URL scheme, migrations, and the per-backend connection settings.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ActiveValue::Set, ConnectOptions, Database, DatabaseConnection, DbBackend, EntityTrait};

use crate::entity::app_secrets;

/// Opens a pool for `sqlite://...` or `postgres://...` with the default number of
/// connections (see [`connect_with`]).
///
/// # Errors
/// When the database cannot be reached or opened.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, None).await
}

/// The default pool size of one server process. SQLite: 4; each connection is a thread with
/// a page cache of its own (up to 2 MiB), and 8 served no more requests on 2 cores than 4
/// did, with 2-4 MiB more resident (1 or 2 served fewer). PostgreSQL: twice this host's cores plus two (6 on 2 cores),
/// after the usual starting point for a database's active connections (which counts the
/// database host's cores, across all clients: with several processes, or the database on
/// another host, set `SALON_DB_MAX_CONNECTIONS`). With server and database on the same 2
/// cores, 6 served 3-18 % more than 16, which kept more backends competing for them.
pub fn default_pool_size(url: &str) -> u32 {
    if url.starts_with("sqlite:") {
        4
    } else {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        2 * cores + 2
    }
}

/// Opens a pool of `max_connections` (default: [`default_pool_size`]).
///
/// SQLite gets WAL (readers never block the single writer), a busy timeout so that writers
/// queue instead of failing, and foreign keys on.
///
/// The pool does not ping a connection every time it hands one out (sqlx pings by default):
/// that is one more round trip per statement. A PostgreSQL connection idle for 30 s or more is
/// still pinged first (the server, a proxy or a firewall may have dropped it); a SQLite
/// connection is a file handle in this process and is never pinged.
///
/// # Errors
/// When the database cannot be reached or opened.
pub async fn connect_with(url: &str, max_connections: Option<u32>) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(max_connections.unwrap_or_else(|| default_pool_size(url)))
        .min_connections(1);
    if url.starts_with("sqlite:") {
        opts.test_before_acquire(false).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opts.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    Database::connect(opts)
        .await
        .with_context(|| format!("cannot open database {}", crate::config::redact_url(url)))
}

/// Applies every pending migration.
///
/// # Errors
/// When a migration fails; the message names it.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("failed to apply migrations")
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Returns the secret named `name`, generating and storing it on first use. Every process
/// sharing the database reads the same value (the first insert wins).
///
/// # Errors
/// On database failure.
pub async fn load_or_create_secret(db: &DatabaseConnection, name: &str) -> anyhow::Result<String> {
    use base64::Engine;
    use rand::RngCore;
    if let Some(row) = app_secrets::Entity::find_by_id(name).one(db).await? {
        return Ok(row.value);
    }
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let fresh = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    app_secrets::Entity::insert(app_secrets::ActiveModel { name: Set(name.to_owned()), value: Set(fresh) })
        .on_conflict_do_nothing_on([app_secrets::Column::Name])
        .exec(db)
        .await
        .context("failed to store generated secret")?;
    let row = app_secrets::Entity::find_by_id(name).one(db).await?.context("generated secret vanished")?;
    Ok(row.value)
}

/// SQLite admits one writer at a time and makes the others wait in its busy handler, which
/// sleeps in growing steps: under load, writers queue with long, uneven waits. Queueing them
/// here first, in order, lets each find the database free. (Other processes on the same file
/// still meet the busy handler; PostgreSQL needs no queue and gets none.)
pub async fn sqlite_writer(db: &DatabaseConnection) -> Option<tokio::sync::SemaphorePermit<'static>> {
    static WRITER: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    if is_sqlite(db) { WRITER.acquire().await.ok() } else { None }
}
