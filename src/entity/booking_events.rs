use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub booking_id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Uuid,
    pub kind: String,
    /// JSON text of the changed fields before the event.
    pub old_value: Option<String>,
    /// JSON text of the changed fields after the event.
    pub new_value: Option<String>,
    pub reason: Option<String>,
    /// `api` or `voice`: what the change came through.
    pub channel: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
