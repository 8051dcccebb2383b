//! Payment and refund requests and views.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::{payments, refunds};
use crate::sales::model::PaymentMethod;

const MAX_CENTS: i64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the gateway (a Stripe PaymentIntent the client has not paid yet).
    Pending,
    Succeeded,
    /// The gateway refused or did not answer when the payment was started; nothing was
    /// charged. A new request starts a new payment.
    Failed,
    /// Abandoned: the deposit hold ended, or the deposit was paid another way.
    Cancelled,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::Cancelled].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A booking's deposit.
    Deposit,
    /// (Part of) an invoice.
    Invoice,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Invoice => "invoice",
        }
    }
}

pub fn method(s: &str) -> PaymentMethod {
    match s {
        "cash" => PaymentMethod::Cash,
        "card_terminal" => PaymentMethod::CardTerminal,
        _ => PaymentMethod::Stripe,
    }
}

/// A payment: money in, by Stripe or at the desk.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub kind: PaymentKind,
    pub booking_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    /// In the smallest unit of `currency`.
    pub amount_cents: i64,
    pub currency: String,
    pub captured_cents: i64,
    pub refunded_cents: i64,
    /// For Stripe while `pending`: what the client's browser confirms the payment with
    /// (Stripe.js); no card data ever reaches this server.
    pub client_secret: Option<String>,
    /// The gateway's last word when a payment failed or a card was declined.
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub captured_at: Option<DateTime<Utc>>,
}

impl From<payments::Model> for PaymentView {
    fn from(p: payments::Model) -> Self {
        let status = PaymentStatus::parse(&p.status).unwrap_or(PaymentStatus::Failed);
        Self {
            id: p.id,
            kind: if p.kind == "deposit" { PaymentKind::Deposit } else { PaymentKind::Invoice },
            booking_id: p.booking_id,
            invoice_id: p.invoice_id,
            client_id: p.client_id,
            method: method(&p.method),
            status,
            amount_cents: p.amount_cents,
            currency: p.currency,
            captured_cents: p.captured_cents,
            refunded_cents: p.refunded_cents,
            client_secret: p.client_secret.filter(|_| status == PaymentStatus::Pending),
            failure_code: p.failure_code,
            failure_message: p.failure_message,
            created_at: p.created_at,
            updated_at: p.updated_at,
            captured_at: p.captured_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    #[garde(skip)]
    pub booking_id: Uuid,
    /// Default `stripe`. `cash` and `card_terminal` (staff and admins) record a deposit taken
    /// at the desk: it is captured, and the booking confirmed, at once.
    #[garde(skip)]
    pub method: Option<PaymentMethod>,
}

/// What a client needs to pay a deposit.
/// A payment of (part of) an invoice.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicePaymentRequest {
    #[garde(skip)]
    pub invoice_id: Uuid,
    /// `cash` or `card_terminal` at the desk (staff, admins), `stripe` online.
    #[garde(skip)]
    pub method: PaymentMethod,
    /// What to pay, at most the balance due; the whole balance when left out.
    #[garde(inner(range(min = 1, max = MAX_CENTS)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount_cents: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepositView {
    pub payment_id: Uuid,
    pub booking_id: Uuid,
    pub method: PaymentMethod,
    pub amount_cents: i64,
    pub currency: String,
    pub status: PaymentStatus,
    /// Stripe only, while pending: confirm the PaymentIntent with it in the browser.
    pub client_secret: Option<String>,
}

impl From<payments::Model> for DepositView {
    fn from(p: payments::Model) -> Self {
        let view = PaymentView::from(p);
        Self {
            payment_id: view.id,
            booking_id: view.booking_id.unwrap_or_default(),
            method: view.method,
            amount_cents: view.amount_cents,
            currency: view.currency,
            status: view.status,
            client_secret: view.client_secret,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    #[garde(skip)]
    pub payment_id: Uuid,
    /// Default: everything not yet refunded. 1 to 100,000,000.
    #[garde(inner(range(min = 1, max = MAX_CENTS)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount_cents: Option<i64>,
    #[garde(length(chars, min = 1, max = 500), custom(crate::model::not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500, example = "client unhappy with the colour")]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Reserved against the capture; the gateway has not confirmed it yet.
    Pending,
    Succeeded,
    Failed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_cents: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub failure_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<refunds::Model> for RefundView {
    fn from(r: refunds::Model) -> Self {
        Self {
            id: r.id,
            payment_id: r.payment_id,
            amount_cents: r.amount_cents,
            reason: r.reason,
            status: match r.status.as_str() {
                "succeeded" => RefundStatus::Succeeded,
                "failed" => RefundStatus::Failed,
                _ => RefundStatus::Pending,
            },
            failure_message: r.failure_message,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentListQuery {
    #[garde(skip)]
    pub booking_id: Option<Uuid>,
    #[garde(skip)]
    pub invoice_id: Option<Uuid>,
    #[garde(skip)]
    pub status: Option<PaymentStatus>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// What the webhook endpoint answers (Stripe only reads the status).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// `true` when this event id was seen before and not applied again.
    pub duplicate: bool,
}
