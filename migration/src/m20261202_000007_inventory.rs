//! Inventory and retail: products, the stock ledger, what services use, alerts, and sales.
//!
//! `products.on_hand` is the level row: every movement updates it in the movement's own
//! transaction, and its CHECK (`on_hand >= 0`) is what refuses a movement that would take
//! stock below zero, whichever request or process writes it. `stock_movements` is the
//! ledger (append-only, enforced by triggers); `on_hand` always equals its sum.
//!
//! At most one low-stock alert per product is not closed (a partial unique index): a sale
//! that finds the level below the threshold again opens nothing new until a restock closes it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    SkuKey,
    Name,
    Brand,
    Category,
    Description,
    CostCents,
    PriceCents,
    TaxRateBp,
    ReorderThreshold,
    ReorderQuantity,
    Barcode,
    Retail,
    Active,
    OnHand,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    ProductId,
    Delta,
    Balance,
    Reason,
    Note,
    ActorId,
    SaleId,
    BookingId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceProducts {
    Table,
    ServiceId,
    ProductId,
    Quantity,
}

#[derive(DeriveIden)]
enum StockAlerts {
    Table,
    Id,
    ProductId,
    Kind,
    Status,
    OnHand,
    Threshold,
    Shortfall,
    BookingId,
    OpenedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
    ClientId,
    SubtotalCents,
    DiscountCents,
    TaxCents,
    TotalCents,
    PaidCents,
    PaymentMethod,
    RefundedCents,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SaleLines {
    Table,
    Id,
    SaleId,
    LineNo,
    ProductId,
    Sku,
    Name,
    Quantity,
    UnitPriceCents,
    DiscountCents,
    TaxRateBp,
    TaxCents,
    TotalCents,
    ReturnedQuantity,
}

#[derive(DeriveIden)]
enum SaleReturns {
    Table,
    Id,
    SaleId,
    RefundCents,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SaleReturnLines {
    Table,
    Id,
    ReturnId,
    SaleLineId,
    Quantity,
    RefundCents,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    TaxRateBp,
    PricesIncludeTax,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

const REASONS: [&str; 7] = ["receive", "sale", "return", "service_use", "adjustment", "count", "waste"];
const ALERT_KINDS: [&str; 2] = ["low_stock", "discrepancy"];
const ALERT_STATUSES: [&str; 3] = ["open", "acknowledged", "closed"];
const PAYMENT_METHODS: [&str; 3] = ["cash", "card_terminal", "stripe"];

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
                .table(Products::Table)
                .col(pk_uuid(Products::Id))
                .col(string_len(Products::Sku, 64))
                // The SKU lowercased: unique whatever its case.
                .col(string_len(Products::SkuKey, 64).unique_key())
                .col(string_len(Products::Name, 200))
                .col(string_len_null(Products::Brand, 100))
                .col(string_len_null(Products::Category, 100))
                .col(text_null(Products::Description))
                .col(big_integer(Products::CostCents).check(Expr::col(Products::CostCents).gte(0)))
                .col(big_integer(Products::PriceCents).check(Expr::col(Products::PriceCents).gte(0)))
                .col(integer_null(Products::TaxRateBp))
                .col(big_integer(Products::ReorderThreshold).default(0))
                .col(big_integer_null(Products::ReorderQuantity))
                .col(string_len_null(Products::Barcode, 64).unique_key())
                .col(boolean(Products::Retail).default(true))
                .col(boolean(Products::Active).default(true))
                .col(big_integer(Products::OnHand).default(0).check(Expr::col(Products::OnHand).gte(0)))
                .col(timestamp_with_time_zone(Products::CreatedAt))
                .col(timestamp_with_time_zone(Products::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("products_name_idx").table(Products::Table).col(Products::Name).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockMovements::Table)
                .col(pk_uuid(StockMovements::Id))
                .col(uuid(StockMovements::ProductId))
                .col(big_integer(StockMovements::Delta))
                // The level after this movement.
                .col(big_integer(StockMovements::Balance).check(Expr::col(StockMovements::Balance).gte(0)))
                .col(
                    string_len(StockMovements::Reason, 16)
                        .check(Expr::col(StockMovements::Reason).is_in(REASONS)),
                )
                .col(string_len_null(StockMovements::Note, 500))
                .col(uuid_null(StockMovements::ActorId))
                .col(uuid_null(StockMovements::SaleId))
                .col(uuid_null(StockMovements::BookingId))
                .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                .foreign_key(&mut fk(
                    "stock_movements_product_fk",
                    (StockMovements::Table, StockMovements::ProductId),
                    (Products::Table, Products::Id),
                ))
                .foreign_key(&mut fk(
                    "stock_movements_actor_fk",
                    (StockMovements::Table, StockMovements::ActorId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("stock_movements_product_idx")
                .table(StockMovements::Table)
                .col(StockMovements::ProductId)
                .col(StockMovements::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("stock_movements_booking_idx")
                .table(StockMovements::Table)
                .col(StockMovements::BookingId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServiceProducts::Table)
                .col(uuid(ServiceProducts::ServiceId))
                .col(uuid(ServiceProducts::ProductId))
                .col(big_integer(ServiceProducts::Quantity).check(Expr::col(ServiceProducts::Quantity).gt(0)))
                .primary_key(Index::create().col(ServiceProducts::ServiceId).col(ServiceProducts::ProductId))
                .foreign_key(&mut fk(
                    "service_products_service_fk",
                    (ServiceProducts::Table, ServiceProducts::ServiceId),
                    (Services::Table, Services::Id),
                ))
                .foreign_key(&mut fk(
                    "service_products_product_fk",
                    (ServiceProducts::Table, ServiceProducts::ProductId),
                    (Products::Table, Products::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockAlerts::Table)
                .col(pk_uuid(StockAlerts::Id))
                .col(uuid(StockAlerts::ProductId))
                .col(string_len(StockAlerts::Kind, 16).check(Expr::col(StockAlerts::Kind).is_in(ALERT_KINDS)))
                .col(
                    string_len(StockAlerts::Status, 16)
                        .check(Expr::col(StockAlerts::Status).is_in(ALERT_STATUSES)),
                )
                .col(big_integer(StockAlerts::OnHand))
                .col(big_integer(StockAlerts::Threshold))
                .col(big_integer_null(StockAlerts::Shortfall))
                .col(uuid_null(StockAlerts::BookingId))
                .col(timestamp_with_time_zone(StockAlerts::OpenedAt))
                .col(timestamp_with_time_zone_null(StockAlerts::AcknowledgedAt))
                .col(uuid_null(StockAlerts::AcknowledgedBy))
                .col(timestamp_with_time_zone_null(StockAlerts::ClosedAt))
                .foreign_key(&mut fk(
                    "stock_alerts_product_fk",
                    (StockAlerts::Table, StockAlerts::ProductId),
                    (Products::Table, Products::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("stock_alerts_status_idx")
                .table(StockAlerts::Table)
                .col(StockAlerts::Status)
                .col(StockAlerts::OpenedAt)
                .to_owned(),
        )
        .await?;
        // Same syntax on both backends.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX stock_alerts_one_low_stock ON stock_alerts (product_id) \
                 WHERE kind = 'low_stock' AND status <> 'closed'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(Sales::Table)
                .col(pk_uuid(Sales::Id))
                .col(uuid_null(Sales::ClientId))
                .col(big_integer(Sales::SubtotalCents))
                .col(big_integer(Sales::DiscountCents))
                .col(big_integer(Sales::TaxCents))
                .col(big_integer(Sales::TotalCents).check(Expr::col(Sales::TotalCents).gte(0)))
                .col(big_integer(Sales::PaidCents).default(0))
                .col(
                    string_len_null(Sales::PaymentMethod, 16)
                        .check(Expr::col(Sales::PaymentMethod).is_in(PAYMENT_METHODS)),
                )
                .col(big_integer(Sales::RefundedCents).default(0))
                .col(uuid(Sales::CreatedBy))
                .col(timestamp_with_time_zone(Sales::CreatedAt))
                .check(Expr::col(Sales::RefundedCents).lte(Expr::col(Sales::TotalCents)))
                .foreign_key(&mut fk(
                    "sales_client_fk",
                    (Sales::Table, Sales::ClientId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    "sales_created_by_fk",
                    (Sales::Table, Sales::CreatedBy),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("sales_created_idx").table(Sales::Table).col(Sales::CreatedAt).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sales_client_idx")
                .table(Sales::Table)
                .col(Sales::ClientId)
                .col(Sales::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SaleLines::Table)
                .col(pk_uuid(SaleLines::Id))
                .col(uuid(SaleLines::SaleId))
                .col(integer(SaleLines::LineNo))
                .col(uuid(SaleLines::ProductId))
                .col(string_len(SaleLines::Sku, 64))
                .col(string_len(SaleLines::Name, 200))
                .col(big_integer(SaleLines::Quantity).check(Expr::col(SaleLines::Quantity).gt(0)))
                .col(big_integer(SaleLines::UnitPriceCents))
                .col(big_integer(SaleLines::DiscountCents))
                .col(integer(SaleLines::TaxRateBp))
                .col(big_integer(SaleLines::TaxCents))
                .col(big_integer(SaleLines::TotalCents))
                .col(big_integer(SaleLines::ReturnedQuantity).default(0))
                // Never more back than was sold, whichever return request writes it.
                .check(
                    Expr::col(SaleLines::ReturnedQuantity)
                        .gte(0)
                        .and(Expr::col(SaleLines::ReturnedQuantity).lte(Expr::col(SaleLines::Quantity))),
                )
                .foreign_key(&mut fk(
                    "sale_lines_sale_fk",
                    (SaleLines::Table, SaleLines::SaleId),
                    (Sales::Table, Sales::Id),
                ))
                .foreign_key(&mut fk(
                    "sale_lines_product_fk",
                    (SaleLines::Table, SaleLines::ProductId),
                    (Products::Table, Products::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sale_lines_sale_idx")
                .table(SaleLines::Table)
                .col(SaleLines::SaleId)
                .col(SaleLines::LineNo)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sale_lines_product_idx")
                .table(SaleLines::Table)
                .col(SaleLines::ProductId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SaleReturns::Table)
                .col(pk_uuid(SaleReturns::Id))
                .col(uuid(SaleReturns::SaleId))
                .col(big_integer(SaleReturns::RefundCents))
                .col(string_len_null(SaleReturns::Reason, 500))
                .col(uuid(SaleReturns::CreatedBy))
                .col(timestamp_with_time_zone(SaleReturns::CreatedAt))
                .foreign_key(&mut fk(
                    "sale_returns_sale_fk",
                    (SaleReturns::Table, SaleReturns::SaleId),
                    (Sales::Table, Sales::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sale_returns_sale_idx")
                .table(SaleReturns::Table)
                .col(SaleReturns::SaleId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SaleReturnLines::Table)
                .col(pk_uuid(SaleReturnLines::Id))
                .col(uuid(SaleReturnLines::ReturnId))
                .col(uuid(SaleReturnLines::SaleLineId))
                .col(big_integer(SaleReturnLines::Quantity).check(Expr::col(SaleReturnLines::Quantity).gt(0)))
                .col(big_integer(SaleReturnLines::RefundCents))
                .foreign_key(&mut fk(
                    "sale_return_lines_return_fk",
                    (SaleReturnLines::Table, SaleReturnLines::ReturnId),
                    (SaleReturns::Table, SaleReturns::Id),
                ))
                .foreign_key(&mut fk(
                    "sale_return_lines_line_fk",
                    (SaleReturnLines::Table, SaleReturnLines::SaleLineId),
                    (SaleLines::Table, SaleLines::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sale_return_lines_return_idx")
                .table(SaleReturnLines::Table)
                .col(SaleReturnLines::ReturnId)
                .to_owned(),
        )
        .await?;

        for column in [
            integer(Settings::TaxRateBp).default(0).to_owned(),
            boolean(Settings::PricesIncludeTax).default(true).to_owned(),
        ] {
            m.alter_table(Table::alter().table(Settings::Table).add_column(column).to_owned()).await?;
        }

        let db = m.get_connection();
        let statements: &[&str] = match m.get_database_backend() {
            DbBackend::Postgres => &[
                "CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'stock_movements_append_only'; END $$",
                "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements \
                 FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only()",
            ],
            _ => &[
                "CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements \
                 BEGIN SELECT RAISE(ABORT, 'stock_movements_append_only'); END",
                "CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements \
                 BEGIN SELECT RAISE(ABORT, 'stock_movements_append_only'); END",
            ],
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Settings::PricesIncludeTax, Settings::TaxRateBp] {
            m.alter_table(Table::alter().table(Settings::Table).drop_column(column).to_owned()).await?;
        }
        for table in [
            SaleReturnLines::Table.into_iden(),
            SaleReturns::Table.into_iden(),
            SaleLines::Table.into_iden(),
            Sales::Table.into_iden(),
            StockAlerts::Table.into_iden(),
            ServiceProducts::Table.into_iden(),
            StockMovements::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS stock_movements_append_only()")
                .await?;
        }
        Ok(())
    }
}
