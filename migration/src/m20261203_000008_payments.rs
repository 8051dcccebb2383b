//! Payments, deposits, refunds, gateway webhooks, and invoices.
//!
//! `payments.refunded_cents` is the refund total's level row: a refund adds to it in a guarded
//! update, and its CHECK (`refunded_cents <= captured_cents`) is what refuses a refund beyond
//! the capture whichever request or process writes it. At most one deposit per booking is
//! pending or paid (a partial unique index), so two deposit requests create one payment.
//!
//! Invoice numbers come from `invoice_counters`, one row per year, incremented in the
//! invoice's own transaction: a rolled-back invoice gives its number back, so numbers have no
//! gaps, and the row's lock orders concurrent invoices across processes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    Kind,
    BookingId,
    InvoiceId,
    ClientId,
    Method,
    Status,
    AmountCents,
    Currency,
    CapturedCents,
    RefundedCents,
    GatewayRef,
    ClientSecret,
    FailureCode,
    FailureMessage,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    CapturedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    AmountCents,
    Reason,
    Status,
    GatewayRef,
    FailureMessage,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Kind,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    Number,
    Year,
    Seq,
    BookingId,
    SaleId,
    ClientId,
    Currency,
    SubtotalCents,
    DiscountCents,
    TaxCents,
    TotalCents,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    Id,
    InvoiceId,
    LineNo,
    Kind,
    Description,
    Quantity,
    UnitPriceCents,
    DiscountCents,
    TaxRateBp,
    TaxCents,
    TotalCents,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    Last,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    DepositCents,
    DepositPercent,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    DepositHoldMinutes,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
    DepositCents,
    HoldUntil,
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

const KINDS: [&str; 2] = ["deposit", "invoice"];
const METHODS: [&str; 3] = ["stripe", "cash", "card_terminal"];
const STATUSES: [&str; 4] = ["pending", "succeeded", "failed", "cancelled"];
const REFUND_STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];
const LINE_KINDS: [&str; 2] = ["service", "product"];

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Invoices::Table)
                .col(pk_uuid(Invoices::Id))
                // `2026-000123`: the year and its gap-free sequence.
                .col(string_len(Invoices::Number, 32).unique_key())
                .col(integer(Invoices::Year))
                .col(integer(Invoices::Seq).check(Expr::col(Invoices::Seq).gt(0)))
                .col(uuid_null(Invoices::BookingId).unique_key())
                .col(uuid_null(Invoices::SaleId).unique_key())
                .col(uuid_null(Invoices::ClientId))
                .col(string_len(Invoices::Currency, 3))
                .col(big_integer(Invoices::SubtotalCents))
                .col(big_integer(Invoices::DiscountCents))
                .col(big_integer(Invoices::TaxCents))
                .col(big_integer(Invoices::TotalCents).check(Expr::col(Invoices::TotalCents).gte(0)))
                .col(timestamp_with_time_zone(Invoices::CreatedAt))
                .index(
                    Index::create().name("invoices_year_seq").col(Invoices::Year).col(Invoices::Seq).unique(),
                )
                .foreign_key(&mut fk(
                    "invoices_booking_fk",
                    (Invoices::Table, Invoices::BookingId),
                    (Bookings::Table, Bookings::Id),
                ))
                .foreign_key(&mut fk(
                    "invoices_sale_fk",
                    (Invoices::Table, Invoices::SaleId),
                    (Sales::Table, Sales::Id),
                ))
                .foreign_key(&mut fk(
                    "invoices_client_fk",
                    (Invoices::Table, Invoices::ClientId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invoices_client_idx")
                .table(Invoices::Table)
                .col(Invoices::ClientId)
                .col(Invoices::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invoices_created_idx")
                .table(Invoices::Table)
                .col(Invoices::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InvoiceLines::Table)
                .col(pk_uuid(InvoiceLines::Id))
                .col(uuid(InvoiceLines::InvoiceId))
                .col(integer(InvoiceLines::LineNo))
                .col(
                    string_len(InvoiceLines::Kind, 16).check(Expr::col(InvoiceLines::Kind).is_in(LINE_KINDS)),
                )
                .col(string_len(InvoiceLines::Description, 300))
                .col(big_integer(InvoiceLines::Quantity).check(Expr::col(InvoiceLines::Quantity).gt(0)))
                .col(big_integer(InvoiceLines::UnitPriceCents))
                .col(big_integer(InvoiceLines::DiscountCents))
                .col(integer(InvoiceLines::TaxRateBp))
                .col(big_integer(InvoiceLines::TaxCents))
                .col(big_integer(InvoiceLines::TotalCents))
                .index(
                    Index::create()
                        .name("invoice_lines_invoice_line")
                        .col(InvoiceLines::InvoiceId)
                        .col(InvoiceLines::LineNo)
                        .unique(),
                )
                .foreign_key(&mut fk(
                    "invoice_lines_invoice_fk",
                    (InvoiceLines::Table, InvoiceLines::InvoiceId),
                    (Invoices::Table, Invoices::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InvoiceCounters::Table)
                .col(integer(InvoiceCounters::Year).primary_key())
                .col(integer(InvoiceCounters::Last))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(pk_uuid(Payments::Id))
                .col(string_len(Payments::Kind, 16).check(Expr::col(Payments::Kind).is_in(KINDS)))
                .col(uuid_null(Payments::BookingId))
                .col(uuid_null(Payments::InvoiceId))
                // Whose payment it is (the booking's or the invoice's client); none for a walk-in.
                .col(uuid_null(Payments::ClientId))
                .col(string_len(Payments::Method, 16).check(Expr::col(Payments::Method).is_in(METHODS)))
                .col(string_len(Payments::Status, 16).check(Expr::col(Payments::Status).is_in(STATUSES)))
                .col(big_integer(Payments::AmountCents).check(Expr::col(Payments::AmountCents).gt(0)))
                .col(string_len(Payments::Currency, 3))
                .col(
                    big_integer(Payments::CapturedCents)
                        .default(0)
                        .check(Expr::col(Payments::CapturedCents).gte(0)),
                )
                .col(
                    big_integer(Payments::RefundedCents)
                        .default(0)
                        .check(Expr::col(Payments::RefundedCents).gte(0)),
                )
                // The gateway's id (a PaymentIntent's `pi_...`).
                .col(string_len_null(Payments::GatewayRef, 255).unique_key())
                .col(string_len_null(Payments::ClientSecret, 500))
                .col(string_len_null(Payments::FailureCode, 100))
                .col(string_len_null(Payments::FailureMessage, 500))
                .col(uuid_null(Payments::CreatedBy))
                .col(timestamp_with_time_zone(Payments::CreatedAt))
                .col(timestamp_with_time_zone(Payments::UpdatedAt))
                .col(timestamp_with_time_zone_null(Payments::CapturedAt))
                // Never more refunded than captured, whichever request writes it.
                .check(Expr::col(Payments::RefundedCents).lte(Expr::col(Payments::CapturedCents)))
                .check(Expr::col(Payments::CapturedCents).lte(Expr::col(Payments::AmountCents)))
                .foreign_key(&mut fk(
                    "payments_booking_fk",
                    (Payments::Table, Payments::BookingId),
                    (Bookings::Table, Bookings::Id),
                ))
                .foreign_key(&mut fk(
                    "payments_invoice_fk",
                    (Payments::Table, Payments::InvoiceId),
                    (Invoices::Table, Invoices::Id),
                ))
                .foreign_key(&mut fk(
                    "payments_client_fk",
                    (Payments::Table, Payments::ClientId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("payments_booking_idx", Payments::BookingId),
            ("payments_invoice_idx", Payments::InvoiceId),
            ("payments_client_idx", Payments::ClientId),
        ] {
            m.create_index(Index::create().name(name).table(Payments::Table).col(col).to_owned()).await?;
        }
        // One live deposit per booking: pending or paid.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX payments_one_deposit ON payments (booking_id) \
                 WHERE kind = 'deposit' AND status IN ('pending', 'succeeded')",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .col(pk_uuid(Refunds::Id))
                .col(uuid(Refunds::PaymentId))
                .col(big_integer(Refunds::AmountCents).check(Expr::col(Refunds::AmountCents).gt(0)))
                .col(string_len(Refunds::Reason, 500))
                .col(string_len(Refunds::Status, 16).check(Expr::col(Refunds::Status).is_in(REFUND_STATUSES)))
                .col(string_len_null(Refunds::GatewayRef, 255).unique_key())
                .col(string_len_null(Refunds::FailureMessage, 500))
                .col(uuid_null(Refunds::CreatedBy))
                .col(timestamp_with_time_zone(Refunds::CreatedAt))
                .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                .foreign_key(&mut fk(
                    "refunds_payment_fk",
                    (Refunds::Table, Refunds::PaymentId),
                    (Payments::Table, Payments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refunds_payment_idx")
                .table(Refunds::Table)
                .col(Refunds::PaymentId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WebhookEvents::Table)
                .col(string_len(WebhookEvents::Id, 255).primary_key())
                .col(string_len(WebhookEvents::Kind, 100))
                .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                .to_owned(),
        )
        .await?;

        for column in [
            big_integer_null(Services::DepositCents)
                .check(Expr::col(Services::DepositCents).gt(0))
                .to_owned(),
            integer_null(Services::DepositPercent)
                .check(Expr::col(Services::DepositPercent).between(1, 100))
                .to_owned(),
        ] {
            m.alter_table(Table::alter().table(Services::Table).add_column(column).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Settings::Table)
                .add_column(integer(Settings::DepositHoldMinutes).default(30).to_owned())
                .to_owned(),
        )
        .await?;
        // The deposit a booking requires, fixed when it was made, and until when its slot is held.
        for column in [
            big_integer_null(Bookings::DepositCents).to_owned(),
            timestamp_with_time_zone_null(Bookings::HoldUntil).to_owned(),
        ] {
            m.alter_table(Table::alter().table(Bookings::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Bookings::HoldUntil, Bookings::DepositCents] {
            m.alter_table(Table::alter().table(Bookings::Table).drop_column(column).to_owned()).await?;
        }
        m.alter_table(
            Table::alter().table(Settings::Table).drop_column(Settings::DepositHoldMinutes).to_owned(),
        )
        .await?;
        for column in [Services::DepositPercent, Services::DepositCents] {
            m.alter_table(Table::alter().table(Services::Table).drop_column(column).to_owned()).await?;
        }
        for table in [
            WebhookEvents::Table.into_iden(),
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            InvoiceCounters::Table.into_iden(),
            InvoiceLines::Table.into_iden(),
            Invoices::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
