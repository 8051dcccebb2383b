use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sku: String,
    pub sku_key: String,
    pub name: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub cost_cents: i64,
    pub price_cents: i64,
    pub tax_rate_bp: Option<i32>,
    pub reorder_threshold: i64,
    pub reorder_quantity: Option<i64>,
    pub barcode: Option<String>,
    pub retail: bool,
    pub active: bool,
    pub on_hand: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
