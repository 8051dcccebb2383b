//! Staff, schedule and time-off queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Select,
};
use uuid::Uuid;

use super::model::Interval;
use crate::entity::{
    services, staff, staff_schedule_intervals as intervals, staff_services, staff_time_off, users,
};

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find_by_id(id).one(db).await
}

pub async fn insert<C: ConnectionTrait>(db: &C, row: staff::ActiveModel) -> Result<staff::Model, DbErr> {
    row.insert(db).await
}

pub async fn update<C: ConnectionTrait>(db: &C, row: staff::ActiveModel) -> Result<staff::Model, DbErr> {
    row.update(db).await
}

pub fn list(active: Option<bool>, service_id: Option<Uuid>) -> Select<staff::Entity> {
    let mut q =
        staff::Entity::find().order_by_asc(staff::Column::DisplayName).order_by_asc(staff::Column::Id);
    if let Some(active) = active {
        q = q.filter(staff::Column::IsActive.eq(active));
    }
    if let Some(service_id) = service_id {
        q = q.filter(
            staff::Column::Id.in_subquery(
                Query::select()
                    .column(staff_services::Column::StaffId)
                    .from(staff_services::Entity)
                    .and_where(staff_services::Column::ServiceId.eq(service_id))
                    .to_owned(),
            ),
        );
    }
    q
}

/// The service ids of each staff member, in one query (active services only if asked).
pub async fn service_ids<C: ConnectionTrait>(
    db: &C,
    staff_ids: &[Uuid],
    only_active: bool,
) -> Result<HashMap<Uuid, Vec<Uuid>>, DbErr> {
    let mut q = staff_services::Entity::find()
        .filter(staff_services::Column::StaffId.is_in(staff_ids.to_vec()))
        .order_by_asc(staff_services::Column::CreatedAt);
    if only_active {
        q = q.filter(
            staff_services::Column::ServiceId.in_subquery(
                Query::select()
                    .column(services::Column::Id)
                    .from(services::Entity)
                    .and_where(services::Column::IsActive.eq(true))
                    .to_owned(),
            ),
        );
    }
    let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for a in q.all(db).await? {
        map.entry(a.staff_id).or_default().push(a.service_id);
    }
    Ok(map)
}

/// The user accounts behind staff profiles, in one query.
pub async fn users<C: ConnectionTrait>(
    db: &C,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, users::Model>, DbErr> {
    let rows = users::Entity::find().filter(users::Column::Id.is_in(user_ids.to_vec())).all(db).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

pub async fn schedule<C: ConnectionTrait>(db: &C, staff_id: Uuid) -> Result<Vec<intervals::Model>, DbErr> {
    intervals::Entity::find()
        .filter(intervals::Column::StaffId.eq(staff_id))
        .order_by_asc(intervals::Column::Weekday)
        .order_by_asc(intervals::Column::StartMinute)
        .all(db)
        .await
}

/// Replaces the week (call inside a transaction: delete and insert are one change).
pub async fn replace_schedule<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
    week: &[Interval],
) -> Result<(), DbErr> {
    intervals::Entity::delete_many().filter(intervals::Column::StaffId.eq(staff_id)).exec(db).await?;
    if week.is_empty() {
        return Ok(());
    }
    let rows = week.iter().map(|iv| intervals::ActiveModel {
        id: Set(Uuid::now_v7()),
        staff_id: Set(staff_id),
        weekday: Set(iv.weekday),
        start_minute: Set(iv.start),
        end_minute: Set(iv.end),
    });
    intervals::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

pub async fn insert_time_off<C: ConnectionTrait>(
    db: &C,
    row: staff_time_off::ActiveModel,
) -> Result<staff_time_off::Model, DbErr> {
    row.insert(db).await
}

pub fn time_off(
    staff_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Select<staff_time_off::Entity> {
    let mut q = staff_time_off::Entity::find()
        .filter(staff_time_off::Column::StaffId.eq(staff_id))
        .order_by_asc(staff_time_off::Column::StartAt)
        .order_by_asc(staff_time_off::Column::Id);
    if let Some(from) = from {
        q = q.filter(staff_time_off::Column::EndAt.gt(from));
    }
    if let Some(to) = to {
        q = q.filter(staff_time_off::Column::StartAt.lt(to));
    }
    q
}

/// Deletes one of this staff member's time-off entries; false when there was none.
pub async fn delete_time_off<C: ConnectionTrait>(db: &C, staff_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let result = staff_time_off::Entity::delete_many()
        .filter(staff_time_off::Column::Id.eq(id))
        .filter(staff_time_off::Column::StaffId.eq(staff_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_by_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find().filter(staff::Column::UserId.eq(user_id)).one(db).await
}
