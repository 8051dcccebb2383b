//! A version number per cached read, bumped by the database itself whenever the rows behind
//! that read change. A server process may keep a rendered response in memory and serve it
//! again only while the version it read in the same request is the one the response was
//! rendered at, so several processes on one database never serve each other's stale copies,
//! and writes that bypass the server (SQL by hand, `load-dataset`) invalidate too.
//!
//! A version is the larger of the last one plus one and the clock in microseconds, so that a
//! database restored from a backup (or this migration run down and up) never reuses one.
//! On PostgreSQL a transaction that writes `services` holds the version row until it
//! commits, so catalog writes queue behind each other (they are rare and short).
//! Rebuilding `services` (SQLite's create-copy-drop-rename) drops the triggers: a migration
//! that does so must create them again (`tests/api/catalog.rs` fails otherwise).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE cache_versions (name TEXT PRIMARY KEY NOT NULL, version BIGINT NOT NULL DEFAULT 0)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO cache_versions (name, version) VALUES ('services', 0)").await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE FUNCTION salon_bump_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     UPDATE cache_versions
                     SET version = GREATEST(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
                     WHERE name = TG_ARGV[0];
                     RETURN NULL;
                 END $$;
                 CREATE TRIGGER services_cache_version
                     AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
                     FOR EACH STATEMENT EXECUTE FUNCTION salon_bump_cache_version('services');",
            )
            .await?;
        } else {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER services_cache_version_{} AFTER {event} ON services BEGIN
                         UPDATE cache_versions
                         SET version = max(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
                         WHERE name = 'services';
                     END",
                    event.to_lowercase()
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DROP TRIGGER services_cache_version ON services; DROP FUNCTION salon_bump_cache_version()",
            )
            .await?;
        } else {
            for event in ["insert", "update", "delete"] {
                db.execute_unprepared(&format!("DROP TRIGGER services_cache_version_{event}")).await?;
            }
        }
        db.execute_unprepared("DROP TABLE cache_versions").await?;
        Ok(())
    }
}
