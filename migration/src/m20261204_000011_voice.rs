//! Natural-language booking: conversations (one row per session, its state as JSON, owned by
//! the user who talks and gone after `expires_at`), the synonyms admins add for services and
//! staff ("men's cut" for "Men's Haircut"), and the channel a booking change came through,
//! so a booking's history says which changes were made by voice.
//!
//! The parser's vocabulary (active services and staff with their synonyms) is kept in each
//! process at a version, `cache_versions.vocabulary`, bumped by triggers on the three tables
//! like the services version (see `m20261125_000005_cache_versions`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The tables whose rows the vocabulary is built from.
const SOURCES: [&str; 3] = ["services", "staff", "voice_synonyms"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VoiceSessions {
    Table,
    Id,
    UserId,
    ClientId,
    /// A front end's own conversation key (Dialogflow's session path), unique per user.
    ExternalKey,
    State,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum VoiceSynonyms {
    Table,
    Id,
    Kind,
    TargetId,
    Phrase,
    /// The phrase as the parser compares it (lower case, no punctuation): unique per kind.
    Normalized,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BookingEvents {
    Table,
    Channel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VoiceSessions::Table)
                    .col(uuid(VoiceSessions::Id).primary_key())
                    .col(uuid(VoiceSessions::UserId))
                    .col(uuid_null(VoiceSessions::ClientId))
                    .col(text_null(VoiceSessions::ExternalKey))
                    .col(text(VoiceSessions::State))
                    .col(timestamp_with_time_zone(VoiceSessions::CreatedAt))
                    .col(timestamp_with_time_zone(VoiceSessions::UpdatedAt))
                    .col(timestamp_with_time_zone(VoiceSessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("voice_sessions_external")
                    .table(VoiceSessions::Table)
                    .col(VoiceSessions::UserId)
                    .col(VoiceSessions::ExternalKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("voice_sessions_expires")
                    .table(VoiceSessions::Table)
                    .col(VoiceSessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VoiceSynonyms::Table)
                    .col(uuid(VoiceSynonyms::Id).primary_key())
                    .col(
                        string_len(VoiceSynonyms::Kind, 16)
                            .check(Expr::col(VoiceSynonyms::Kind).is_in(["service", "staff"])),
                    )
                    .col(uuid(VoiceSynonyms::TargetId))
                    .col(string_len(VoiceSynonyms::Phrase, 100))
                    .col(string_len(VoiceSynonyms::Normalized, 100))
                    .col(timestamp_with_time_zone(VoiceSynonyms::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("voice_synonyms_phrase")
                    .table(VoiceSynonyms::Table)
                    .col(VoiceSynonyms::Kind)
                    .col(VoiceSynonyms::Normalized)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BookingEvents::Table)
                    .add_column(string_len(BookingEvents::Channel, 16).default("api"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO cache_versions (name, version) VALUES ('vocabulary', 0)").await?;
        for table in SOURCES {
            if db.get_database_backend() == DbBackend::Postgres {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_vocabulary_version
                         AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                         FOR EACH STATEMENT EXECUTE FUNCTION salon_bump_cache_version('vocabulary')"
                ))
                .await?;
            } else {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_vocabulary_version_{} AFTER {event} ON {table} BEGIN
                             UPDATE cache_versions
                             SET version = max(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
                             WHERE name = 'vocabulary';
                         END",
                        event.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in SOURCES {
            if db.get_database_backend() == DbBackend::Postgres {
                db.execute_unprepared(&format!("DROP TRIGGER {table}_vocabulary_version ON {table}")).await?;
            } else {
                for event in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER {table}_vocabulary_version_{event}"))
                        .await?;
                }
            }
        }
        db.execute_unprepared("DELETE FROM cache_versions WHERE name = 'vocabulary'").await?;
        manager
            .alter_table(
                Table::alter().table(BookingEvents::Table).drop_column(BookingEvents::Channel).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(VoiceSynonyms::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(VoiceSessions::Table).to_owned()).await
    }
}
