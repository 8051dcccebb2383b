//! Invoice views and queries.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::{invoice_lines, invoices};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Service,
    Product,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    pub line_no: i32,
    pub kind: LineKind,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    /// Off the whole line.
    pub discount_cents: i64,
    pub tax_rate_bp: i32,
    /// The tax in (prices including tax) or on top of this line, rounded half away from zero
    /// per line.
    pub tax_cents: i64,
    pub total_cents: i64,
}

impl From<invoice_lines::Model> for InvoiceLineView {
    fn from(l: invoice_lines::Model) -> Self {
        Self {
            line_no: l.line_no,
            kind: if l.kind == "service" { LineKind::Service } else { LineKind::Product },
            description: l.description,
            quantity: l.quantity,
            unit_price_cents: l.unit_price_cents,
            discount_cents: l.discount_cents,
            tax_rate_bp: l.tax_rate_bp,
            tax_cents: l.tax_cents,
            total_cents: l.total_cents,
        }
    }
}

/// An invoice: numbered without gaps per year, itemized, with what was paid against it (a
/// booking's deposit counts) and the balance. Amounts in the smallest unit of `currency`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: Uuid,
    /// `2026-000123`: the year, then its sequence with no gaps.
    #[schema(example = "2026-000123")]
    pub number: String,
    pub booking_id: Option<Uuid>,
    pub sale_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub currency: String,
    pub lines: Vec<InvoiceLineView>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    /// What the goods returned from the invoice's sale were worth (0 for a booking's).
    pub returned_cents: i64,
    /// Captured minus refunded, over the payments of this invoice and its booking's deposit.
    pub paid_cents: i64,
    /// `total_cents - returned_cents - paid_cents`; negative when more was paid than is due.
    pub balance_cents: i64,
    pub created_at: DateTime<Utc>,
}

impl InvoiceView {
    pub fn new(
        i: invoices::Model,
        lines: Vec<invoice_lines::Model>,
        returned_cents: i64,
        paid_cents: i64,
    ) -> Self {
        Self {
            id: i.id,
            number: i.number,
            booking_id: i.booking_id,
            sale_id: i.sale_id,
            client_id: i.client_id,
            currency: i.currency,
            lines: lines.into_iter().map(Into::into).collect(),
            subtotal_cents: i.subtotal_cents,
            discount_cents: i.discount_cents,
            tax_cents: i.tax_cents,
            total_cents: i.total_cents,
            returned_cents,
            paid_cents,
            balance_cents: i.total_cents - returned_cents - paid_cents,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, serde::Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceListQuery {
    #[garde(skip)]
    pub booking_id: Option<Uuid>,
    #[garde(skip)]
    pub sale_id: Option<Uuid>,
    /// Staff and admins: one client's invoices.
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

/// An invoice's receipt as a PDF (A4).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/pdf")]
pub struct PdfDocument(pub Vec<u8>);
