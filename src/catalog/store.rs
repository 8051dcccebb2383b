//! Catalog queries.

use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use crate::entity::{service_categories as categories, services, staff, staff_services as assignments};

pub fn categories(active: Option<bool>) -> Select<categories::Entity> {
    let mut q = categories::Entity::find()
        .order_by_asc(categories::Column::Name)
        .order_by_asc(categories::Column::Id);
    if let Some(active) = active {
        q = q.filter(categories::Column::IsActive.eq(active));
    }
    q
}

pub async fn find_category<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<categories::Model>, DbErr> {
    categories::Entity::find_by_id(id).one(db).await
}

pub async fn save_category<C: ConnectionTrait>(
    db: &C,
    row: categories::ActiveModel,
    insert: bool,
) -> Result<categories::Model, DbErr> {
    if insert { row.insert(db).await } else { row.update(db).await }
}

pub fn services(category: Option<Uuid>, active: Option<bool>) -> Select<services::Entity> {
    let mut q =
        services::Entity::find().order_by_asc(services::Column::Name).order_by_asc(services::Column::Id);
    if let Some(category) = category {
        q = q.filter(services::Column::CategoryId.eq(category));
    }
    if let Some(active) = active {
        q = q.filter(services::Column::IsActive.eq(active));
    }
    q
}

pub async fn find_service<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<services::Model>, DbErr> {
    services::Entity::find_by_id(id).one(db).await
}

pub async fn find_services<C: ConnectionTrait>(
    db: &C,
    ids: Vec<Uuid>,
) -> Result<Vec<services::Model>, DbErr> {
    services::Entity::find().filter(services::Column::Id.is_in(ids)).all(db).await
}

pub async fn save_service<C: ConnectionTrait>(
    db: &C,
    row: services::ActiveModel,
    insert: bool,
) -> Result<services::Model, DbErr> {
    if insert { row.insert(db).await } else { row.update(db).await }
}

/// Assignments, optionally only those whose staff member and service are both active.
pub fn assignments(
    staff_id: Option<Uuid>,
    service_id: Option<Uuid>,
    only_active: bool,
) -> Select<assignments::Entity> {
    let mut q = assignments::Entity::find()
        .order_by_asc(assignments::Column::CreatedAt)
        .order_by_asc(assignments::Column::Id);
    if let Some(staff_id) = staff_id {
        q = q.filter(assignments::Column::StaffId.eq(staff_id));
    }
    if let Some(service_id) = service_id {
        q = q.filter(assignments::Column::ServiceId.eq(service_id));
    }
    if only_active {
        q = q
            .filter(
                assignments::Column::StaffId.in_subquery(
                    Query::select()
                        .column(staff::Column::Id)
                        .from(staff::Entity)
                        .and_where(staff::Column::IsActive.eq(true))
                        .to_owned(),
                ),
            )
            .filter(
                assignments::Column::ServiceId.in_subquery(
                    Query::select()
                        .column(services::Column::Id)
                        .from(services::Entity)
                        .and_where(services::Column::IsActive.eq(true))
                        .to_owned(),
                ),
            );
    }
    q
}

pub async fn find_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<assignments::Model>, DbErr> {
    assignments::Entity::find_by_id(id).one(db).await
}

pub async fn insert_assignment<C: ConnectionTrait>(
    db: &C,
    row: assignments::ActiveModel,
) -> Result<assignments::Model, DbErr> {
    row.insert(db).await
}

pub async fn delete_assignment<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    Ok(assignments::Entity::delete_by_id(id).exec(db).await?.rows_affected == 1)
}

pub async fn find_category_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<categories::Model>, DbErr> {
    categories::Entity::find()
        .filter(categories::Column::NameKey.eq(name.trim().to_lowercase()))
        .one(db)
        .await
}

pub async fn find_service_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<services::Model>, DbErr> {
    services::Entity::find()
        .filter(services::Column::Name.eq(name))
        .order_by_asc(services::Column::CreatedAt)
        .one(db)
        .await
}

pub async fn find_assignment_by_pair<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
    service_id: Uuid,
) -> Result<Option<assignments::Model>, DbErr> {
    assignments::Entity::find()
        .filter(assignments::Column::StaffId.eq(staff_id))
        .filter(assignments::Column::ServiceId.eq(service_id))
        .one(db)
        .await
}
