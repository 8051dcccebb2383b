//! Retail sale inputs and views.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalog::model::MAX_PRICE_CENTS;
use crate::entity::{sale_lines, sale_returns, sales};
use crate::inventory::model::sku_chars;

/// Lines in one sale or return: a basket, not a warehouse transfer.
pub const MAX_LINES: usize = 200;
/// Units of one product in one line.
pub const MAX_LINE_QUANTITY: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    CardTerminal,
    Stripe,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::CardTerminal => "card_terminal",
            Self::Stripe => "stripe",
        }
    }
}

/// How a retail sale is paid at the desk (paying one online is not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeskMethod {
    Cash,
    CardTerminal,
}

impl From<DeskMethod> for PaymentMethod {
    fn from(m: DeskMethod) -> Self {
        match m {
            DeskMethod::Cash => PaymentMethod::Cash,
            DeskMethod::CardTerminal => PaymentMethod::CardTerminal,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSaleRequest {
    /// The client buying; omitted for a walk-in.
    #[garde(skip)]
    pub client_id: Option<Uuid>,
    /// 1 to 200 lines. The same SKU may appear on several lines.
    #[garde(length(min = 1, max = MAX_LINES), dive)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<SaleLineRequest>,
    /// Paid at the desk now (cash or card terminal); omitted: the sale is unpaid.
    #[garde(dive)]
    pub payment: Option<PaymentRequest>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleLineRequest {
    #[garde(length(min = 1, max = 64), custom(sku_chars))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$", example = "SHMP-250")]
    pub sku: String,
    /// 1 to 10,000.
    #[garde(range(min = 1, max = MAX_LINE_QUANTITY))]
    #[schema(minimum = 1, maximum = 10000, example = 1)]
    pub quantity: i64,
    /// Default: the product's price. 0 to 100,000,000.
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub unit_price_cents: Option<i64>,
    /// Off the whole line (not per unit); at most the line's amount.
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub discount_cents: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// `cash` or `card_terminal` (recorded by staff).
    #[garde(skip)]
    pub method: DeskMethod,
    /// Default: the whole total; at most the total (the rest stays as balance).
    #[garde(inner(range(min = 0, max = 100_000_000_000_000i64)))]
    #[schema(minimum = 0, maximum = 100000000000000i64)]
    pub amount_cents: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SaleLineView {
    pub id: Uuid,
    /// 1, 2, ... in the order of the request.
    pub line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub discount_cents: i64,
    /// The rate applied, in basis points.
    pub tax_rate_bp: i32,
    /// The tax in this line (included in or added to its amount, per `prices_include_tax`).
    pub tax_cents: i64,
    /// What the client pays for this line.
    pub total_cents: i64,
    /// How many of it came back.
    pub returned_quantity: i64,
}

impl From<sale_lines::Model> for SaleLineView {
    fn from(l: sale_lines::Model) -> Self {
        SaleLineView {
            id: l.id,
            line_no: l.line_no,
            product_id: l.product_id,
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price_cents: l.unit_price_cents,
            discount_cents: l.discount_cents,
            tax_rate_bp: l.tax_rate_bp,
            tax_cents: l.tax_cents,
            total_cents: l.total_cents,
            returned_quantity: l.returned_quantity,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnLineView {
    pub sale_line_id: Uuid,
    pub sku: String,
    pub quantity: i64,
    pub refund_cents: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnView {
    pub id: Uuid,
    pub refund_cents: i64,
    pub reason: Option<String>,
    pub lines: Vec<ReturnLineView>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl ReturnView {
    pub fn new(r: sale_returns::Model, lines: Vec<ReturnLineView>) -> Self {
        ReturnView {
            id: r.id,
            refund_cents: r.refund_cents,
            reason: r.reason,
            lines,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A sale with its lines and totals. All amounts are integers in the smallest unit of
/// `currency`; tax is computed per line and rounded half away from zero.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SaleView {
    pub id: Uuid,
    /// `null` for a walk-in.
    pub client_id: Option<Uuid>,
    #[schema(example = "EUR")]
    pub currency: String,
    pub lines: Vec<SaleLineView>,
    /// The lines' amounts before discounts.
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
    /// What the client pays.
    pub total_cents: i64,
    pub paid_cents: i64,
    /// `total_cents - paid_cents`.
    pub balance_cents: i64,
    #[schema(value_type = Option<PaymentMethod>)]
    pub payment_method: Option<String>,
    /// Given back for returns.
    pub refunded_cents: i64,
    pub returns: Vec<ReturnView>,
    /// The sale's invoice (`GET /api/v2/invoices/{id}`).
    pub invoice_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl SaleView {
    pub fn new(
        s: sales::Model,
        currency: String,
        lines: Vec<SaleLineView>,
        returns: Vec<ReturnView>,
    ) -> Self {
        SaleView {
            id: s.id,
            client_id: s.client_id,
            currency,
            lines,
            subtotal_cents: s.subtotal_cents,
            discount_cents: s.discount_cents,
            tax_cents: s.tax_cents,
            total_cents: s.total_cents,
            paid_cents: s.paid_cents,
            balance_cents: s.total_cents - s.paid_cents,
            payment_method: s.payment_method,
            refunded_cents: s.refunded_cents,
            returns,
            invoice_id: None,
            created_by: s.created_by,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// 1 to 200 lines: which SKUs of the sale come back, and how many.
    #[garde(length(min = 1, max = MAX_LINES), dive)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<ReturnLineRequest>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineRequest {
    #[garde(length(min = 1, max = 64), custom(sku_chars))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")]
    pub sku: String,
    /// 1 to 10,000.
    #[garde(range(min = 1, max = MAX_LINE_QUANTITY))]
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SaleListQuery {
    /// Staff and admins: one client's purchases. (Clients always see their own.)
    #[garde(skip)]
    pub client_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}
