//! Schema migrations, applied by the server at start and by `salon migrate`.
//! One set of migrations for SQLite and PostgreSQL; backend-specific DDL lives inside a
//! migration, behind a check of the backend.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_staff_catalog;
mod m20261125_000003_bookings;
mod m20261125_000004_busy_indexes;
mod m20261125_000005_cache_versions;
mod m20261202_000006_jobs;
mod m20261202_000007_inventory;
mod m20261203_000008_payments;
mod m20261203_000009_recommendations;
mod m20261203_000010_invoice_intents;
mod m20261204_000011_voice;
mod m20261205_000012_recommendation_version;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_staff_catalog::Migration),
            Box::new(m20261125_000003_bookings::Migration),
            Box::new(m20261125_000004_busy_indexes::Migration),
            Box::new(m20261125_000005_cache_versions::Migration),
            Box::new(m20261202_000006_jobs::Migration),
            Box::new(m20261202_000007_inventory::Migration),
            Box::new(m20261203_000008_payments::Migration),
            Box::new(m20261203_000009_recommendations::Migration),
            Box::new(m20261203_000010_invoice_intents::Migration),
            Box::new(m20261204_000011_voice::Migration),
            Box::new(m20261205_000012_recommendation_version::Migration),
        ]
    }
}
