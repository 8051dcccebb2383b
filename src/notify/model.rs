//! Notifications as the API shows them, and the list filters.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::notifications;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

/// `queued` (being sent), `sent`, `failed` (the last attempt failed; the job retries it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Queued,
    Sent,
    Failed,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Queued => "queued",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub channel: Channel,
    /// `smtp`, `sms-http`, or `log` (not configured: written to the log and kept here).
    #[schema(example = "smtp")]
    pub transport: String,
    /// An email address or a phone number.
    pub recipient: String,
    /// `booking_confirmation`, `booking_reminder`, `booking_rescheduled`, `booking_cancelled`.
    #[schema(example = "booking_confirmation")]
    pub template: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub user_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<notifications::Model> for NotificationView {
    fn from(n: notifications::Model) -> Self {
        NotificationView {
            id: n.id,
            channel: if n.channel == "sms" { Channel::Sms } else { Channel::Email },
            transport: n.transport,
            recipient: n.recipient,
            template: n.template,
            subject: n.subject,
            body: n.body,
            status: match n.status.as_str() {
                "sent" => NotificationStatus::Sent,
                "failed" => NotificationStatus::Failed,
                _ => NotificationStatus::Queued,
            },
            attempts: n.attempts,
            last_error: n.last_error,
            user_id: n.user_id,
            booking_id: n.booking_id,
            job_id: n.job_id,
            created_at: n.created_at,
            sent_at: n.sent_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    #[garde(skip)]
    pub channel: Option<Channel>,
    #[garde(skip)]
    pub status: Option<NotificationStatus>,
    /// Exact template name.
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[param(min_length = 1, max_length = 64)]
    pub template: Option<String>,
    #[garde(skip)]
    pub booking_id: Option<Uuid>,
    /// Admins: one user's messages.
    #[garde(skip)]
    pub user_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}
