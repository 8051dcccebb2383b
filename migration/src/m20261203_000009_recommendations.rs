//! Recommendations, precomputed: one row per client (the next service with its due date and
//! reason, ranked services and products as JSON), and one row for the model as a whole (what
//! is popular, for clients without history, and when it was computed). A refresh replaces
//! them in one transaction, so a reader sees one model or the next, never a mix.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Recommendations {
    Table,
    ClientId,
    NextServiceId,
    DueOn,
    LastVisitOn,
    Reason,
    Confidence,
    Services,
    Products,
    GeneratedAt,
}

#[derive(DeriveIden)]
enum RecommendationModel {
    Table,
    Id,
    PopularServices,
    PopularProducts,
    Clients,
    TookMs,
    GeneratedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Recommendations::Table)
                    .col(uuid(Recommendations::ClientId).primary_key())
                    .col(uuid_null(Recommendations::NextServiceId))
                    .col(date_null(Recommendations::DueOn))
                    .col(date_null(Recommendations::LastVisitOn))
                    .col(text_null(Recommendations::Reason))
                    .col(double_null(Recommendations::Confidence))
                    .col(text(Recommendations::Services))
                    .col(text(Recommendations::Products))
                    .col(timestamp_with_time_zone(Recommendations::GeneratedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("recommendations_due_on")
                    .table(Recommendations::Table)
                    .col(Recommendations::DueOn)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecommendationModel::Table)
                    .col(integer(RecommendationModel::Id).primary_key())
                    .col(text(RecommendationModel::PopularServices))
                    .col(text(RecommendationModel::PopularProducts))
                    .col(integer(RecommendationModel::Clients))
                    .col(big_integer(RecommendationModel::TookMs))
                    .col(timestamp_with_time_zone(RecommendationModel::GeneratedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RecommendationModel::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Recommendations::Table).to_owned()).await
    }
}
