//! Staff profiles, weekly working hours, time off, the service catalog, and which staff
//! member performs which service (with optional per-staff price and duration).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
    UserId,
    DisplayName,
    Bio,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffScheduleIntervals {
    Table,
    Id,
    StaffId,
    Weekday,
    StartMinute,
    EndMinute,
}

#[derive(DeriveIden)]
enum StaffTimeOff {
    Table,
    Id,
    StaffId,
    StartAt,
    EndAt,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceCategories {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    CategoryId,
    Name,
    Description,
    DurationMinutes,
    BufferMinutes,
    PriceCents,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffServices {
    Table,
    Id,
    StaffId,
    ServiceId,
    PriceCents,
    DurationMinutes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One profile per staff user; contact details stay on the user row.
        m.create_table(
            Table::create()
                .table(Staff::Table)
                .col(pk_uuid(Staff::Id))
                .col(uuid(Staff::UserId))
                .col(string_len(Staff::DisplayName, 200))
                .col(text_null(Staff::Bio))
                .col(boolean(Staff::IsActive).default(true))
                .col(timestamp_with_time_zone(Staff::CreatedAt))
                .col(timestamp_with_time_zone(Staff::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("staff_user_fk")
                        .from(Staff::Table, Staff::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("staff_user_key").table(Staff::Table).col(Staff::UserId).unique().to_owned(),
        )
        .await?;

        // Working hours as minutes from local midnight (0..=1440) per ISO weekday (Monday = 1),
        // read in the salon's time zone. The checks are a last line of defence behind the API's
        // validation; overlaps within a day are rejected by the API, which sees the whole week.
        m.create_table(
            Table::create()
                .table(StaffScheduleIntervals::Table)
                .col(pk_uuid(StaffScheduleIntervals::Id))
                .col(uuid(StaffScheduleIntervals::StaffId))
                .col(
                    small_integer(StaffScheduleIntervals::Weekday)
                        .check(Expr::col(StaffScheduleIntervals::Weekday).between(1, 7)),
                )
                .col(small_integer(StaffScheduleIntervals::StartMinute))
                .col(small_integer(StaffScheduleIntervals::EndMinute))
                .check(
                    Expr::col(StaffScheduleIntervals::StartMinute)
                        .gte(0)
                        .and(
                            Expr::col(StaffScheduleIntervals::StartMinute)
                                .lt(Expr::col(StaffScheduleIntervals::EndMinute)),
                        )
                        .and(Expr::col(StaffScheduleIntervals::EndMinute).lte(1440)),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("staff_schedule_staff_fk")
                        .from(StaffScheduleIntervals::Table, StaffScheduleIntervals::StaffId)
                        .to(Staff::Table, Staff::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("staff_schedule_staff_idx")
                .table(StaffScheduleIntervals::Table)
                .col(StaffScheduleIntervals::StaffId)
                .col(StaffScheduleIntervals::Weekday)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StaffTimeOff::Table)
                .col(pk_uuid(StaffTimeOff::Id))
                .col(uuid(StaffTimeOff::StaffId))
                .col(timestamp_with_time_zone(StaffTimeOff::StartAt))
                .col(timestamp_with_time_zone(StaffTimeOff::EndAt))
                .col(string_len_null(StaffTimeOff::Reason, 500))
                .col(timestamp_with_time_zone(StaffTimeOff::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("staff_time_off_staff_fk")
                        .from(StaffTimeOff::Table, StaffTimeOff::StaffId)
                        .to(Staff::Table, Staff::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("staff_time_off_staff_idx")
                .table(StaffTimeOff::Table)
                .col(StaffTimeOff::StaffId)
                .col(StaffTimeOff::StartAt)
                .to_owned(),
        )
        .await?;

        // `name_key` is the lower-cased name: category names are unique regardless of case.
        m.create_table(
            Table::create()
                .table(ServiceCategories::Table)
                .col(pk_uuid(ServiceCategories::Id))
                .col(string_len(ServiceCategories::Name, 100))
                .col(string_len(ServiceCategories::NameKey, 100))
                .col(string_len_null(ServiceCategories::Description, 1000))
                .col(boolean(ServiceCategories::IsActive).default(true))
                .col(timestamp_with_time_zone(ServiceCategories::CreatedAt))
                .col(timestamp_with_time_zone(ServiceCategories::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("service_categories_name_key")
                .table(ServiceCategories::Table)
                .col(ServiceCategories::NameKey)
                .unique()
                .to_owned(),
        )
        .await?;

        // Money is an integer in the currency's smallest unit; durations are whole minutes.
        m.create_table(
            Table::create()
                .table(Services::Table)
                .col(pk_uuid(Services::Id))
                .col(uuid_null(Services::CategoryId))
                .col(string_len(Services::Name, 200))
                .col(string_len_null(Services::Description, 2000))
                .col(integer(Services::DurationMinutes).check(Expr::col(Services::DurationMinutes).gt(0)))
                .col(
                    integer(Services::BufferMinutes)
                        .default(0)
                        .check(Expr::col(Services::BufferMinutes).gte(0)),
                )
                .col(big_integer(Services::PriceCents).check(Expr::col(Services::PriceCents).gte(0)))
                .col(boolean(Services::IsActive).default(true))
                .col(timestamp_with_time_zone(Services::CreatedAt))
                .col(timestamp_with_time_zone(Services::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("services_category_fk")
                        .from(Services::Table, Services::CategoryId)
                        .to(ServiceCategories::Table, ServiceCategories::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("services_category_idx")
                .table(Services::Table)
                .col(Services::CategoryId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StaffServices::Table)
                .col(pk_uuid(StaffServices::Id))
                .col(uuid(StaffServices::StaffId))
                .col(uuid(StaffServices::ServiceId))
                .col(big_integer_null(StaffServices::PriceCents))
                .col(integer_null(StaffServices::DurationMinutes))
                .col(timestamp_with_time_zone(StaffServices::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("staff_services_staff_fk")
                        .from(StaffServices::Table, StaffServices::StaffId)
                        .to(Staff::Table, Staff::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("staff_services_service_fk")
                        .from(StaffServices::Table, StaffServices::ServiceId)
                        .to(Services::Table, Services::Id),
                )
                .to_owned(),
        )
        .await?;
        // One assignment per (staff, service): a duplicate is a 409, also under a race.
        m.create_index(
            Index::create()
                .name("staff_services_pair_key")
                .table(StaffServices::Table)
                .col(StaffServices::StaffId)
                .col(StaffServices::ServiceId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("staff_services_service_idx")
                .table(StaffServices::Table)
                .col(StaffServices::ServiceId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StaffServices::Table.into_iden(),
            Services::Table.into_iden(),
            ServiceCategories::Table.into_iden(),
            StaffTimeOff::Table.into_iden(),
            StaffScheduleIntervals::Table.into_iden(),
            Staff::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
