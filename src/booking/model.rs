//! Booking inputs, views, and the status state machine.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::engine::Reason;
use crate::entity::{booking_events, bookings};
use crate::model::nullable;

/// Where a booking is in its life. `pending` and `confirmed` are active: they hold the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

/// A requested status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Cancel,
    Complete,
    NoShow,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Complete => "complete",
            Action::NoShow => "no-show",
        }
    }
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    /// The stored form; the column's CHECK constraint admits only these.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => BookingStatus::Pending,
            "confirmed" => BookingStatus::Confirmed,
            "cancelled" => BookingStatus::Cancelled,
            "completed" => BookingStatus::Completed,
            "no_show" => BookingStatus::NoShow,
            _ => return None,
        })
    }

    pub fn is_active(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }

    /// The allowed transitions: pending -> confirmed; pending | confirmed -> cancelled;
    /// confirmed -> completed | no_show. Anything else is `None`.
    pub fn apply(self, action: Action) -> Option<BookingStatus> {
        use BookingStatus::*;
        match (self, action) {
            (Pending, Action::Confirm) => Some(Confirmed),
            (Pending | Confirmed, Action::Cancel) => Some(Cancelled),
            (Confirmed, Action::Complete) => Some(Completed),
            (Confirmed, Action::NoShow) => Some(NoShow),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    #[garde(skip)]
    pub service_id: Uuid,
    /// The first local date (`YYYY-MM-DD`, salon time zone), in 2000 to 2999.
    #[garde(skip)]
    #[param(value_type = String, format = Date, pattern = "^2[0-9]{3}-[0-9]{2}-[0-9]{2}$", example = "2026-12-01")]
    pub date: NaiveDate,
    /// How many days from `date`: 1 to 31 (default 1).
    #[garde(inner(range(min = 1, max = 31)))]
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<u32>,
    /// Only this staff member; otherwise every qualified, active staff member.
    #[garde(skip)]
    pub staff_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub staff_id: Uuid,
    pub start_at: DateTime<Utc>,
    /// End of the service (the buffer is not included).
    pub end_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    /// The salon's IANA time zone, in which `date` and working hours are read.
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    /// Sorted by start, then staff.
    pub slots: Vec<SlotView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    #[garde(skip)]
    pub service_id: Uuid,
    #[garde(skip)]
    pub staff_id: Uuid,
    /// The candidate start (RFC 3339 with an offset).
    #[garde(skip)]
    #[param(value_type = String, format = DateTime, example = "2026-12-01T15:00:00Z")]
    pub start_at: DateTime<FixedOffset>,
}

/// Whether one start time is bookable with one staff member, and if not, every reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplainView {
    pub bookable: bool,
    /// Empty when bookable.
    pub reasons: Vec<Reason>,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub start_at: DateTime<Utc>,
    /// End of the service with this staff member (without buffer).
    pub end_at: DateTime<Utc>,
    /// The start in the salon's time zone, as a person reads it.
    #[schema(example = "2026-12-01T15:00:00+00:00")]
    pub local_start: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBookingRequest {
    #[garde(skip)]
    pub service_id: Uuid,
    /// RFC 3339 with an offset; must be a free slot.
    #[garde(skip)]
    #[schema(value_type = String, format = DateTime, example = "2026-12-01T15:00:00Z")]
    pub start_at: DateTime<FixedOffset>,
    /// Omit to let the server pick a qualified, free staff member.
    #[garde(skip)]
    pub staff_id: Option<Uuid>,
    /// Staff and admins book for a client; clients book for themselves.
    #[garde(skip)]
    pub client_id: Option<Uuid>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingView {
    pub id: Uuid,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub client_id: Uuid,
    pub start_at: DateTime<Utc>,
    /// End of the service (without buffer).
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub price_cents: i64,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The deposit this booking requires (`POST /api/v2/payments/deposit`); `null`: none.
    pub deposit_cents: Option<i64>,
    /// While `pending` for its deposit: when the slot is released unless it is paid.
    pub hold_until: Option<DateTime<Utc>>,
}

impl From<bookings::Model> for BookingView {
    fn from(b: bookings::Model) -> Self {
        BookingView {
            id: b.id,
            service_id: b.service_id,
            staff_id: b.staff_id,
            client_id: b.client_id,
            start_at: b.start_at,
            end_at: b.end_at,
            // The CHECK constraint admits only known statuses.
            status: BookingStatus::parse(&b.status).unwrap_or(BookingStatus::Cancelled),
            price_cents: b.price_cents,
            notes: b.notes,
            created_at: b.created_at,
            updated_at: b.updated_at,
            deposit_cents: b.deposit_cents,
            hold_until: b.hold_until,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingListQuery {
    #[garde(skip)]
    pub status: Option<BookingStatus>,
    #[garde(skip)]
    pub staff_id: Option<Uuid>,
    #[garde(skip)]
    pub client_id: Option<Uuid>,
    /// Only bookings ending after this instant.
    #[garde(skip)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<FixedOffset>>,
    /// Only bookings starting before this instant.
    #[garde(skip)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<FixedOffset>>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// Move an active booking (same rules as booking it) or change its notes.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    #[garde(skip)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub start_at: Option<DateTime<FixedOffset>>,
    #[garde(skip)]
    pub staff_id: Option<Uuid>,
    /// `null` removes the notes.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, max = 2000))))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500, example = "Client called to cancel")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEventView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The user who made the change.
    pub actor_id: Uuid,
    /// `created`, `rescheduled`, `confirmed`, `cancelled`, `completed`, `no_show`, `notes_changed`.
    #[schema(example = "rescheduled")]
    pub kind: String,
    /// The changed fields before the event.
    #[schema(value_type = Option<Object>)]
    pub old: Option<serde_json::Value>,
    /// The changed fields after the event.
    #[schema(value_type = Option<Object>)]
    pub new: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// What the change came through: `api`, or `voice` (`POST /api/v2/voice/booking`).
    #[schema(example = "api")]
    pub channel: String,
}

impl From<booking_events::Model> for HistoryEventView {
    fn from(e: booking_events::Model) -> Self {
        let parse = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
        HistoryEventView {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            kind: e.kind,
            old: parse(e.old_value),
            new: parse(e.new_value),
            reason: e.reason,
            channel: e.channel,
        }
    }
}

/// `GET /api/v1/bookings/{id}/history`: a page of events, oldest first.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        use BookingStatus::*;
        let all = [Pending, Confirmed, Cancelled, Completed, NoShow];
        let mut allowed = Vec::new();
        for from in all {
            for action in [Action::Confirm, Action::Cancel, Action::Complete, Action::NoShow] {
                if let Some(to) = from.apply(action) {
                    allowed.push((from, to));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                (Pending, Confirmed),
                (Pending, Cancelled),
                (Confirmed, Cancelled),
                (Confirmed, Completed),
                (Confirmed, NoShow)
            ]
        );
    }
}
