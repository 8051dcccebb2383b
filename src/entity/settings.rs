use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub slot_interval_minutes: i32,
    pub min_lead_minutes: i32,
    pub max_advance_days: i32,
    pub cancellation_window_hours: i32,
    pub require_approval: bool,
    pub reminder_hours_before: i32,
    pub tax_rate_bp: i32,
    pub prices_include_tax: bool,
    pub deposit_hold_minutes: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
