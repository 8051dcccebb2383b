//! The background job queue (also the transactional outbox), the record of every message
//! sent, the recurring schedules, and the per-user notification opt-outs.
//!
//! A job is written in the same transaction as the business change that causes it, so a
//! booking that commits always has its confirmation job and one that rolls back never does.
//! `worker` + `lease_until` make one worker at a time run a job across all processes: a claim
//! sets both, and a worker's result counts only while its own claim (`worker` is unique per
//! claim) still holds the job. A crashed worker's lease expires and the job is claimed again.
//! With Redis configured, `relayed_at` marks the rows the relay has handed to Redis.
//!
//! `dedupe_key` is unique: enqueueing the same logical job twice (a retried request, a
//! reminder moved and moved back) makes one job, and a handler keys what it sends by it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    DedupeKey,
    RefId,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    Worker,
    LeaseUntil,
    LastError,
    RelayedAt,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    DedupeKey,
    JobId,
    UserId,
    BookingId,
    Channel,
    Transport,
    Recipient,
    Template,
    Subject,
    Body,
    Status,
    Attempts,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Name,
    EverySecs,
    NextRunAt,
    LastRunAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    NotifyEmail,
    NotifySms,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    ReminderHoursBefore,
}

const JOB_STATUSES: [&str; 5] = ["queued", "running", "succeeded", "failed", "dead"];
const NOTIFICATION_STATUSES: [&str; 3] = ["queued", "sent", "failed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(pk_uuid(Jobs::Id))
                .col(string_len(Jobs::Kind, 64))
                .col(text(Jobs::Payload))
                .col(string_len_null(Jobs::DedupeKey, 200).unique_key())
                // What the job is about (a booking), so that a reschedule finds its reminder.
                .col(uuid_null(Jobs::RefId))
                .col(string_len(Jobs::Status, 16).check(Expr::col(Jobs::Status).is_in(JOB_STATUSES)))
                .col(integer(Jobs::Attempts).default(0).check(Expr::col(Jobs::Attempts).gte(0)))
                .col(integer(Jobs::MaxAttempts).check(Expr::col(Jobs::MaxAttempts).gte(1)))
                .col(timestamp_with_time_zone(Jobs::RunAt))
                .col(string_len_null(Jobs::Worker, 80))
                .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                .col(text_null(Jobs::LastError))
                .col(timestamp_with_time_zone_null(Jobs::RelayedAt))
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                .to_owned(),
        )
        .await?;
        // The claim query's order: due jobs by status, then by when they are due.
        m.create_index(
            Index::create()
                .name("jobs_status_run_at_idx")
                .table(Jobs::Table)
                .col(Jobs::Status)
                .col(Jobs::RunAt)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("jobs_ref_idx").table(Jobs::Table).col(Jobs::RefId).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("jobs_kind_created_idx")
                .table(Jobs::Table)
                .col(Jobs::Kind)
                .col(Jobs::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(pk_uuid(Notifications::Id))
                // `<job's dedupe key>:<channel>`: a job that runs again finds what it sent.
                .col(string_len(Notifications::DedupeKey, 220).unique_key())
                .col(uuid_null(Notifications::JobId))
                .col(uuid_null(Notifications::UserId))
                .col(uuid_null(Notifications::BookingId))
                .col(string_len(Notifications::Channel, 16))
                .col(string_len(Notifications::Transport, 16))
                .col(string_len(Notifications::Recipient, 320))
                .col(string_len(Notifications::Template, 64))
                .col(string_len_null(Notifications::Subject, 300))
                .col(text(Notifications::Body))
                .col(
                    string_len(Notifications::Status, 16)
                        .check(Expr::col(Notifications::Status).is_in(NOTIFICATION_STATUSES)),
                )
                .col(integer(Notifications::Attempts).default(0))
                .col(text_null(Notifications::LastError))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("notifications_user_created_idx")
                .table(Notifications::Table)
                .col(Notifications::UserId)
                .col(Notifications::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("notifications_created_idx")
                .table(Notifications::Table)
                .col(Notifications::CreatedAt)
                .to_owned(),
        )
        .await?;

        // Recurring work: whoever moves `next_run_at` forward (a conditional update, one
        // winner across processes) enqueues that period's job, in the same transaction.
        m.create_table(
            Table::create()
                .table(Schedules::Table)
                .col(string_len(Schedules::Name, 64).primary_key())
                .col(integer(Schedules::EverySecs).check(Expr::col(Schedules::EverySecs).gte(1)))
                .col(timestamp_with_time_zone(Schedules::NextRunAt))
                .col(timestamp_with_time_zone_null(Schedules::LastRunAt))
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::NotifyEmail).default(true))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Users::Table).add_column(boolean(Users::NotifySms).default(true)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Settings::Table)
                .add_column(integer(Settings::ReminderHoursBefore).default(24))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Settings::Table).drop_column(Settings::ReminderHoursBefore).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::NotifySms).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::NotifyEmail).to_owned()).await?;
        for table in [Schedules::Table.into_iden(), Notifications::Table.into_iden(), Jobs::Table.into_iden()]
        {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
