use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::model::{
    DepositRequest, DepositView, InvoicePaymentRequest, PaymentListQuery, PaymentView, RefundRequest,
    RefundView, WebhookAck,
};
use super::service;
use crate::auth::{AnyRole, RequireRole, StaffOrAdmin};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

type JsonResult<T> = ApiResult<axum::Json<T>>;

/// Start paying a booking's deposit. With `stripe` (the default) this creates a PaymentIntent
/// and returns its `client_secret` for Stripe.js; the payment is captured, and the booking
/// confirmed, when Stripe's webhook reports it paid. Asking again while it is pending returns
/// the same payment. Staff and admins record a deposit taken at the desk with `cash` or
/// `card_terminal`: captured and confirmed at once. An unpaid deposit's hold ends after the
/// setting `deposit_hold_minutes`, and the booking is then cancelled (`deposit-expired`).
/// Roles: the booking's client (stripe), staff, admin.
#[utoipa::path(post, path = "/api/v2/payments/deposit", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = DepositRequest,
    responses(
        (status = 201, description = "The deposit payment, new", body = DepositView),
        (status = 200, description = "The deposit payment already in progress", body = DepositView),
        (status = 402, description = "`payment-declined`: the gateway declined; the booking is still pending", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-deposit-due`, `deposit-paid` or `deposit-pending`", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`gateway-error`: the gateway did not answer or refused; the payment is `failed`, the booking still pending", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn deposit(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Json(req): Json<DepositRequest>,
) -> ApiResult<(StatusCode, axum::Json<DepositView>)> {
    let (created, view) = service::deposit(&state, &caller, req).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(view)))
}

/// Settle (part of) an invoice. Staff and admins record `cash` or `card_terminal` taken at
/// the desk: captured at once, never more than the balance due (two payments racing for the
/// last of it give one 201 and one 409 `exceeds-balance`). With `stripe` this creates a
/// PaymentIntent and returns its `client_secret` for Stripe.js; Stripe's webhook captures it.
/// Asking again for the same amount while it is open returns it (200); a desk payment or
/// another amount withdraws it first. `amount_cents` defaults to the whole balance.
/// Roles: staff, admin; the invoice's client with `stripe`.
#[utoipa::path(post, path = "/api/v2/payments", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = InvoicePaymentRequest,
    responses(
        (status = 201, description = "The payment, new: `succeeded` at the desk, `pending` with a `client_secret` online", body = PaymentView),
        (status = 200, description = "The online payment of this amount already open", body = PaymentView),
        (status = 402, description = "`payment-declined`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invoice-settled` (nothing is due), `exceeds-balance`, `payment-captured` (an online payment was captured meanwhile), `payment-withdrawn` (withdrawn while Stripe created it: ask again) or `payment-pending`", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`gateway-error`: the payment is `failed`, nothing was charged", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn pay_invoice(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Json(req): Json<InvoicePaymentRequest>,
) -> ApiResult<(StatusCode, axum::Json<PaymentView>)> {
    let (created, view) = service::pay_invoice(&state, &caller, req).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(view)))
}

/// Payments, newest first; filter by booking, invoice or status. Roles: staff and admin (all),
/// client (their own).
#[utoipa::path(get, path = "/api/v2/payments", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(PaymentListQuery),
    responses((status = 200, description = "A page of payments", body = Page<PaymentView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_payments(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<PaymentListQuery>,
) -> JsonResult<Page<PaymentView>> {
    Ok(axum::Json(service::list(&state.db, &caller, q).await?))
}

/// One payment. Roles: staff, admin, and the client it belongs to (another client's is a 404).
#[utoipa::path(get, path = "/api/v2/payments/{id}", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Payment id")),
    responses(
        (status = 200, description = "The payment", body = PaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(payment_id = %id))]
pub async fn get_payment(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
) -> JsonResult<PaymentView> {
    Ok(axum::Json(service::get(&state.db, &caller, id).await?))
}

/// A payment's refunds, oldest first. Roles: staff, admin, and the payment's client.
#[utoipa::path(get, path = "/api/v2/payments/{id}/refunds", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Payment id")),
    responses(
        (status = 200, description = "The refunds", body = Vec<RefundView>),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(payment_id = %id))]
pub async fn list_refunds(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
) -> JsonResult<Vec<RefundView>> {
    Ok(axum::Json(service::refunds_of(&state.db, &caller, id).await?))
}

/// Refund (part of) a captured payment: everything not yet refunded without `amount_cents`.
/// Refunds of one payment never total more than its capture, also when requests race (the
/// others get 409 `refund-exceeds-captured`). Stripe payments are refunded through Stripe
/// (admins); desk payments are recorded as handed back (staff, admins).
#[utoipa::path(post, path = "/api/v2/payments/refund", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund", body = RefundView),
        (status = 402, description = "`payment-declined`: the gateway refused the refund; nothing was refunded", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`refund-exceeds-captured` or `not-captured`", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`gateway-error`: nothing was refunded", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn refund(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<StaffOrAdmin>,
    Json(req): Json<RefundRequest>,
) -> ApiResult<(StatusCode, axum::Json<RefundView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::refund(&state, &caller, req).await?)))
}

/// Stripe's webhook. The `Stripe-Signature` header must carry an HMAC-SHA256 of
/// `timestamp.body` under `STRIPE_WEBHOOK_SECRET`, at most 5 minutes old; anything else is a
/// 400 and changes nothing. An event id seen before is acknowledged and not applied again.
/// Handled: `payment_intent.succeeded` (capture; a deposit confirms its booking),
/// `payment_intent.payment_failed` (the decline is recorded; the client may retry),
/// `charge.refunded` (our refunds confirmed, one made in the dashboard recorded), and a
/// refund's later fate: `charge.refund.updated`, `refund.updated`, `refund.failed` (a pending
/// refund settles; a failed one is marked `failed` and its amount given back to the payment).
/// Others, and events for unknown payments, are acknowledged. Public
/// (the signature is the authentication).
#[utoipa::path(post, path = "/api/v2/payments/webhooks/stripe", tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256>`")),
    request_body(content = Object, description = "A Stripe event", content_type = "application/json"),
    responses(
        (status = 200, description = "Received", body = WebhookAck),
        (status = 400, description = "`invalid-signature`, or not an event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Stripe webhooks are off: `STRIPE_WEBHOOK_SECRET` is not set", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult<WebhookAck> {
    let Some(secret) = state.config.stripe.webhook_secret.as_deref() else {
        return Err(ApiError::NotFound("stripe webhook endpoint (STRIPE_WEBHOOK_SECRET is not set)"));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(e) = super::webhook::verify(header, &body, secret, chrono::Utc::now().timestamp()) {
        tracing::warn!(reason = e.message(), "stripe webhook refused");
        return Err(ApiError::InvalidSignature(e.message()));
    }
    let event: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::BadRequest("the body is not a JSON event".into()))?;
    let duplicate = service::apply_event(&state, &event).await?;
    Ok(axum::Json(WebhookAck { received: true, duplicate }))
}
