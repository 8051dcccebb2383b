//! A version of everything a client's recommendations are rendered from, so that a process
//! can keep rendered recommendations in memory (see `m20261125_000005_cache_versions`):
//! `cache_versions.recommendations`, bumped by triggers when
//! - the stored model changes (`recommendations`, `recommendation_model`: a refresh, or SQL),
//! - a service changes (its name, or it became inactive or was deleted),
//! - a product is added or deleted, or its name, SKU, `active` or `retail` changes, or it runs
//!   out of stock or comes back (`on_hand > 0` flips; a sale that leaves stock on the shelf
//!   bumps nothing, so selling does not empty every cache),
//! - a user's role changes or a user is deleted (the read answers 404 for non-clients).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// What SQLite runs in each trigger (PostgreSQL calls `salon_bump_cache_version`).
const SQLITE_BUMP: &str = "UPDATE cache_versions
    SET version = max(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
    WHERE name = 'recommendations';";

/// Tables any change of which bumps the version.
const WHOLE: [&str; 3] = ["recommendations", "recommendation_model", "services"];

/// The product columns the rendering shows or filters on (and `on_hand > 0`).
const PRODUCT_CHANGED: &str = "OLD.name IS NOT NEW.name OR OLD.sku IS NOT NEW.sku \
    OR OLD.active IS NOT NEW.active OR OLD.retail IS NOT NEW.retail OR (OLD.on_hand > 0) IS NOT (NEW.on_hand > 0)";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO cache_versions (name, version) VALUES ('recommendations', 0)")
            .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            let pg_changed = PRODUCT_CHANGED.replace("IS NOT", "IS DISTINCT FROM");
            let mut sql = String::new();
            for table in WHOLE {
                sql.push_str(&format!(
                    "CREATE TRIGGER {table}_recommendations_version
                         AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                         FOR EACH STATEMENT EXECUTE FUNCTION salon_bump_cache_version('recommendations');"
                ));
            }
            sql.push_str(&format!(
                "CREATE TRIGGER products_recommendations_version
                     AFTER INSERT OR DELETE OR TRUNCATE ON products
                     FOR EACH STATEMENT EXECUTE FUNCTION salon_bump_cache_version('recommendations');
                 CREATE TRIGGER products_recommendations_version_update
                     AFTER UPDATE ON products FOR EACH ROW WHEN ({pg_changed})
                     EXECUTE FUNCTION salon_bump_cache_version('recommendations');
                 CREATE TRIGGER users_recommendations_version
                     AFTER DELETE OR TRUNCATE ON users
                     FOR EACH STATEMENT EXECUTE FUNCTION salon_bump_cache_version('recommendations');
                 CREATE TRIGGER users_recommendations_version_update
                     AFTER UPDATE OF role ON users FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role)
                     EXECUTE FUNCTION salon_bump_cache_version('recommendations');"
            ));
            db.execute_unprepared(&sql).await?;
        } else {
            for (name, after) in sqlite_triggers() {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} AFTER {after} BEGIN {SQLITE_BUMP} END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            let mut sql = String::new();
            for table in WHOLE.into_iter().chain(["products", "users"]) {
                sql.push_str(&format!("DROP TRIGGER {table}_recommendations_version ON {table};"));
            }
            sql.push_str(
                "DROP TRIGGER products_recommendations_version_update ON products;
                 DROP TRIGGER users_recommendations_version_update ON users;",
            );
            db.execute_unprepared(&sql).await?;
        } else {
            for (name, _) in sqlite_triggers() {
                db.execute_unprepared(&format!("DROP TRIGGER {name}")).await?;
            }
        }
        db.execute_unprepared("DELETE FROM cache_versions WHERE name = 'recommendations'").await?;
        Ok(())
    }
}

/// SQLite's triggers (row-level; it has no other kind): name, and what follows `AFTER`.
fn sqlite_triggers() -> Vec<(String, String)> {
    let mut triggers = Vec::new();
    let on = |table: &str, events: &[&str]| {
        events
            .iter()
            .map(|e| {
                (format!("{table}_recommendations_version_{}", e.to_lowercase()), format!("{e} ON {table}"))
            })
            .collect::<Vec<_>>()
    };
    for table in WHOLE {
        triggers.extend(on(table, &["INSERT", "UPDATE", "DELETE"]));
    }
    triggers.extend(on("products", &["INSERT", "DELETE"]));
    triggers.extend(on("users", &["DELETE"]));
    triggers.push((
        "products_recommendations_version_update".into(),
        format!("UPDATE ON products FOR EACH ROW WHEN {PRODUCT_CHANGED}"),
    ));
    triggers.push((
        "users_recommendations_version_update".into(),
        "UPDATE OF role ON users FOR EACH ROW WHEN OLD.role IS NOT NEW.role".into(),
    ));
    triggers
}
