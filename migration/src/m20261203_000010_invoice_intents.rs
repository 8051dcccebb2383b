//! At most one open online payment per invoice: two requests to pay an invoice with Stripe at
//! once (a double click, two tabs) create one PaymentIntent, not two that could both be paid.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX payments_one_open_intent ON payments (invoice_id) \
                 WHERE method = 'stripe' AND status = 'pending' AND invoice_id IS NOT NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX payments_one_open_intent").await.map(|_| ())
    }
}
