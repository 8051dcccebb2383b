//! Bookings, the staff-busy blocks that make double booking impossible, the append-only
//! history, and idempotency keys.
//!
//! The guarantee lives in the database, not in a check before the insert:
//! - PostgreSQL: exclusion constraints (btree_gist) over `tstzrange(start_at, end_at)`:
//!   no two active blocks of one staff member overlap; no client holds two overlapping
//!   active bookings.
//! - SQLite: triggers that abort the same writes. SQLite runs one writer at a time, so the
//!   trigger's check and the write it guards are atomic.
//!
//! Blocks, not bookings, carry the staff constraint, so a service made of segments (apply,
//! process while the staff member is free, rinse) can later add several blocks per booking.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
    ServiceId,
    StaffId,
    ClientId,
    StartAt,
    EndAt,
    Status,
    PriceCents,
    Notes,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BookingBlocks {
    Table,
    Id,
    BookingId,
    StaffId,
    StartAt,
    EndAt,
    Active,
}

#[derive(DeriveIden)]
enum BookingEvents {
    Table,
    Id,
    BookingId,
    At,
    ActorId,
    Kind,
    OldValue,
    NewValue,
    Reason,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

const STATUSES: [&str; 5] = ["pending", "confirmed", "cancelled", "completed", "no_show"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Bookings::Table)
                .col(pk_uuid(Bookings::Id))
                .col(uuid(Bookings::ServiceId))
                .col(uuid(Bookings::StaffId))
                .col(uuid(Bookings::ClientId))
                .col(timestamp_with_time_zone(Bookings::StartAt))
                // The end of the service, without the buffer (the block carries the buffer).
                .col(timestamp_with_time_zone(Bookings::EndAt))
                .col(string_len(Bookings::Status, 16).check(Expr::col(Bookings::Status).is_in(STATUSES)))
                .col(big_integer(Bookings::PriceCents).check(Expr::col(Bookings::PriceCents).gte(0)))
                .col(string_len_null(Bookings::Notes, 2000))
                .col(uuid(Bookings::CreatedBy))
                .col(timestamp_with_time_zone(Bookings::CreatedAt))
                .col(timestamp_with_time_zone(Bookings::UpdatedAt))
                .check(Expr::col(Bookings::StartAt).lt(Expr::col(Bookings::EndAt)))
                .foreign_key(
                    ForeignKey::create()
                        .name("bookings_service_fk")
                        .from(Bookings::Table, Bookings::ServiceId)
                        .to(Services::Table, Services::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("bookings_staff_fk")
                        .from(Bookings::Table, Bookings::StaffId)
                        .to(Staff::Table, Staff::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("bookings_client_fk")
                        .from(Bookings::Table, Bookings::ClientId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("bookings_staff_start_idx", Bookings::StaffId),
            ("bookings_client_start_idx", Bookings::ClientId),
        ] {
            m.create_index(
                Index::create().name(name).table(Bookings::Table).col(col).col(Bookings::StartAt).to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("bookings_start_idx")
                .table(Bookings::Table)
                .col(Bookings::StartAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BookingBlocks::Table)
                .col(pk_uuid(BookingBlocks::Id))
                .col(uuid(BookingBlocks::BookingId))
                .col(uuid(BookingBlocks::StaffId))
                .col(timestamp_with_time_zone(BookingBlocks::StartAt))
                .col(timestamp_with_time_zone(BookingBlocks::EndAt))
                // Whether the booking is pending or confirmed: only active blocks make the
                // staff member busy.
                .col(boolean(BookingBlocks::Active))
                .check(Expr::col(BookingBlocks::StartAt).lt(Expr::col(BookingBlocks::EndAt)))
                .foreign_key(
                    ForeignKey::create()
                        .name("booking_blocks_booking_fk")
                        .from(BookingBlocks::Table, BookingBlocks::BookingId)
                        .to(Bookings::Table, Bookings::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_blocks_staff_start_idx")
                .table(BookingBlocks::Table)
                .col(BookingBlocks::StaffId)
                .col(BookingBlocks::StartAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_blocks_booking_idx")
                .table(BookingBlocks::Table)
                .col(BookingBlocks::BookingId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BookingEvents::Table)
                .col(pk_uuid(BookingEvents::Id))
                .col(uuid(BookingEvents::BookingId))
                .col(timestamp_with_time_zone(BookingEvents::At))
                .col(uuid(BookingEvents::ActorId))
                .col(string_len(BookingEvents::Kind, 32))
                .col(text_null(BookingEvents::OldValue))
                .col(text_null(BookingEvents::NewValue))
                .col(string_len_null(BookingEvents::Reason, 500))
                .foreign_key(
                    ForeignKey::create()
                        .name("booking_events_booking_fk")
                        .from(BookingEvents::Table, BookingEvents::BookingId)
                        .to(Bookings::Table, Bookings::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_events_booking_idx")
                .table(BookingEvents::Table)
                .col(BookingEvents::BookingId)
                .col(BookingEvents::At)
                .to_owned(),
        )
        .await?;

        // A retried POST with the same key returns the stored response; the key and the
        // booking are written in one transaction, so a crash cannot separate them.
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Key, 200))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(integer(IdempotencyKeys::ResponseStatus))
                .col(text(IdempotencyKeys::ResponseBody))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::UserId).col(IdempotencyKeys::Key))
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                for sql in [
                    "CREATE EXTENSION IF NOT EXISTS btree_gist",
                    "ALTER TABLE booking_blocks ADD CONSTRAINT booking_blocks_no_overlap \
                     EXCLUDE USING gist (staff_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) WHERE (active)",
                    "ALTER TABLE bookings ADD CONSTRAINT bookings_client_no_overlap \
                     EXCLUDE USING gist (client_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) \
                     WHERE (status IN ('pending', 'confirmed'))",
                    "CREATE FUNCTION booking_events_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'booking_events_append_only'; END $$",
                    "CREATE TRIGGER booking_events_append_only BEFORE UPDATE OR DELETE ON booking_events \
                     FOR EACH ROW EXECUTE FUNCTION booking_events_append_only()",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {
                // Times are stored as RFC 3339 text of one format (whole minutes for blocks and
                // bookings), so text comparison orders them as instants.
                for sql in [
                    "CREATE TRIGGER booking_blocks_no_overlap_insert BEFORE INSERT ON booking_blocks \
                     WHEN NEW.active AND EXISTS (SELECT 1 FROM booking_blocks b WHERE b.staff_id = NEW.staff_id \
                       AND b.active AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at) \
                     BEGIN SELECT RAISE(ABORT, 'booking_blocks_no_overlap'); END",
                    "CREATE TRIGGER booking_blocks_no_overlap_update BEFORE UPDATE ON booking_blocks \
                     WHEN NEW.active AND EXISTS (SELECT 1 FROM booking_blocks b WHERE b.staff_id = NEW.staff_id \
                       AND b.id <> NEW.id AND b.active AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at) \
                     BEGIN SELECT RAISE(ABORT, 'booking_blocks_no_overlap'); END",
                    "CREATE TRIGGER bookings_client_no_overlap_insert BEFORE INSERT ON bookings \
                     WHEN NEW.status IN ('pending', 'confirmed') AND EXISTS (SELECT 1 FROM bookings b \
                       WHERE b.client_id = NEW.client_id AND b.status IN ('pending', 'confirmed') \
                       AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at) \
                     BEGIN SELECT RAISE(ABORT, 'bookings_client_no_overlap'); END",
                    "CREATE TRIGGER bookings_client_no_overlap_update BEFORE UPDATE ON bookings \
                     WHEN NEW.status IN ('pending', 'confirmed') AND EXISTS (SELECT 1 FROM bookings b \
                       WHERE b.client_id = NEW.client_id AND b.id <> NEW.id AND b.status IN ('pending', 'confirmed') \
                       AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at) \
                     BEGIN SELECT RAISE(ABORT, 'bookings_client_no_overlap'); END",
                    "CREATE TRIGGER booking_events_no_update BEFORE UPDATE ON booking_events \
                     BEGIN SELECT RAISE(ABORT, 'booking_events_append_only'); END",
                    "CREATE TRIGGER booking_events_no_delete BEFORE DELETE ON booking_events \
                     BEGIN SELECT RAISE(ABORT, 'booking_events_append_only'); END",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            BookingEvents::Table.into_iden(),
            BookingBlocks::Table.into_iden(),
            Bookings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS booking_events_append_only()")
                .await?;
        }
        Ok(())
    }
}
