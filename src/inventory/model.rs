//! Inventory inputs and views: products, stock movements and levels, alerts, and what a
//! service uses.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalog::model::MAX_PRICE_CENTS;
use crate::entity::{products, stock_alerts, stock_movements};
use crate::model::{not_blank, nullable};

/// The most a single movement, count, threshold or sale line may carry: larger numbers are
/// typos (a barcode typed into the quantity field), not stock.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Basis points: 10000 is 100 %.
pub const MAX_TAX_BP: i32 = 10_000;

/// Letters, digits, `.`, `_` and `-`: a SKU is part of URLs (`/inventory/{sku}/...`).
pub fn sku_chars(value: &str, _: &()) -> garde::Result {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(garde::Error::new("must be letters, digits, '.', '_' or '-'"));
    }
    Ok(())
}

fn barcode_chars(value: &str, _: &()) -> garde::Result {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(garde::Error::new("must be letters, digits or '-'"));
    }
    Ok(())
}

fn nullable_barcode(value: &Option<Option<String>>, ctx: &()) -> garde::Result {
    match value {
        Some(Some(v)) => barcode_chars(v, ctx),
        _ => Ok(()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    /// As given; unique regardless of case.
    #[schema(example = "SHMP-250")]
    pub sku: String,
    #[schema(example = "Repair shampoo 250 ml")]
    pub name: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    /// What the salon pays for one unit, in the smallest currency unit.
    pub cost_cents: i64,
    /// The retail price of one unit.
    pub price_cents: i64,
    /// Its own tax rate in basis points; `null` uses the salon's (`tax_rate_bp` in settings).
    pub tax_rate_bp: Option<i32>,
    /// At or below this level the product is low on stock (and an alert opens).
    pub reorder_threshold: i64,
    /// How many to order when it is.
    pub reorder_quantity: Option<i64>,
    pub barcode: Option<String>,
    /// `true`: sold at the front desk; `false`: backbar only (used in services).
    pub retail: bool,
    pub active: bool,
    /// The stock level: the sum of the product's movements, never below zero.
    pub on_hand: i64,
    /// `on_hand <= reorder_threshold`.
    pub low_stock: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<products::Model> for ProductView {
    fn from(p: products::Model) -> Self {
        ProductView {
            low_stock: p.on_hand <= p.reorder_threshold,
            id: p.id,
            sku: p.sku,
            name: p.name,
            brand: p.brand,
            category: p.category,
            description: p.description,
            cost_cents: p.cost_cents,
            price_cents: p.price_cents,
            tax_rate_bp: p.tax_rate_bp,
            reorder_threshold: p.reorder_threshold,
            reorder_quantity: p.reorder_quantity,
            barcode: p.barcode,
            retail: p.retail,
            active: p.active,
            on_hand: p.on_hand,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// 1 to 64 letters, digits, `.`, `_` or `-`; unique regardless of case.
    #[garde(length(min = 1, max = 64), custom(sku_chars))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$", example = "SHMP-250")]
    pub sku: String,
    #[garde(length(chars, min = 1, max = 200), custom(not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200, example = "Repair shampoo 250 ml")]
    pub name: String,
    #[garde(inner(length(chars, min = 1, max = 100), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100, example = "Lumen")]
    pub brand: Option<String>,
    #[garde(inner(length(chars, min = 1, max = 100), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100, example = "Hair care")]
    pub category: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// 0 to 100,000,000.
    #[garde(range(min = 0, max = MAX_PRICE_CENTS))]
    #[schema(minimum = 0, maximum = 100000000, example = 650)]
    pub cost_cents: i64,
    /// 0 to 100,000,000.
    #[garde(range(min = 0, max = MAX_PRICE_CENTS))]
    #[schema(minimum = 0, maximum = 100000000, example = 1800)]
    pub price_cents: i64,
    /// 0 to 10000 basis points; omitted: the salon's rate.
    #[garde(inner(range(min = 0, max = MAX_TAX_BP)))]
    #[schema(minimum = 0, maximum = 10000)]
    pub tax_rate_bp: Option<i32>,
    /// 0 to 1,000,000 (default 0: low only when out of stock).
    #[garde(inner(range(min = 0, max = MAX_QUANTITY)))]
    #[schema(minimum = 0, maximum = 1000000, example = 5)]
    pub reorder_threshold: Option<i64>,
    /// 1 to 1,000,000.
    #[garde(inner(range(min = 1, max = MAX_QUANTITY)))]
    #[schema(minimum = 1, maximum = 1000000, example = 24)]
    pub reorder_quantity: Option<i64>,
    /// Letters, digits and `-`, up to 64; unique when given.
    #[garde(inner(length(min = 1, max = 64), custom(barcode_chars)))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9-]+$", example = "5601234567890")]
    pub barcode: Option<String>,
    /// Default `true`; `false` for backbar-only products.
    #[garde(skip)]
    pub retail: Option<bool>,
    /// Stock on hand when the product is added (0 to 1,000,000): recorded as a `receive`
    /// movement.
    #[garde(inner(range(min = 0, max = MAX_QUANTITY)))]
    #[schema(minimum = 0, maximum = 1000000)]
    pub initial_stock: Option<i64>,
}

/// Any subset of the product's fields; stock changes go through `update_stock`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    #[garde(inner(length(min = 1, max = 64), custom(sku_chars)))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")]
    pub sku: Option<String>,
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, min = 1, max = 100), custom(not_blank))))]
    #[schema(pattern = r"\S", value_type = Option<String>, min_length = 1, max_length = 100)]
    pub brand: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, min = 1, max = 100), custom(not_blank))))]
    #[schema(pattern = r"\S", value_type = Option<String>, min_length = 1, max_length = 100)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, max = 2000))))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub cost_cents: Option<i64>,
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price_cents: Option<i64>,
    /// `null`: use the salon's rate.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(range(min = 0, max = MAX_TAX_BP))))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10000)]
    pub tax_rate_bp: Option<Option<i32>>,
    #[garde(inner(range(min = 0, max = MAX_QUANTITY)))]
    #[schema(minimum = 0, maximum = 1000000)]
    pub reorder_threshold: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(range(min = 1, max = MAX_QUANTITY))))]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub reorder_quantity: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[garde(custom(nullable_barcode), inner(inner(length(min = 1, max = 64))))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9-]+$")]
    pub barcode: Option<Option<String>>,
    #[garde(skip)]
    pub retail: Option<bool>,
    /// Reactivate (or deactivate) the product.
    #[garde(skip)]
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Words found in the name, SKU or brand (case-insensitive; every word must match).
    #[garde(inner(length(chars, max = 100)))]
    #[param(max_length = 100, pattern = r"^[^\x00]*$")]
    pub q: Option<String>,
    /// Exact category (case-insensitive).
    #[garde(inner(length(chars, max = 100)))]
    #[param(max_length = 100)]
    pub category: Option<String>,
    /// Only products at or below (`true`) or above (`false`) their reorder threshold.
    #[garde(skip)]
    pub low_stock: Option<bool>,
    /// Default `true`; `false` lists deactivated products.
    #[garde(skip)]
    pub active: Option<bool>,
    /// Only retail (`true`) or backbar-only (`false`) products.
    #[garde(skip)]
    pub retail: Option<bool>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// Why stock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MovementReason)]
pub enum Reason {
    /// Delivered stock (positive).
    Receive,
    /// Sold at the front desk (recorded by sales).
    Sale,
    /// Brought back (positive): by a sale's return, or recorded by hand.
    Return,
    /// Used in a service (recorded when a booking is completed).
    ServiceUse,
    /// A correction, either way.
    Adjustment,
    /// A stock count: the movement is the difference to the counted level.
    Count,
    /// Damaged, expired or lost (negative).
    Waste,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receive => "receive",
            Self::Sale => "sale",
            Self::Return => "return",
            Self::ServiceUse => "service_use",
            Self::Adjustment => "adjustment",
            Self::Count => "count",
            Self::Waste => "waste",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub product_id: Uuid,
    /// The change; for a count, the difference to the level before.
    pub delta: i64,
    /// The level after this movement.
    pub balance: i64,
    #[schema(value_type = Reason)]
    pub reason: String,
    pub note: Option<String>,
    /// Who made it (`null` for movements made by the system itself).
    pub actor_id: Option<Uuid>,
    pub sale_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<stock_movements::Model> for MovementView {
    fn from(m: stock_movements::Model) -> Self {
        MovementView {
            id: m.id,
            product_id: m.product_id,
            delta: m.delta,
            balance: m.balance,
            reason: m.reason,
            note: m.note,
            actor_id: m.actor_id,
            sale_id: m.sale_id,
            booking_id: m.booking_id,
            created_at: m.created_at,
        }
    }
}

/// A change of stock by hand: either `delta` (with `receive`, `return`, `adjustment` or
/// `waste`) or `count` (the level counted on the shelf; reason `count`, the default then).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStockRequest {
    /// -1,000,000 to 1,000,000, not 0: positive for `receive` and `return`, negative for
    /// `waste`, either for `adjustment`.
    #[garde(inner(range(min = -MAX_QUANTITY, max = MAX_QUANTITY)))]
    #[schema(minimum = -1000000, maximum = 1000000, example = 12)]
    pub delta: Option<i64>,
    /// 0 to 1,000,000: the level is set to this.
    #[garde(inner(range(min = 0, max = MAX_QUANTITY)))]
    #[schema(minimum = 0, maximum = 1000000)]
    pub count: Option<i64>,
    /// `sale` and `service_use` are recorded by sales and completed bookings only.
    #[garde(skip)]
    pub reason: Option<Reason>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500, example = "Delivery note 4711")]
    pub note: Option<String>,
}

/// What `stock_change` in the service accepts, for the schema: exactly one of these shapes (a
/// count, or a delta whose sign its reason allows), as `oneOf` beside the fields above.
pub fn update_stock_shapes() -> utoipa::openapi::schema::OneOf {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
    let integer = |min: Option<i64>, max: Option<i64>| {
        ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)).minimum(min).maximum(max)
    };
    let null = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null));
    let reasons = |names: &[Option<&str>]| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .enum_values(Some(names.iter().map(|n| serde_json::json!(n))))
    };
    let delta = |min: Option<i64>, max: Option<i64>, names: &[Option<&str>]| {
        ObjectBuilder::new()
            .required("delta")
            .required("reason")
            .property("delta", integer(min, max))
            .property("count", null())
            .property("reason", reasons(names))
    };
    let q = Some(MAX_QUANTITY);
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .required("count")
                .property("count", integer(Some(0), q))
                .property("delta", null())
                .property("reason", reasons(&[Some("count"), None])),
        )
        .item(delta(Some(1), q, &[Some("receive"), Some("return"), Some("adjustment")]))
        .item(delta(Some(-MAX_QUANTITY), Some(-1), &[Some("waste"), Some("adjustment")]))
        .build()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockChangeView {
    pub product_id: Uuid,
    pub sku: String,
    /// The level after the change.
    pub on_hand: i64,
    pub low_stock: bool,
    pub movement: MovementView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub on_hand: i64,
    pub reorder_threshold: i64,
    pub reorder_quantity: Option<i64>,
    pub low_stock: bool,
    pub retail: bool,
    pub active: bool,
}

impl From<products::Model> for LevelView {
    fn from(p: products::Model) -> Self {
        LevelView {
            low_stock: p.on_hand <= p.reorder_threshold,
            product_id: p.id,
            sku: p.sku,
            name: p.name,
            on_hand: p.on_hand,
            reorder_threshold: p.reorder_threshold,
            reorder_quantity: p.reorder_quantity,
            retail: p.retail,
            active: p.active,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelListQuery {
    /// Only products at or below (`true`) or above (`false`) their reorder threshold.
    #[garde(skip)]
    pub low_stock: Option<bool>,
    /// Default `true`; `false` lists deactivated products.
    #[garde(skip)]
    pub active: Option<bool>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementListQuery {
    #[garde(skip)]
    #[param(value_type = Option<Reason>)]
    pub reason: Option<Reason>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The level reached the reorder threshold.
    LowStock,
    /// A completed booking needed more than was in stock.
    Discrepancy,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LowStock => "low_stock",
            Self::Discrepancy => "discrepancy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Closed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    #[schema(value_type = AlertKind)]
    pub kind: String,
    /// `open` until someone acknowledges it; a low-stock alert closes itself when stock rises
    /// above the threshold again.
    #[schema(value_type = AlertStatus)]
    pub status: String,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    /// The level when the alert opened.
    pub on_hand: i64,
    pub threshold: i64,
    /// Discrepancies: how many units the service needed beyond what was in stock.
    pub shortfall: Option<i64>,
    /// Discrepancies: the completed booking.
    pub booking_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl AlertView {
    pub fn new(a: stock_alerts::Model, product: &products::Model) -> Self {
        AlertView {
            id: a.id,
            kind: a.kind,
            status: a.status,
            product_id: a.product_id,
            sku: product.sku.clone(),
            name: product.name.clone(),
            on_hand: a.on_hand,
            threshold: a.threshold,
            shortfall: a.shortfall,
            booking_id: a.booking_id,
            opened_at: a.opened_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            closed_at: a.closed_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertListQuery {
    #[garde(skip)]
    #[param(value_type = Option<AlertStatus>)]
    pub status: Option<AlertStatus>,
    #[garde(skip)]
    #[param(value_type = Option<AlertKind>)]
    pub kind: Option<AlertKind>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// What one performance of a service uses.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipeRequest {
    /// Up to 50 products, each once; an empty list removes them all.
    #[garde(length(max = 50), dive)]
    #[schema(max_items = 50)]
    pub items: Vec<RecipeItem>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipeItem {
    #[garde(skip)]
    pub product_id: Uuid,
    /// 1 to 1,000,000 units (a unit is what the product counts: a tube, a millilitre, ...).
    #[garde(range(min = 1, max = MAX_QUANTITY))]
    #[schema(minimum = 1, maximum = 1000000, example = 1)]
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipeView {
    pub service_id: Uuid,
    pub items: Vec<RecipeItemView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipeItemView {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    /// The product's level now.
    pub on_hand: i64,
}
