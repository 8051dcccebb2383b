use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub kind: String,
    pub status: String,
    pub on_hand: i64,
    pub threshold: i64,
    pub shortfall: Option<i64>,
    pub booking_id: Option<Uuid>,
    pub opened_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
