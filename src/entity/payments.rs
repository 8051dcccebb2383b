use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `deposit` (for a booking) or `invoice`.
    pub kind: String,
    pub booking_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// `stripe`, `cash` or `card_terminal`.
    pub method: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub amount_cents: i64,
    pub currency: String,
    pub captured_cents: i64,
    pub refunded_cents: i64,
    pub gateway_ref: Option<String>,
    pub client_secret: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub captured_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
