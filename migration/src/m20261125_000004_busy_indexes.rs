//! Availability reads only active busy blocks around the requested days. Past and cancelled
//! bookings are the vast majority of rows in a salon that has been running for a while, so
//! the index that serves availability leaves them out (a partial index: same syntax on SQLite
//! and PostgreSQL).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX booking_blocks_active_staff_idx ON booking_blocks (staff_id, start_at) WHERE active",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP INDEX booking_blocks_active_staff_idx").await?;
        Ok(())
    }
}
