use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub line_no: i32,
    /// `service` or `product`.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub discount_cents: i64,
    pub tax_rate_bp: i32,
    pub tax_cents: i64,
    pub total_cents: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
