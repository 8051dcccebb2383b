//! Booking messages: what a job of kind `booking.*` sends, to which channels, exactly once
//! per channel as far as this side can tell (each delivery is recorded under the job's
//! dedupe key and the channel; a job that runs again skips what was already sent).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::transport::SendError;
use crate::entity::{bookings, notifications, services, settings, staff, users};
use crate::jobs::store::{Claimed, NewJob};
use crate::jobs::worker::JobError;
use crate::state::AppState;

pub const CONFIRMATION: &str = "booking.confirmation";
pub const REMINDER: &str = "booking.reminder";
pub const RESCHEDULED: &str = "booking.rescheduled";
pub const CANCELLED: &str = "booking.cancelled";

/// What a booking job carries: the booking, and what the message is about.
#[derive(Debug, Deserialize)]
struct BookingPayload {
    booking_id: Uuid,
    /// Reminders: the start they remind of (a reminder for an old start is skipped).
    start_at: Option<DateTime<Utc>>,
    /// Reschedules: where it moved from.
    old_start_at: Option<DateTime<Utc>>,
    reason: Option<String>,
}

fn job(
    kind: &'static str,
    key: String,
    booking_id: Uuid,
    run_at: DateTime<Utc>,
    payload: serde_json::Value,
    max_attempts: i32,
) -> NewJob {
    NewJob { kind, payload, dedupe_key: Some(key), ref_id: Some(booking_id), run_at, max_attempts }
}

/// The jobs a new booking enqueues: its confirmation, and its reminder when that falls in
/// the future.
pub fn on_created(b: &bookings::Model, reminder_hours: i32, max_attempts: i32) -> Vec<NewJob> {
    let now = Utc::now();
    let mut jobs = vec![job(
        CONFIRMATION,
        format!("confirmation:{}", b.id),
        b.id,
        now,
        json!({"booking_id": b.id}),
        max_attempts,
    )];
    jobs.extend(reminder(b, reminder_hours, max_attempts));
    jobs
}

/// A booking's reminder, `reminder_hours` before its start (none if 0 or already past).
pub fn reminder(b: &bookings::Model, reminder_hours: i32, max_attempts: i32) -> Option<NewJob> {
    let at = b.start_at - chrono::Duration::hours(reminder_hours.into());
    (reminder_hours > 0 && at > Utc::now()).then(|| {
        job(
            REMINDER,
            format!("reminder:{}:{}", b.id, b.start_at.timestamp()),
            b.id,
            at,
            json!({"booking_id": b.id, "start_at": b.start_at}),
            max_attempts,
        )
    })
}

/// A moved booking: its message, and its reminder moved (the caller drops the old one).
pub fn on_rescheduled(
    old: &bookings::Model,
    new: &bookings::Model,
    event_id: Uuid,
    reminder_hours: i32,
    max_attempts: i32,
) -> Vec<NewJob> {
    let mut jobs = vec![job(
        RESCHEDULED,
        format!("rescheduled:{}:{event_id}", new.id),
        new.id,
        Utc::now(),
        json!({"booking_id": new.id, "old_start_at": old.start_at}),
        max_attempts,
    )];
    jobs.extend(reminder(new, reminder_hours, max_attempts));
    jobs
}

pub fn on_cancelled(b: &bookings::Model, reason: Option<&str>, max_attempts: i32) -> NewJob {
    job(
        CANCELLED,
        format!("cancellation:{}", b.id),
        b.id,
        Utc::now(),
        json!({"booking_id": b.id, "reason": reason}),
        max_attempts,
    )
}

/// Runs a `booking.*` job.
///
/// # Errors
/// `Permanent` for a malformed payload or a booking that is gone; `Retry` when a channel
/// could not deliver (what was delivered is not sent again).
pub async fn booking_message(state: &AppState, job: &Claimed) -> Result<(), JobError> {
    let template = match job.kind.as_str() {
        CONFIRMATION => "booking_confirmation",
        REMINDER => "booking_reminder",
        RESCHEDULED => "booking_rescheduled",
        CANCELLED => "booking_cancelled",
        other => return Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    };
    let payload: BookingPayload =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(format!("payload: {e}")))?;
    let db = &state.db;
    let Parts { booking, client, service, stylist, salon } =
        load(db, payload.booking_id).await?.ok_or_else(|| {
            JobError::Permanent(
                "the booking (or its client, service or staff member) no longer exists".into(),
            )
        })?;
    let active = matches!(booking.status.as_str(), "pending" | "confirmed");
    // A confirmation or reminder for a booking cancelled since (its own message follows), or
    // a reminder of a start the booking has moved from, has nothing left to say.
    if (job.kind == CONFIRMATION || job.kind == REMINDER) && !active {
        return Ok(());
    }
    if job.kind == REMINDER && payload.start_at.is_some_and(|at| at != booking.start_at) {
        return Ok(());
    }
    // A booking held for its deposit is told what to pay and by when.
    let template = match (job.kind.as_str(), booking.hold_until) {
        (CONFIRMATION, Some(_))
            if booking.status == "pending" && booking.deposit_cents.is_some_and(|d| d > 0) =>
        {
            "deposit_request"
        }
        _ => template,
    };
    let vars = variables(&salon, &booking, &client, &service, &stylist, &payload);
    let rendered = super::templates::render(template, vars)
        .map_err(|e| JobError::Permanent(format!("template {template}: {e:#}")))?;

    let message = Message {
        job,
        base: job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string()),
        user_id: client.id,
        booking_id: Some(booking.id),
        template,
        rendered,
        extras: Default::default(),
    };
    let mut outcomes = Vec::new();
    if client.notify_email {
        let d = Delivery {
            channel: "email",
            transport: state.transports.email_transport(),
            recipient: &client.email,
        };
        outcomes.push(deliver(state, &message, &d).await);
    }
    if let Some(phone) = client.phone.as_deref().filter(|_| client.notify_sms) {
        let d = Delivery { channel: "sms", transport: state.transports.sms_transport(), recipient: phone };
        outcomes.push(deliver(state, &message, &d).await);
    }
    // A channel that may still go through keeps the job retrying, whatever the other did.
    let mut errors: Vec<JobError> = outcomes.into_iter().filter_map(Result::err).collect();
    match errors.iter().position(|e| matches!(e, JobError::Retry(_))) {
        Some(i) => Err(errors.swap_remove(i)),
        None => errors.pop().map_or(Ok(()), Err),
    }
}

/// What a booking message is made of.
struct Parts {
    booking: bookings::Model,
    client: users::Model,
    service: services::Model,
    stylist: staff::Model,
    salon: settings::Model,
}

/// The booking with its client, service, staff member and the salon's settings, in one query.
async fn load(db: &DatabaseConnection, booking_id: Uuid) -> Result<Option<Parts>, DbErr> {
    use crate::booking::store::select_prefixed;
    use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Query};
    let mut q = Query::select();
    select_prefixed(&mut q, bookings::Entity, "b_");
    select_prefixed(&mut q, users::Entity, "u_");
    select_prefixed(&mut q, services::Entity, "s_");
    select_prefixed(&mut q, staff::Entity, "t_");
    select_prefixed(&mut q, settings::Entity, "c_");
    let booking = |c: bookings::Column| Expr::col((bookings::Entity, c));
    q.from(bookings::Entity)
        .join(
            JoinType::InnerJoin,
            users::Entity,
            booking(bookings::Column::ClientId).equals((users::Entity, users::Column::Id)),
        )
        .join(
            JoinType::InnerJoin,
            services::Entity,
            booking(bookings::Column::ServiceId).equals((services::Entity, services::Column::Id)),
        )
        .join(
            JoinType::InnerJoin,
            staff::Entity,
            booking(bookings::Column::StaffId).equals((staff::Entity, staff::Column::Id)),
        )
        .join(
            JoinType::InnerJoin,
            settings::Entity,
            Expr::col((settings::Entity, settings::Column::Id)).eq(1),
        )
        .and_where(Expr::col((bookings::Entity, bookings::Column::Id)).eq(booking_id));
    let Some(row) = db.query_one(&q).await? else { return Ok(None) };
    Ok(Some(Parts {
        booking: bookings::Model::from_query_result(&row, "b_")?,
        client: users::Model::from_query_result(&row, "u_")?,
        service: services::Model::from_query_result(&row, "s_")?,
        stylist: staff::Model::from_query_result(&row, "t_")?,
        salon: settings::Model::from_query_result(&row, "c_")?,
    }))
}

fn variables(
    salon: &settings::Model,
    booking: &bookings::Model,
    client: &users::Model,
    service: &services::Model,
    stylist: &staff::Model,
    payload: &BookingPayload,
) -> serde_json::Value {
    let tz: chrono_tz::Tz = salon.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M").to_string();
    json!({
        "salon": salon.name,
        "timezone": salon.timezone,
        "client_name": client.full_name,
        "service": service.name,
        "staff": stylist.display_name,
        "start_local": local(booking.start_at),
        "old_start_local": payload.old_start_at.map(local),
        "pending": booking.status == "pending",
        "reason": payload.reason,
        "cancellation_window_hours": salon.cancellation_window_hours,
        "hold_until_local": booking.hold_until.map(local),
        "deposit": booking.deposit_cents.map(|d| crate::invoices::receipt::money(d, &salon.currency)),
        "currency": salon.currency,
    })
}

/// What one job says to one client, on whichever channels.
struct Message<'a> {
    job: &'a Claimed,
    /// The job's dedupe key (or id): each delivery is recorded as `<base>:<channel>`.
    base: String,
    /// Who it is for.
    user_id: Uuid,
    booking_id: Option<Uuid>,
    template: &'a str,
    rendered: super::templates::Rendered,
    /// Email only: an HTML alternative, an attachment.
    extras: super::transport::EmailExtras,
}

struct Delivery<'a> {
    channel: &'static str,
    transport: &'static str,
    recipient: &'a str,
}

/// One channel of one job: recorded first (`queued`), skipped if already `sent`, then sent
/// and recorded as `sent` or `failed`.
async fn deliver(state: &AppState, m: &Message<'_>, d: &Delivery<'_>) -> Result<(), JobError> {
    let Message { job, base, user_id, booking_id, template, rendered, extras } = m;
    let (booking_id, template) = (*booking_id, *template);
    let db = &state.db;
    let key = format!("{base}:{}", d.channel);
    let (subject, body) = match d.channel {
        "email" => (Some(rendered.subject.clone()), rendered.email.clone()),
        _ => (None, rendered.sms.clone()),
    };
    let row = notifications::ActiveModel {
        id: Set(Uuid::now_v7()),
        dedupe_key: Set(key.clone()),
        job_id: Set(Some(job.id)),
        user_id: Set(Some(*user_id)),
        booking_id: Set(booking_id),
        channel: Set(d.channel.into()),
        transport: Set(d.transport.into()),
        recipient: Set(d.recipient.into()),
        template: Set(template.into()),
        subject: Set(subject.clone()),
        body: Set(body.clone()),
        status: Set("queued".into()),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
    };
    // New, or the record of an earlier attempt (the no-op update makes the upsert return it).
    let recorded = {
        let _writer = crate::db::sqlite_writer(db).await;
        notifications::Entity::insert(row)
            .on_conflict(
                OnConflict::column(notifications::Column::DedupeKey)
                    .update_column(notifications::Column::DedupeKey)
                    .to_owned(),
            )
            .exec_with_returning(db)
            .await?
    };
    if recorded.status == "sent" {
        return Ok(());
    }
    let message_id = message_id(&key);
    let sent = match d.channel {
        "email" => {
            state
                .transports
                .send_email(d.recipient, subject.as_deref().unwrap_or(""), &body, &message_id, extras)
                .await
        }
        _ => state.transports.send_sms(d.recipient, &body).await,
    };
    let (status, error) = match &sent {
        Ok(()) => ("sent", None),
        Err(SendError::Transient(e) | SendError::Permanent(e)) => ("failed", Some(e.clone())),
    };
    record(db, recorded.id, status, error).await?;
    match sent {
        Ok(()) => Ok(()),
        Err(SendError::Transient(e)) => Err(JobError::Retry(format!("{}: {e}", d.channel))),
        Err(SendError::Permanent(e)) => Err(JobError::Permanent(format!("{}: {e}", d.channel))),
    }
}

async fn record(
    db: &DatabaseConnection,
    id: Uuid,
    status: &str,
    error: Option<String>,
) -> Result<(), JobError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let _writer = crate::db::sqlite_writer(db).await;
    let sent_at = (status == "sent").then(Utc::now);
    notifications::Entity::update_many()
        .col_expr(notifications::Column::Status, Expr::value(status))
        .col_expr(notifications::Column::Attempts, Expr::col(notifications::Column::Attempts).add(1))
        .col_expr(notifications::Column::LastError, Expr::value(error))
        .col_expr(notifications::Column::SentAt, Expr::value(sent_at))
        .filter(notifications::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// `<hash-of-key@salon.invalid>`: the same for every attempt at one delivery.
fn message_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(key.as_bytes());
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@salon.invalid>")
}

/// Runs an `inventory.low_stock` job: emails every active admin who takes email about the
/// alert's product (each admin's delivery recorded on its own, so a retry sends only what is
/// missing). An alert closed before the job runs (restocked already) sends nothing.
///
/// # Errors
/// `Permanent` for a malformed payload or an alert that is gone; `Retry` when an email could
/// not be delivered.
pub async fn low_stock_alert(state: &AppState, job: &Claimed) -> Result<(), JobError> {
    use crate::entity::{products, stock_alerts};
    #[derive(Deserialize)]
    struct Payload {
        alert_id: Uuid,
    }
    let payload: Payload =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(format!("payload: {e}")))?;
    let db = &state.db;
    let alert = stock_alerts::Entity::find_by_id(payload.alert_id)
        .one(db)
        .await?
        .ok_or_else(|| JobError::Permanent("the alert no longer exists".into()))?;
    if alert.status == "closed" {
        return Ok(());
    }
    let product = products::Entity::find_by_id(alert.product_id)
        .one(db)
        .await?
        .ok_or_else(|| JobError::Permanent("the product no longer exists".into()))?;
    let salon = crate::settings::store::get(db).await?;
    let vars = json!({
        "salon": salon.name,
        "product": product.name,
        "sku": product.sku,
        "on_hand": alert.on_hand,
        "threshold": alert.threshold,
        "reorder_quantity": product.reorder_quantity,
    });
    let template = "low_stock_alert";
    let rendered = super::templates::render(template, vars)
        .map_err(|e| JobError::Permanent(format!("template {template}: {e:#}")))?;
    let admins = users::Entity::find()
        .filter(users::Column::Role.eq("admin"))
        .filter(users::Column::IsActive.eq(true))
        .filter(users::Column::NotifyEmail.eq(true))
        .all(db)
        .await?;
    let base = job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string());
    let mut errors = Vec::new();
    for admin in &admins {
        let message = Message {
            job,
            base: format!("{base}:{}", admin.id),
            user_id: admin.id,
            booking_id: None,
            template,
            rendered: rendered.clone(),
            extras: Default::default(),
        };
        let d = Delivery {
            channel: "email",
            transport: state.transports.email_transport(),
            recipient: &admin.email,
        };
        if let Err(e) = deliver(state, &message, &d).await {
            errors.push(e);
        }
    }
    match errors.iter().position(|e| matches!(e, JobError::Retry(_))) {
        Some(i) => Err(errors.swap_remove(i)),
        None => errors.pop().map_or(Ok(()), Err),
    }
}

/// Runs an `invoice.receipt` job: emails the invoice's client its receipt (the text, the
/// printable page as the HTML alternative, the PDF attached), unless they opted out of email
/// or are deactivated.
///
/// # Errors
/// `Permanent` for a malformed payload or an invoice that is gone; `Retry` when the email
/// could not be delivered.
pub async fn invoice_receipt(state: &AppState, job: &Claimed) -> Result<(), JobError> {
    use super::transport::{EmailAttachment, EmailExtras};
    #[derive(Deserialize)]
    struct Payload {
        invoice_id: Uuid,
    }
    let payload: Payload =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(format!("payload: {e}")))?;
    let db = &state.db;
    let (receipt, client) = crate::invoices::service::receipt(db, payload.invoice_id)
        .await?
        .ok_or_else(|| JobError::Permanent("the invoice no longer exists".into()))?;
    let Some(client) = client.filter(|c| c.is_active && c.notify_email) else { return Ok(()) };
    let template = "invoice_receipt";
    let rendered = super::templates::render(template, &receipt)
        .map_err(|e| JobError::Permanent(format!("template {template}: {e:#}")))?;
    let html = crate::invoices::receipt::html(&receipt)
        .map_err(|e| JobError::Permanent(format!("receipt page: {e:#}")))?;
    let extras = EmailExtras {
        html: Some(html),
        attachment: Some(EmailAttachment {
            file_name: receipt.file_name(),
            content_type: "application/pdf".into(),
            bytes: crate::invoices::receipt::pdf(&receipt),
        }),
    };
    let message = Message {
        job,
        base: job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string()),
        user_id: client.id,
        booking_id: None,
        template,
        rendered,
        extras,
    };
    let d = Delivery {
        channel: "email",
        transport: state.transports.email_transport(),
        recipient: &client.email,
    };
    deliver(state, &message, &d).await
}
