//! The single settings row.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait};

use crate::entity::settings;

/// The migration creates row 1; nothing deletes it.
pub async fn get<C: ConnectionTrait>(db: &C) -> Result<settings::Model, DbErr> {
    settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("settings row 1 is missing".into()))
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: settings::ActiveModel,
) -> Result<settings::Model, DbErr> {
    row.update(db).await
}
