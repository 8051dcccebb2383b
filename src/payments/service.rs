//! Payment rules: deposits that hold a slot until paid, captures that confirm the booking in
//! the same transaction, refunds reserved against the capture before the gateway is asked, the
//! end of an unpaid hold, and Stripe's webhooks (each event applied once).
//!
//! A payment row is written (`pending`) before the gateway is called, and the gateway call
//! carries an idempotency key derived from that row's id: a retry never charges twice, and a
//! capture the gateway reports always finds its row (by the intent id, or by the payment id in
//! the intent's metadata).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
    Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::gateway::{GatewayError, Intent, Stripe};
use super::model::{
    DepositRequest, DepositView, InvoicePaymentRequest, PaymentKind, PaymentListQuery, PaymentStatus,
    PaymentView, RefundRequest, RefundView,
};
use crate::auth::{Channel, CurrentUser, Role};
use crate::booking::model::BookingStatus;
use crate::booking::service::{StatusChange, apply_status};
use crate::config::JobsConfig;
use crate::entity::{bookings, payments, refunds};
use crate::error::{ApiError, ApiResult};
use crate::jobs::store::{NewJob, numbered};
use crate::jobs::worker::JobError;
use crate::pagination::{Page, Window, fetch};
use crate::sales::model::PaymentMethod;
use crate::state::AppState;

/// The job that ends an unpaid deposit's hold.
pub const HOLD_EXPIRY_JOB: &str = "payments.deposit_expiry";
/// The job that sends a reserved refund to Stripe (a sale return's share of an online payment).
pub const REFUND_JOB: &str = "payments.refund";
/// The job that refunds a cancelled booking's deposit.
pub const DEPOSIT_REFUND_JOB: &str = "payments.deposit_refund";
/// The reason recorded when a hold ends unpaid.
pub const DEPOSIT_EXPIRED: &str = "deposit-expired";

pub fn hold_expiry_job(booking_id: Uuid, at: DateTime<Utc>, max_attempts: i32) -> NewJob {
    NewJob {
        kind: HOLD_EXPIRY_JOB,
        payload: json!({"booking_id": booking_id}),
        dedupe_key: Some(format!("deposit-expiry:{booking_id}")),
        ref_id: Some(booking_id),
        run_at: at,
        max_attempts,
    }
}

pub fn deposit_refund_job(booking_id: Uuid, now: DateTime<Utc>, max_attempts: i32) -> NewJob {
    NewJob {
        kind: DEPOSIT_REFUND_JOB,
        payload: json!({"booking_id": booking_id}),
        dedupe_key: Some(format!("deposit-refund:{booking_id}")),
        ref_id: Some(booking_id),
        run_at: now,
        max_attempts,
    }
}

fn stripe(state: &AppState) -> ApiResult<&Stripe> {
    state.stripe.as_deref().ok_or_else(|| {
        ApiError::field("method", "stripe is not configured on this server; use cash or card_terminal")
    })
}

fn gateway_error(e: &GatewayError) -> ApiError {
    match e {
        GatewayError::Declined { message, .. } => ApiError::PaymentDeclined { detail: message.clone() },
        GatewayError::Unavailable(_) => ApiError::Gateway {
            detail: "the payment gateway did not answer; nothing was charged, try again".into(),
        },
        GatewayError::Rejected { .. } => ApiError::Gateway {
            detail: "the payment gateway refused the request; nothing was charged".into(),
        },
    }
}

/// The live (pending or paid) deposit of a booking.
async fn live_deposit<C: ConnectionTrait>(
    db: &C,
    booking_id: Uuid,
) -> Result<Option<payments::Model>, DbErr> {
    payments::Entity::find()
        .filter(payments::Column::BookingId.eq(booking_id))
        .filter(payments::Column::Kind.eq("deposit"))
        .filter(payments::Column::Status.is_in(["pending", "succeeded"]))
        .one(db)
        .await
}

/// The payments a caller may see: clients their own.
fn visible(caller: &CurrentUser, query: Select<payments::Entity>) -> Select<payments::Entity> {
    match caller.role {
        Role::Client => query.filter(payments::Column::ClientId.eq(caller.id)),
        _ => query,
    }
}

async fn find_booking(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<bookings::Model> {
    let booking = bookings::Entity::find_by_id(id).one(db).await?;
    match booking {
        Some(b) if caller.role != Role::Client || b.client_id == caller.id => Ok(b),
        _ => Err(ApiError::field("booking_id", "no such booking")),
    }
}

/// Starts (or returns) a booking's deposit. Stripe: a PaymentIntent, whose client secret the
/// client's browser confirms; the webhook captures it. At the desk (staff, admins): captured,
/// and the booking confirmed, at once.
///
/// # Errors
/// 422 for an unknown booking (also another client's) or an unavailable method; 403 for a
/// client recording a desk payment; 409 `no-deposit-due` when the booking requires none or is
/// no longer pending, `deposit-paid` when it is paid; 402 `payment-declined`; 502
/// `gateway-error` (the payment is then `failed` and the booking still pending).
pub async fn deposit(
    state: &AppState,
    caller: &CurrentUser,
    req: DepositRequest,
) -> ApiResult<(bool, DepositView)> {
    let db = &state.db;
    let method = req.method.unwrap_or(PaymentMethod::Stripe);
    if caller.is(Role::Client) && method != PaymentMethod::Stripe {
        return Err(ApiError::Forbidden("clients pay deposits online; desk payments are recorded by staff"));
    }
    let booking = find_booking(db, caller, req.booking_id).await?;
    let Some(amount) = booking.deposit_cents else {
        return Err(ApiError::conflict("no-deposit-due", "this booking requires no deposit"));
    };
    let existing = live_deposit(db, booking.id).await?;
    if let Some(p) = &existing
        && p.status == "succeeded"
    {
        return Err(ApiError::conflict("deposit-paid", "this booking's deposit is paid"));
    }
    if booking.status != BookingStatus::Pending.as_str() {
        return Err(ApiError::conflict("no-deposit-due", format!("the booking is {}", booking.status)));
    }
    let stripe_client = if method == PaymentMethod::Stripe { Some(stripe(state)?) } else { None };
    let currency = crate::settings::store::get(db).await?.currency;
    let now = Utc::now();

    if let Some(stripe_client) = stripe_client {
        // One live deposit per booking: a second request gets the first one's client secret.
        if let Some(p) = existing {
            if p.method == "stripe" && p.client_secret.is_some() {
                return Ok((false, p.into()));
            }
            return Err(ApiError::conflict("deposit-pending", "a payment of this deposit is in progress"));
        }
        let row = new_payment(PaymentKind::Deposit, &booking, method, amount, &currency, caller.id, now);
        match insert_payment(db, row.clone()).await {
            Ok(()) => {}
            Err(e) if is_unique(&e) => {
                let p =
                    live_deposit(db, booking.id).await?.ok_or_else(|| anyhow::anyhow!("deposit vanished"))?;
                return Ok((false, p.into()));
            }
            Err(e) => return Err(e.into()),
        }
        let description = format!("Deposit for booking {}", booking.id);
        let metadata = [("booking_id", booking.id.to_string()), ("kind", "deposit".to_owned())];
        return match stripe_client.create_intent(row.id, amount, &currency, &description, &metadata).await {
            Ok(intent) => {
                let p = set_intent(db, row.id, &intent).await?;
                Ok((true, p.into()))
            }
            Err(e) => {
                mark_failed(db, row.id, &e).await?;
                Err(gateway_error(&e))
            }
        };
    }

    // At the desk. A Stripe payment still open is cancelled first, so the deposit is not paid
    // twice; if Stripe says it has been paid meanwhile, that capture wins.
    if let Some(p) = existing
        && withdraw(state, &p).await?
    {
        return Err(ApiError::conflict("deposit-paid", "this booking's deposit was just paid online"));
    }
    let mut row = new_payment(PaymentKind::Deposit, &booking, method, amount, &currency, caller.id, now);
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    if let Err(e) =
        payments::Entity::insert(payments::ActiveModel::from(row.clone())).exec_without_returning(&txn).await
    {
        txn.rollback().await?;
        if is_unique(&e) {
            return Err(ApiError::conflict("deposit-pending", "a payment of this deposit is in progress"));
        }
        return Err(e.into());
    }
    let applied = apply_capture(&txn, &state.jobs.config, &row, amount, caller.id, now).await?;
    txn.commit().await?;
    drop(_writer);
    state.jobs.wake();
    if applied {
        row.status = "succeeded".into();
        row.captured_cents = amount;
        row.captured_at = Some(now);
    }
    Ok((true, row.into()))
}

/// Gives `amount` of an invoice's payments back, in `txn` (a sale return's): desk payments
/// first (the money is handed back at the desk: recorded `succeeded`), then online ones
/// (reserved `pending`, and sent to Stripe by a job after the commit), newest first within
/// each, and never more than a payment captured and still holds. Returns how much was
/// refunded or reserved: less than `amount` when less was paid (the rest was never taken).
///
/// # Errors
/// Database failures.
#[allow(clippy::too_many_arguments)]
pub async fn refund_invoice<C: ConnectionTrait>(
    txn: &C,
    invoice_id: Uuid,
    amount: i64,
    reason: &str,
    actor: Uuid,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<i64, DbErr> {
    let mut paid = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(invoice_id))
        .filter(payments::Column::Status.eq("succeeded"))
        .order_by_desc(payments::Column::CreatedAt)
        .all(txn)
        .await?;
    // Desk payments first; the sort is stable, so newest first within each.
    paid.sort_by_key(|p| p.method == "stripe");
    let backend = txn.get_database_backend();
    let mut left = amount;
    for p in paid {
        let k = Ord::min(left, p.captured_cents - p.refunded_cents);
        if k <= 0 {
            continue;
        }
        let sql = "UPDATE payments SET refunded_cents = refunded_cents + $1, updated_at = $2 \
                   WHERE id = $3 AND status = 'succeeded' AND refunded_cents + $1 <= captured_cents";
        let stmt = Statement::from_sql_and_values(
            backend,
            numbered(backend, sql),
            [k.into(), now.into(), p.id.into()],
        );
        if txn.execute_raw(stmt).await?.rows_affected() != 1 {
            continue; // refunded meanwhile by someone else
        }
        let online = p.method == "stripe";
        let row = refunds::Model {
            id: Uuid::now_v7(),
            payment_id: p.id,
            amount_cents: k,
            reason: reason.to_owned(),
            status: if online { "pending" } else { "succeeded" }.into(),
            gateway_ref: None,
            failure_message: None,
            created_by: Some(actor),
            created_at: now,
            updated_at: now,
        };
        refunds::Entity::insert(refunds::ActiveModel::from(row.clone())).exec_without_returning(txn).await?;
        if online {
            crate::jobs::store::enqueue(txn, &[refund_job(&row, max_attempts)]).await?;
        }
        left -= k;
        if left == 0 {
            break;
        }
    }
    Ok(amount - left)
}

/// Runs a `payments.refund` job: sends a reserved refund to Stripe (retried while Stripe does
/// not answer, under the same idempotency key). A refund Stripe refuses
/// is recorded `failed` and its amount given back to the payment (an admin can refund again),
/// and the job ends `dead` with the gateway's reason, so it shows among the failed jobs.
///
/// # Errors
/// `Permanent` for a malformed payload or a refused refund.
pub async fn send_refund(state: &AppState, job: &crate::jobs::store::Claimed) -> Result<(), JobError> {
    let db = &state.db;
    let id = serde_json::from_str::<Value>(&job.payload)
        .ok()
        .and_then(|v| v.get("refund_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()))
        .ok_or_else(|| JobError::Permanent("payload: no refund_id".into()))?;
    let Some(row) = refunds::Entity::find_by_id(id).one(db).await? else {
        return Err(JobError::Permanent("the refund no longer exists".into()));
    };
    if row.status != "pending" || row.gateway_ref.is_some() {
        return Ok(());
    }
    let p = payments::Entity::find_by_id(row.payment_id)
        .one(db)
        .await?
        .ok_or_else(|| JobError::Permanent("the payment no longer exists".into()))?;
    match finish_refund(state, &p, row).await {
        Ok(_) => Ok(()),
        Err(e @ ApiError::Unavailable(_)) => Err(JobError::Retry(e.to_string())),
        Err(e) => Err(JobError::Permanent(e.to_string())),
    }
}

/// The online payments of an invoice still open.
fn open_intents(invoice_id: Uuid) -> Select<payments::Entity> {
    payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(invoice_id))
        .filter(payments::Column::Method.eq("stripe"))
        .filter(payments::Column::Status.eq("pending"))
}

/// Withdraws each of `open`; a 409 `payment-captured` when one turns out paid meanwhile.
async fn withdraw_all(state: &AppState, open: &[payments::Model]) -> ApiResult<()> {
    for p in open {
        if withdraw(state, p).await? {
            return Err(ApiError::conflict(
                "payment-captured",
                "an online payment of this invoice was just captured; read the invoice again",
            ));
        }
    }
    Ok(())
}

/// Withdraws an open online payment before money is taken another way: its intent is
/// cancelled at Stripe and the row marked `cancelled`. Returns `true` when Stripe says it was
/// paid meanwhile: then that capture is recorded instead, and nothing is cancelled.
///
/// # Errors
/// The gateway's errors (402/502), database failures.
async fn withdraw(state: &AppState, p: &payments::Model) -> ApiResult<bool> {
    if let (Some(client), Some(intent_id)) = (state.stripe.as_deref(), p.gateway_ref.as_deref()) {
        match client.cancel_intent(intent_id, p.id).await {
            Ok(_) => {}
            Err(GatewayError::Rejected { .. }) => {
                let intent = client.retrieve_intent(intent_id).await.map_err(|e| gateway_error(&e))?;
                if intent.status == "succeeded" {
                    capture(state, p, intent.amount_received, None).await?;
                    return Ok(true);
                }
            }
            Err(e) => return Err(gateway_error(&e)),
        }
    }
    let _writer = crate::db::sqlite_writer(&state.db).await;
    set_status(&state.db, p.id, &["pending", "failed"], PaymentStatus::Cancelled).await?;
    Ok(false)
}

fn new_payment(
    kind: PaymentKind,
    booking: &bookings::Model,
    method: PaymentMethod,
    amount: i64,
    currency: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> payments::Model {
    payments::Model {
        id: Uuid::now_v7(),
        kind: kind.as_str().into(),
        booking_id: Some(booking.id),
        invoice_id: None,
        client_id: Some(booking.client_id),
        method: method.as_str().into(),
        status: "pending".into(),
        amount_cents: amount,
        currency: currency.to_owned(),
        captured_cents: 0,
        refunded_cents: 0,
        gateway_ref: None,
        client_secret: None,
        failure_code: None,
        failure_message: None,
        created_by: Some(actor),
        created_at: now,
        updated_at: now,
        captured_at: None,
    }
}

/// A payment taken at the desk against an invoice (a retail sale's), captured at once, in `txn`.
///
/// # Errors
/// Database failures.
#[allow(clippy::too_many_arguments)]
pub async fn record_desk_payment<C: ConnectionTrait>(
    txn: &C,
    invoice_id: Uuid,
    client_id: Option<Uuid>,
    method: PaymentMethod,
    amount: i64,
    currency: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<payments::Model, DbErr> {
    let row = payments::Model {
        status: "succeeded".into(),
        captured_cents: amount,
        captured_at: Some(now),
        ..invoice_payment(invoice_id, client_id, method, amount, currency, actor, now)
    };
    payments::Entity::insert(payments::ActiveModel::from(row.clone())).exec_without_returning(txn).await?;
    Ok(row)
}

/// A new (pending) payment of an invoice.
fn invoice_payment(
    invoice_id: Uuid,
    client_id: Option<Uuid>,
    method: PaymentMethod,
    amount: i64,
    currency: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> payments::Model {
    payments::Model {
        id: Uuid::now_v7(),
        kind: PaymentKind::Invoice.as_str().into(),
        booking_id: None,
        invoice_id: Some(invoice_id),
        client_id,
        method: method.as_str().into(),
        status: "pending".into(),
        amount_cents: amount,
        currency: currency.to_owned(),
        captured_cents: 0,
        refunded_cents: 0,
        gateway_ref: None,
        client_secret: None,
        failure_code: None,
        failure_message: None,
        created_by: Some(actor),
        created_at: now,
        updated_at: now,
        captured_at: None,
    }
}

/// Settles (part of) an invoice. At the desk (staff, admins: `cash`, `card_terminal`): captured
/// at once, guarded by the balance in the payment's own transaction (the invoice row is locked
/// on PostgreSQL; SQLite's single writer orders it), so two payments racing for the last of
/// a balance give one 201 and one 409. Online (`stripe`; staff, admins, or the invoice's
/// client): a PaymentIntent whose `client_secret` Stripe.js confirms; the webhook captures it.
/// Asking again for the same amount while it is open returns it; another amount, or a desk
/// payment, withdraws it first. Returns whether the payment is new.
///
/// # Errors
/// 422 for an unknown invoice (also another client's) or stripe when it is not configured; 403
/// for a client paying at the desk; 409 `invoice-settled` when nothing is due,
/// `exceeds-balance` for more than is due; 402/502 from the gateway.
pub async fn pay_invoice(
    state: &AppState,
    caller: &CurrentUser,
    req: InvoicePaymentRequest,
) -> ApiResult<(bool, PaymentView)> {
    use crate::entity::invoices;
    let db = &state.db;
    if caller.is(Role::Client) && req.method != PaymentMethod::Stripe {
        return Err(ApiError::Forbidden("clients pay online; desk payments are recorded by staff"));
    }
    let invoice = invoices::Entity::find_by_id(req.invoice_id)
        .one(db)
        .await?
        .filter(|i| !caller.is(Role::Client) || i.client_id == Some(caller.id))
        .ok_or_else(|| ApiError::field("invoice_id", "no such invoice"))?;
    let stripe_client = if req.method == PaymentMethod::Stripe { Some(stripe(state)?) } else { None };
    let due = |balance: i64| -> ApiResult<i64> {
        if balance <= 0 {
            return Err(ApiError::conflict("invoice-settled", "nothing is due on this invoice"));
        }
        match req.amount_cents {
            Some(a) if a > balance => Err(ApiError::conflict(
                "exceeds-balance",
                format!("the balance due is {balance}; pay at most that"),
            )),
            Some(a) => Ok(a),
            None => Ok(balance),
        }
    };
    let amount = due(crate::invoices::service::balance(db, &invoice).await?)?;
    // Online payments of this invoice still open.
    let open = open_intents(invoice.id).all(db).await?;
    let now = Utc::now();

    if let Some(stripe_client) = stripe_client {
        if let Some(p) = open.iter().find(|p| p.amount_cents == amount && p.client_secret.is_some()) {
            return Ok((false, p.clone().into()));
        }
        withdraw_all(state, &open).await?;
        let row = invoice_payment(
            invoice.id,
            invoice.client_id,
            req.method,
            amount,
            &invoice.currency,
            caller.id,
            now,
        );
        // One open online payment per invoice (a partial unique index): a request racing this
        // one gets the payment it opened.
        match insert_payment(db, row.clone()).await {
            Ok(()) => {}
            Err(e) if is_open_intent(&e) => {
                let open = open_intents(invoice.id).one(db).await?.ok_or_else(|| {
                    ApiError::conflict("payment-pending", "an online payment of this invoice is in progress")
                })?;
                return Ok((false, open.into()));
            }
            Err(e) => return Err(e.into()),
        }
        let description = format!("Invoice {}", invoice.number);
        let metadata = [("invoice_id", invoice.id.to_string()), ("kind", "invoice".to_owned())];
        return match stripe_client
            .create_intent(row.id, amount, &invoice.currency, &description, &metadata)
            .await
        {
            Ok(intent) => Ok((true, set_intent(db, row.id, &intent).await?.into())),
            Err(e) => {
                mark_failed(db, row.id, &e).await?;
                Err(gateway_error(&e))
            }
        };
    }

    // At the desk: what is open online is withdrawn first, so the balance is not paid twice.
    withdraw_all(state, &open).await?;
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let written = async {
        let backend = txn.get_database_backend();
        if backend == sea_orm::DbBackend::Postgres {
            let lock = "SELECT id FROM invoices WHERE id = $1 FOR UPDATE";
            txn.execute_raw(Statement::from_sql_and_values(backend, lock, [invoice.id.into()])).await?;
        }
        let balance = crate::invoices::service::balance(&txn, &invoice).await?;
        Ok::<_, DbErr>(match due(balance) {
            Ok(amount) => Ok(record_desk_payment(
                &txn,
                invoice.id,
                invoice.client_id,
                req.method,
                amount,
                &invoice.currency,
                caller.id,
                now,
            )
            .await?),
            Err(e) => Err(e),
        })
    }
    .await;
    match written {
        Ok(Ok(row)) => {
            txn.commit().await?;
            Ok((true, row.into()))
        }
        Ok(Err(refused)) => {
            txn.rollback().await?;
            Err(refused)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e.into())
        }
    }
}

fn is_open_intent(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("payments_one_open_intent")
        || text.contains("UNIQUE constraint failed: payments.invoice_id")
}

fn is_unique(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("payments_one_deposit") || text.contains("UNIQUE constraint failed: payments.booking_id")
}

async fn insert_payment(db: &DatabaseConnection, row: payments::Model) -> Result<(), DbErr> {
    let _writer = crate::db::sqlite_writer(db).await;
    payments::Entity::insert(payments::ActiveModel::from(row)).exec_without_returning(db).await.map(|_| ())
}

async fn set_intent(db: &DatabaseConnection, id: Uuid, intent: &Intent) -> ApiResult<payments::Model> {
    let _writer = crate::db::sqlite_writer(db).await;
    let set = payments::Entity::update_many()
        .col_expr(payments::Column::GatewayRef, Expr::value(intent.id.clone()))
        .col_expr(payments::Column::ClientSecret, Expr::value(intent.client_secret.clone()))
        .col_expr(payments::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payments::Column::Id.eq(id))
        .filter(payments::Column::Status.eq("pending"))
        .exec(db)
        .await?
        .rows_affected;
    drop(_writer);
    // Withdrawn while Stripe was creating it: its client secret is never handed out, so the
    // intent cannot be paid.
    if set == 0 {
        return Err(ApiError::conflict(
            "payment-withdrawn",
            "this payment was withdrawn meanwhile; ask again",
        ));
    }
    payments::Entity::find_by_id(id).one(db).await?.ok_or(ApiError::NotFound("payment"))
}

async fn mark_failed(db: &DatabaseConnection, id: Uuid, e: &GatewayError) -> Result<(), DbErr> {
    let (code, message) = match e {
        GatewayError::Declined { code, message } => (code.clone(), message.clone()),
        GatewayError::Rejected { code, message, .. } => (code.clone(), message.clone()),
        GatewayError::Unavailable(m) => (Some("gateway_unavailable".into()), m.clone()),
    };
    tracing::warn!(payment_id = %id, error = %e, "payment failed at the gateway");
    let _writer = crate::db::sqlite_writer(db).await;
    payments::Entity::update_many()
        .col_expr(payments::Column::Status, Expr::value("failed"))
        .col_expr(payments::Column::FailureCode, Expr::value(code))
        .col_expr(payments::Column::FailureMessage, Expr::value(message))
        .col_expr(payments::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payments::Column::Id.eq(id))
        .filter(payments::Column::Status.eq("pending"))
        .exec(db)
        .await
        .map(|_| ())
}

async fn set_status<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    from: &[&str],
    to: PaymentStatus,
) -> Result<u64, DbErr> {
    Ok(payments::Entity::update_many()
        .col_expr(payments::Column::Status, Expr::value(to.as_str()))
        .col_expr(payments::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payments::Column::Id.eq(id))
        .filter(payments::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}

/// Captures a payment the gateway reports as paid, in its own transaction.
async fn capture(state: &AppState, p: &payments::Model, amount: i64, actor: Option<Uuid>) -> ApiResult<bool> {
    let db = &state.db;
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let actor = actor.or(p.client_id).or(p.created_by).unwrap_or_default();
    let applied = apply_capture(&txn, &state.jobs.config, p, amount, actor, Utc::now()).await?;
    txn.commit().await?;
    drop(_writer);
    state.jobs.wake();
    Ok(applied)
}

/// Marks `p` captured (`amount`, at most the payment's) and, for a deposit, confirms its
/// pending booking, in `txn`. A deposit whose booking was cancelled meanwhile (its hold ended)
/// is refunded by a job. Returns whether this call captured it (false: it already was).
///
/// # Errors
/// Database failures.
pub async fn apply_capture<C: ConnectionTrait>(
    txn: &C,
    outbox: &JobsConfig,
    p: &payments::Model,
    amount: i64,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let amount = amount.clamp(0, p.amount_cents);
    let captured = payments::Entity::update_many()
        .col_expr(payments::Column::Status, Expr::value("succeeded"))
        .col_expr(payments::Column::CapturedCents, Expr::value(amount))
        .col_expr(payments::Column::CapturedAt, Expr::value(now))
        .col_expr(payments::Column::UpdatedAt, Expr::value(now))
        .filter(payments::Column::Id.eq(p.id))
        .filter(payments::Column::Status.is_in(["pending", "failed"]))
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !captured || p.kind != "deposit" {
        return Ok(captured);
    }
    let Some(booking_id) = p.booking_id else { return Ok(true) };
    let Some(booking) = bookings::Entity::find_by_id(booking_id).one(txn).await? else { return Ok(true) };
    let settings = crate::settings::store::get(txn).await?;
    match BookingStatus::parse(&booking.status) {
        Some(BookingStatus::Pending) if !settings.require_approval => {
            let change = StatusChange {
                from: BookingStatus::Pending,
                to: BookingStatus::Confirmed,
                actor,
                reason: Some("deposit-paid".into()),
                refund_deposit: false,
                channel: Channel::Api,
            };
            apply_status(txn, outbox, &booking, change, now).await?;
        }
        Some(BookingStatus::Pending) => {
            // Paid, still waiting for the salon's approval: the hold is over.
            bookings::Entity::update_many()
                .col_expr(bookings::Column::HoldUntil, Expr::value(None::<DateTime<Utc>>))
                .filter(bookings::Column::Id.eq(booking.id))
                .exec(txn)
                .await?;
        }
        Some(BookingStatus::Cancelled) => {
            crate::jobs::store::enqueue(txn, &[deposit_refund_job(booking.id, now, outbox.max_attempts)])
                .await?;
        }
        _ => {}
    }
    Ok(true)
}

/// # Errors
/// `NotFound`, also for another client's payment.
pub async fn get(db: &DatabaseConnection, caller: &CurrentUser, id: Uuid) -> ApiResult<PaymentView> {
    let row = visible(caller, payments::Entity::find_by_id(id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("payment"))?;
    Ok(row.into())
}

/// # Errors
/// Database failures only.
pub async fn list(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    q: PaymentListQuery,
) -> ApiResult<Page<PaymentView>> {
    let mut query = payments::Entity::find()
        .order_by_desc(payments::Column::CreatedAt)
        .order_by_desc(payments::Column::Id);
    if let Some(b) = q.booking_id {
        query = query.filter(payments::Column::BookingId.eq(b));
    }
    if let Some(i) = q.invoice_id {
        query = query.filter(payments::Column::InvoiceId.eq(i));
    }
    if let Some(s) = q.status {
        query = query.filter(payments::Column::Status.eq(s.as_str()));
    }
    Ok(fetch(db, visible(caller, query), Window::new(q.limit, q.offset)).await?.map(PaymentView::from))
}

/// Refunds (part of) a captured payment. The amount is first reserved against the capture in
/// a guarded update (`refunded + amount <= captured`, also a CHECK), so of two racing refunds
/// that together exceed it one is refused; then the gateway is asked, and a refusal gives the
/// reservation back.
///
/// # Errors
/// `NotFound`; 403 for staff refunding a Stripe payment; 409 `not-captured`,
/// `refund-exceeds-captured`; 402/502 from the gateway (nothing refunded).
pub async fn refund(state: &AppState, caller: &CurrentUser, req: RefundRequest) -> ApiResult<RefundView> {
    let db = &state.db;
    let p =
        payments::Entity::find_by_id(req.payment_id).one(db).await?.ok_or(ApiError::NotFound("payment"))?;
    if caller.is(Role::Staff) && p.method == "stripe" {
        return Err(ApiError::Forbidden("staff refund desk payments only; ask an admin for card refunds"));
    }
    let reason = req.reason.trim().to_owned();
    let row = reserve_refund(state, &p, req.amount_cents, &reason, Some(caller.id)).await?;
    match finish_refund(state, &p, row.clone()).await {
        // Reserved and pending: the queue asks Stripe again.
        Err(ApiError::Unavailable(_)) => {
            let job = refund_job(&row, state.jobs.config.max_attempts);
            let _writer = crate::db::sqlite_writer(db).await;
            crate::jobs::store::enqueue(db, &[job]).await?;
            drop(_writer);
            state.jobs.wake();
            Ok(row.into())
        }
        done => done,
    }
}

fn refund_job(row: &refunds::Model, max_attempts: i32) -> NewJob {
    NewJob {
        kind: REFUND_JOB,
        payload: json!({"refund_id": row.id}),
        dedupe_key: Some(format!("refund:{}", row.id)),
        ref_id: Some(row.payment_id),
        run_at: Utc::now(),
        max_attempts,
    }
}

async fn reserve_refund(
    state: &AppState,
    p: &payments::Model,
    amount: Option<i64>,
    reason: &str,
    actor: Option<Uuid>,
) -> ApiResult<refunds::Model> {
    let db = &state.db;
    if p.status != "succeeded" {
        return Err(ApiError::conflict(
            "not-captured",
            format!("the payment is {}; nothing to refund", p.status),
        ));
    }
    let amount = amount.unwrap_or(p.captured_cents - p.refunded_cents);
    let exceeds = || {
        ApiError::conflict(
            "refund-exceeds-captured",
            format!("refunds of this payment may total at most {} (captured)", p.captured_cents),
        )
    };
    if amount <= 0 {
        return Err(exceeds());
    }
    let now = Utc::now();
    let in_salon = p.method != "stripe";
    let row = refunds::Model {
        id: Uuid::now_v7(),
        payment_id: p.id,
        amount_cents: amount,
        reason: reason.to_owned(),
        status: if in_salon { "succeeded" } else { "pending" }.into(),
        gateway_ref: None,
        failure_message: None,
        created_by: actor,
        created_at: now,
        updated_at: now,
    };
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let sql = "UPDATE payments SET refunded_cents = refunded_cents + $1, updated_at = $2 \
               WHERE id = $3 AND status = 'succeeded' AND refunded_cents + $1 <= captured_cents";
    let reserved = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            numbered(backend, sql),
            [amount.into(), now.into(), p.id.into()],
        ))
        .await;
    let reserved = match reserved {
        Ok(r) => r.rows_affected() == 1,
        Err(e) if e.to_string().to_lowercase().contains("check") => false,
        Err(e) => return Err(e.into()),
    };
    if !reserved {
        txn.rollback().await?;
        return Err(exceeds());
    }
    refunds::Entity::insert(refunds::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Asks the gateway for a reserved Stripe refund; gives the reservation back if it refuses.
async fn finish_refund(state: &AppState, p: &payments::Model, row: refunds::Model) -> ApiResult<RefundView> {
    if row.status != "pending" {
        return Ok(row.into());
    }
    let db = &state.db;
    let (Some(client), Some(intent)) = (state.stripe.as_deref(), p.gateway_ref.as_deref()) else {
        release_refund(db, &row, "stripe is not configured on this server").await?;
        return Err(ApiError::Gateway {
            detail: "stripe is not configured on this server; nothing was refunded".into(),
        });
    };
    match client.refund(row.id, intent, row.amount_cents).await {
        Ok((gateway_id, status)) => {
            if status == "failed" || status == "canceled" {
                release_refund(db, &row, "the gateway reported the refund failed").await?;
                return Err(ApiError::Gateway {
                    detail: "the payment gateway could not refund; nothing was refunded".into(),
                });
            }
            // Stripe's `pending` (some methods settle later) stays pending, reserved against
            // the capture, until a `charge.refund.updated` event says how it ended.
            let status = if status == "succeeded" { "succeeded" } else { "pending" };
            let now = Utc::now();
            let _writer = crate::db::sqlite_writer(db).await;
            refunds::Entity::update_many()
                .col_expr(refunds::Column::Status, Expr::value(status))
                .col_expr(refunds::Column::GatewayRef, Expr::value(gateway_id.clone()))
                .col_expr(refunds::Column::UpdatedAt, Expr::value(now))
                .filter(refunds::Column::Id.eq(row.id))
                .filter(refunds::Column::Status.eq("pending"))
                .exec(db)
                .await?;
            drop(_writer);
            let row = refunds::Model {
                status: status.into(),
                gateway_ref: Some(gateway_id),
                updated_at: now,
                ..row
            };
            Ok(row.into())
        }
        Err(GatewayError::Unavailable(why)) => {
            // Stripe may have refunded already: the reservation stays, and the refund is asked
            // for again under the same idempotency key (never a second refund).
            tracing::warn!(refund_id = %row.id, error = %why, "the gateway did not answer a refund; it stays pending");
            Err(ApiError::Unavailable("the payment gateway did not answer; the refund stays pending".into()))
        }
        Err(e) => {
            release_refund(db, &row, &e.to_string()).await?;
            Err(gateway_error(&e))
        }
    }
}

async fn release_refund(db: &DatabaseConnection, row: &refunds::Model, why: &str) -> Result<(), DbErr> {
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    release_in(&txn, row, &["pending"], why, Utc::now()).await?;
    txn.commit().await
}

/// Marks a refund `failed` (from one of `from`) and gives its amount back to the payment, in
/// `txn`; a refund already failed changes nothing.
async fn release_in<C: ConnectionTrait>(
    txn: &C,
    row: &refunds::Model,
    from: &[&str],
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    tracing::warn!(refund_id = %row.id, error = %why, "refund failed at the gateway");
    let failed = refunds::Entity::update_many()
        .col_expr(refunds::Column::Status, Expr::value("failed"))
        .col_expr(refunds::Column::FailureMessage, Expr::value(why.chars().take(500).collect::<String>()))
        .col_expr(refunds::Column::UpdatedAt, Expr::value(now))
        .filter(refunds::Column::Id.eq(row.id))
        .filter(refunds::Column::Status.is_in(from.iter().copied()))
        .exec(txn)
        .await?
        .rows_affected;
    if failed == 1 {
        payments::Entity::update_many()
            .col_expr(
                payments::Column::RefundedCents,
                Expr::col(payments::Column::RefundedCents).sub(Expr::val(row.amount_cents)),
            )
            .col_expr(payments::Column::UpdatedAt, Expr::value(now))
            .filter(payments::Column::Id.eq(row.payment_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Where Stripe says one of our refunds stands (`refund.status`), in `txn`: `succeeded`
/// confirms a pending one; `failed` or `canceled` (possible even after `succeeded`, for some
/// payment methods) marks it failed and gives the amount back to the payment; anything else
/// (`pending`, `requires_action`) only records Stripe's id.
async fn settle_refund<C: ConnectionTrait>(
    txn: &C,
    known: &refunds::Model,
    refund: &Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let gateway_id = refund.get("id").and_then(Value::as_str).map(str::to_owned);
    match refund.get("status").and_then(Value::as_str).unwrap_or("succeeded") {
        "succeeded" => {
            refunds::Entity::update_many()
                .col_expr(refunds::Column::Status, Expr::value("succeeded"))
                .col_expr(refunds::Column::GatewayRef, Expr::value(gateway_id))
                .col_expr(refunds::Column::UpdatedAt, Expr::value(now))
                .filter(refunds::Column::Id.eq(known.id))
                .filter(refunds::Column::Status.eq("pending"))
                .exec(txn)
                .await?;
        }
        status @ ("failed" | "canceled") => {
            let why = refund.get("failure_reason").and_then(Value::as_str).unwrap_or(status);
            release_in(
                txn,
                known,
                &["pending", "succeeded"],
                &format!("Stripe: the refund {status} ({why})"),
                now,
            )
            .await?;
        }
        _ => {
            refunds::Entity::update_many()
                .col_expr(refunds::Column::GatewayRef, Expr::value(gateway_id))
                .filter(refunds::Column::Id.eq(known.id))
                .filter(refunds::Column::GatewayRef.is_null())
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Our refund a Stripe refund object is of: by the id in its metadata, else by Stripe's id.
async fn our_refund<C: ConnectionTrait>(txn: &C, refund: &Value) -> Result<Option<refunds::Model>, DbErr> {
    let ours =
        refund.pointer("/metadata/refund_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
    if let Some(id) = ours
        && let Some(row) = refunds::Entity::find_by_id(id).one(txn).await?
    {
        return Ok(Some(row));
    }
    match refund.get("id").and_then(Value::as_str) {
        Some(gateway_id) => {
            refunds::Entity::find().filter(refunds::Column::GatewayRef.eq(gateway_id)).one(txn).await
        }
        None => Ok(None),
    }
}

fn booking_of(job: &crate::jobs::store::Claimed) -> Result<Uuid, JobError> {
    serde_json::from_str::<Value>(&job.payload)
        .ok()
        .and_then(|v| v.get("booking_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()))
        .ok_or_else(|| JobError::Permanent("payload has no booking_id".into()))
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The end of a deposit hold: a booking still pending for its deposit is cancelled with
/// reason `deposit-expired` (its slot free at once), unless Stripe says it was paid, which is
/// then captured instead. The open PaymentIntent is cancelled first, so it cannot be paid
/// after the slot is gone; while Stripe does not answer, the job retries and the slot stays
/// held (a booking whose payment may be going through is never cancelled).
///
/// # Errors
/// `JobError::Retry` for database or gateway failures.
pub async fn expire_hold(state: &AppState, job: &crate::jobs::store::Claimed) -> Result<(), JobError> {
    let db = &state.db;
    let booking_id = booking_of(job)?;
    let Some(booking) = bookings::Entity::find_by_id(booking_id).one(db).await? else { return Ok(()) };
    let now = Utc::now();
    if booking.status != "pending"
        || booking.hold_until.is_none_or(|until| until > now + Duration::seconds(1))
    {
        return Ok(());
    }
    let open = live_deposit(db, booking.id).await?;
    if let Some(p) = &open {
        if p.status == "succeeded" {
            return Ok(());
        }
        if let Some(intent_id) = p.gateway_ref.as_deref() {
            let client = state.stripe.as_deref().ok_or_else(|| retry("stripe is not configured"))?;
            // Cancelled, or refused because its state changed: either way, ask what it is now.
            match client.cancel_intent(intent_id, p.id).await {
                Ok(_) | Err(GatewayError::Rejected { .. }) => {}
                Err(e) => return Err(retry(e)),
            }
            let intent = client.retrieve_intent(intent_id).await.map_err(retry)?;
            if intent.status == "succeeded" {
                capture(state, p, intent.amount_received, None).await.map_err(retry)?;
                return Ok(());
            }
            if intent.status != "canceled" {
                return Err(retry(format!("payment intent is {}", intent.status)));
            }
        }
    }
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    if let Some(p) = &open {
        set_status(&txn, p.id, &["pending"], PaymentStatus::Cancelled).await?;
    }
    let change = StatusChange {
        from: BookingStatus::Pending,
        to: BookingStatus::Cancelled,
        actor: booking.client_id,
        reason: Some(DEPOSIT_EXPIRED.into()),
        refund_deposit: false,
        channel: Channel::Api,
    };
    apply_status(&txn, &state.jobs.config, &booking, change, now).await?;
    txn.commit().await?;
    drop(_writer);
    state.jobs.wake();
    Ok(())
}

/// Refunds what is left of a cancelled booking's paid deposit.
///
/// # Errors
/// `JobError::Retry` for database or gateway failures.
pub async fn refund_deposit(state: &AppState, job: &crate::jobs::store::Claimed) -> Result<(), JobError> {
    let db = &state.db;
    let booking_id = booking_of(job)?;
    let Some(p) = live_deposit(db, booking_id).await?.filter(|p| p.status == "succeeded") else {
        return Ok(());
    };
    // A refund of this deposit still waiting for the gateway is finished, not doubled.
    let pending = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(p.id))
        .filter(refunds::Column::Status.eq("pending"))
        .one(db)
        .await?;
    let row = match pending {
        Some(row) => row,
        None if p.captured_cents > p.refunded_cents => {
            match reserve_refund(state, &p, None, "booking cancelled outside the cancellation window", None)
                .await
            {
                Ok(row) => row,
                Err(ApiError::Conflict { .. }) => return Ok(()),
                Err(e) => return Err(retry(e)),
            }
        }
        None => return Ok(()),
    };
    finish_refund(state, &p, row).await.map(|_| ()).map_err(retry)
}

/// Applies one verified Stripe event, once: its id is recorded in the same transaction as
/// its effect, and an id seen before changes nothing. Returns whether it was a duplicate.
///
/// # Errors
/// 400 for an event without an id or type; database failures.
pub async fn apply_event(state: &AppState, event: &Value) -> ApiResult<bool> {
    let db = &state.db;
    let (Some(id), Some(kind)) =
        (event.get("id").and_then(Value::as_str), event.get("type").and_then(Value::as_str))
    else {
        return Err(ApiError::BadRequest("the event has no id or type".into()));
    };
    if id.is_empty() || id.len() > 255 || kind.len() > 100 {
        return Err(ApiError::BadRequest("the event id or type is too long".into()));
    }
    let object = event.pointer("/data/object").cloned().unwrap_or(Value::Null);
    let now = Utc::now();
    let _writer = crate::db::sqlite_writer(db).await;
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            numbered(backend, "INSERT INTO webhook_events (id, kind, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"),
            [id.into(), kind.into(), now.into()],
        ))
        .await?
        .rows_affected();
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(true);
    }
    match kind {
        "payment_intent.succeeded" | "payment_intent.payment_failed" => {
            let Some(intent) = Intent::from_json(&object) else {
                txn.rollback().await?;
                return Err(ApiError::BadRequest("the event carries no payment intent".into()));
            };
            match find_by_intent(&txn, &intent).await? {
                None => {
                    tracing::warn!(event_id = id, intent = %intent.id, "webhook for an unknown payment; acknowledged")
                }
                Some(p) if kind == "payment_intent.succeeded" => {
                    let actor = p.client_id.or(p.created_by).unwrap_or_default();
                    apply_capture(&txn, &state.jobs.config, &p, intent.amount_received, actor, now).await?;
                }
                Some(p) => {
                    // The client may try another card with the same intent: the payment stays
                    // pending, with the decline recorded.
                    let code =
                        object.pointer("/last_payment_error/code").and_then(Value::as_str).map(str::to_owned);
                    let message = object
                        .pointer("/last_payment_error/message")
                        .and_then(Value::as_str)
                        .map(|m| m.chars().take(500).collect::<String>());
                    payments::Entity::update_many()
                        .col_expr(payments::Column::FailureCode, Expr::value(code))
                        .col_expr(payments::Column::FailureMessage, Expr::value(message))
                        .col_expr(payments::Column::UpdatedAt, Expr::value(now))
                        .filter(payments::Column::Id.eq(p.id))
                        .exec(&txn)
                        .await?;
                }
            }
        }
        "charge.refunded" => charge_refunded(&txn, id, &object, now).await?,
        // A refund's later fate (a pending one settling or failing, a succeeded one failing).
        "charge.refund.updated" | "refund.updated" | "refund.failed" => {
            match our_refund(&txn, &object).await? {
                Some(known) => settle_refund(&txn, &known, &object, now).await?,
                None => tracing::warn!(event_id = id, "refund event for an unknown refund; acknowledged"),
            }
        }
        other => tracing::debug!(event_id = id, kind = other, "webhook event not handled; acknowledged"),
    }
    txn.commit().await?;
    drop(_writer);
    state.jobs.wake();
    Ok(false)
}

async fn find_by_intent<C: ConnectionTrait>(
    txn: &C,
    intent: &Intent,
) -> Result<Option<payments::Model>, DbErr> {
    if let Some(p) =
        payments::Entity::find().filter(payments::Column::GatewayRef.eq(intent.id.as_str())).one(txn).await?
    {
        return Ok(Some(p));
    }
    // The intent was created but its answer never reached us (a timeout): our id is in its
    // metadata.
    let Some(id) = intent.payment_id else { return Ok(None) };
    let Some(p) = payments::Entity::find_by_id(id).one(txn).await?.filter(|p| p.method == "stripe") else {
        return Ok(None);
    };
    payments::Entity::update_many()
        .col_expr(payments::Column::GatewayRef, Expr::value(intent.id.clone()))
        .filter(payments::Column::Id.eq(p.id))
        .filter(payments::Column::GatewayRef.is_null())
        .exec(txn)
        .await?;
    Ok(Some(p))
}

/// Stripe's refunds of a charge: ours are confirmed; one made elsewhere (the dashboard) is
/// recorded, within the capture.
async fn charge_refunded<C: ConnectionTrait>(
    txn: &C,
    event_id: &str,
    charge: &Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(intent_id) = charge.get("payment_intent").and_then(Value::as_str) else { return Ok(()) };
    let Some(p) =
        payments::Entity::find().filter(payments::Column::GatewayRef.eq(intent_id)).one(txn).await?
    else {
        tracing::warn!(event_id, intent = intent_id, "refund webhook for an unknown payment; acknowledged");
        return Ok(());
    };
    let list = charge.pointer("/refunds/data").and_then(Value::as_array).cloned().unwrap_or_default();
    for r in list {
        let Some(gateway_id) = r.get("id").and_then(Value::as_str) else { continue };
        let amount = r.get("amount").and_then(Value::as_i64).unwrap_or(0);
        if let Some(known) = our_refund(txn, &r).await? {
            settle_refund(txn, &known, &r, now).await?;
            continue;
        }
        // Someone else's refund is recorded once it went through.
        let done = r.get("status").and_then(Value::as_str).is_none_or(|s| s == "succeeded" || s == "pending");
        if amount <= 0 || !done {
            continue;
        }
        let backend = txn.get_database_backend();
        let sql = "UPDATE payments SET refunded_cents = refunded_cents + $1, updated_at = $2 \
                   WHERE id = $3 AND refunded_cents + $1 <= captured_cents";
        let stmt = Statement::from_sql_and_values(
            backend,
            numbered(backend, sql),
            [amount.into(), now.into(), p.id.into()],
        );
        if txn.execute_raw(stmt).await?.rows_affected() == 0 {
            tracing::warn!(event_id, refund = gateway_id, "refund beyond the recorded capture; not recorded");
            continue;
        }
        let row = refunds::Model {
            id: Uuid::now_v7(),
            payment_id: p.id,
            amount_cents: amount,
            reason: "refunded in the Stripe dashboard".into(),
            status: "succeeded".into(),
            gateway_ref: Some(gateway_id.to_owned()),
            failure_message: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        };
        refunds::Entity::insert(refunds::ActiveModel::from(row)).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// The refunds of a payment, oldest first.
///
/// # Errors
/// `NotFound`, also for another client's payment.
pub async fn refunds_of(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    payment_id: Uuid,
) -> ApiResult<Vec<RefundView>> {
    get(db, caller, payment_id).await?;
    let rows = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment_id))
        .order_by_asc(refunds::Column::CreatedAt)
        .order_by_asc(refunds::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
