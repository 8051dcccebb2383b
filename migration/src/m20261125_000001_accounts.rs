//! Accounts, refresh tokens, login throttling, salon settings and server secrets.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    FullName,
    Phone,
    Role,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Id,
    Name,
    Timezone,
    Currency,
    SlotIntervalMinutes,
    MinLeadMinutes,
    MaxAdvanceDays,
    CancellationWindowHours,
    RequireApproval,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppSecrets {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_uuid(Users::Id))
                // Stored lower-cased, so the unique index makes email case-insensitive.
                .col(string_len(Users::Email, 254))
                .col(string(Users::PasswordHash))
                .col(string_len(Users::FullName, 200))
                .col(string_len_null(Users::Phone, 40))
                .col(
                    string_len(Users::Role, 16)
                        .check(Expr::col(Users::Role).is_in(["admin", "staff", "client"])),
                )
                .col(boolean(Users::IsActive).default(true))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("users_email_key").table(Users::Table).col(Users::Email).unique().to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("users_role_idx").table(Users::Table).col(Users::Role).to_owned(),
        )
        .await?;

        // Refresh tokens are stored as SHA-256 hashes. Each login starts a family; a rotation
        // revokes the presented token and adds the next one to the same family, so reuse of a
        // revoked token can revoke the whole family.
        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(pk_uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::UserId))
                .col(uuid(RefreshTokens::FamilyId))
                .col(string_len(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("refresh_tokens_user_fk")
                        .from(RefreshTokens::Table, RefreshTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_hash_key")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_family_idx")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::FamilyId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_user_idx")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::UserId)
                .to_owned(),
        )
        .await?;

        // Failed-login counters live in the database so that the limit holds across every
        // server process sharing it, not per process.
        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(string_len(LoginThrottle::Key, 300).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                .to_owned(),
        )
        .await?;

        // Exactly one row (id = 1): the salon's settings.
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(integer(Settings::Id).primary_key().check(Expr::col(Settings::Id).eq(1)))
                .col(string_len(Settings::Name, 200))
                .col(string_len(Settings::Timezone, 64))
                .col(string_len(Settings::Currency, 3))
                .col(integer(Settings::SlotIntervalMinutes))
                .col(integer(Settings::MinLeadMinutes))
                .col(integer(Settings::MaxAdvanceDays))
                .col(integer(Settings::CancellationWindowHours))
                .col(boolean(Settings::RequireApproval))
                .col(timestamp_with_time_zone(Settings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(Settings::Table)
                .columns([
                    Settings::Id,
                    Settings::Name,
                    Settings::Timezone,
                    Settings::Currency,
                    Settings::SlotIntervalMinutes,
                    Settings::MinLeadMinutes,
                    Settings::MaxAdvanceDays,
                    Settings::CancellationWindowHours,
                    Settings::RequireApproval,
                    Settings::UpdatedAt,
                ])
                .values_panic([
                    1.into(),
                    "My Salon".into(),
                    "UTC".into(),
                    "USD".into(),
                    15.into(),
                    60.into(),
                    90.into(),
                    24.into(),
                    false.into(),
                    chrono::Utc::now().into(),
                ])
                .to_owned(),
        )
        .await?;

        // Secrets the server generates for itself when none is configured (the development
        // JWT key), shared by every process on the database.
        m.create_table(
            Table::create()
                .table(AppSecrets::Table)
                .col(string_len(AppSecrets::Name, 64).primary_key())
                .col(string(AppSecrets::Value))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AppSecrets::Table.into_iden(),
            Settings::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
