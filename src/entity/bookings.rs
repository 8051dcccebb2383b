use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub client_id: Uuid,
    pub start_at: DateTimeUtc,
    /// End of the service, without the buffer.
    pub end_at: DateTimeUtc,
    pub status: String,
    pub price_cents: i64,
    pub notes: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The deposit this booking requires (fixed when it was made); `None`: no deposit.
    pub deposit_cents: Option<i64>,
    /// Until when an unpaid deposit holds the slot.
    pub hold_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
