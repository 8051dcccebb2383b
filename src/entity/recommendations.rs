use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: Uuid,
    pub next_service_id: Option<Uuid>,
    pub due_on: Option<Date>,
    pub last_visit_on: Option<Date>,
    pub reason: Option<String>,
    pub confidence: Option<f64>,
    /// JSON: `[{"id", "score", "reason"}]`, best first.
    pub services: String,
    /// JSON: `[{"id", "score", "reason"}]`, best first.
    pub products: String,
    pub generated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
