//! Staff inputs and views, and the weekly schedule as a parsed type.

use chrono::{DateTime, FixedOffset, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::{staff, staff_schedule_intervals, staff_time_off, users};
use crate::error::FieldError;
use crate::model::{not_blank, nullable, nullable_phone, phone_number, trimmed};

/// What a booking page shows about a staff member; `contact` only for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: Uuid,
    #[schema(example = "Jane")]
    pub display_name: String,
    pub bio: Option<String>,
    pub is_active: bool,
    /// The services this staff member performs (active ones, for non-admins).
    pub service_ids: Vec<Uuid>,
    /// Admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<StaffContact>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffContact {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub phone: Option<String>,
}

impl StaffView {
    pub fn new(s: staff::Model, service_ids: Vec<Uuid>, user: Option<users::Model>) -> Self {
        StaffView {
            id: s.id,
            display_name: s.display_name,
            bio: s.bio,
            is_active: s.is_active,
            service_ids,
            contact: user.map(|u| StaffContact {
                user_id: u.id,
                email: u.email,
                full_name: u.full_name,
                phone: u.phone,
            }),
        }
    }
}

/// The response to creating a staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedStaffView {
    #[serde(flatten)]
    pub staff: StaffView,
    /// Present only when no password was given: the generated one, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffRequest {
    #[serde(deserialize_with = "trimmed")]
    #[garde(email, length(chars, max = 254))]
    #[schema(format = "email", example = "jane@salon.example")]
    pub email: String,
    #[garde(length(chars, min = 1, max = 200), custom(not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200, example = "Jane Doe")]
    pub full_name: String,
    /// The name clients see; defaults to `full_name`.
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200, example = "Jane")]
    pub display_name: Option<String>,
    /// At least 8 characters; when omitted one is generated and returned once.
    #[garde(inner(length(chars, min = 8, max = 128)))]
    #[schema(min_length = 8, max_length = 128, format = "password")]
    pub password: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    #[garde(inner(custom(phone_number)))]
    #[schema(pattern = r"^[ +().-]*([0-9][ +().-]*){5,20}$", max_length = 40)]
    pub phone: Option<String>,
}

/// Admins may change every field; a staff member only their own `bio`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaffRequest {
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    /// `null` removes the bio.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, max = 2000))))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub bio: Option<Option<String>>,
    /// `null` removes the phone number.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(custom(nullable_phone))]
    #[schema(pattern = r"^[ +().-]*([0-9][ +().-]*){5,20}$", value_type = Option<String>, max_length = 40)]
    pub phone: Option<Option<String>>,
    /// Reactivate (or deactivate) the staff member and their account.
    #[garde(skip)]
    pub is_active: Option<bool>,
}

impl UpdateStaffRequest {
    /// Fields other than `bio` that the request sets.
    pub fn admin_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.display_name.is_some() {
            fields.push("display_name");
        }
        if self.full_name.is_some() {
            fields.push("full_name");
        }
        if self.phone.is_some() {
            fields.push("phone");
        }
        if self.is_active.is_some() {
            fields.push("is_active");
        }
        fields
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffListQuery {
    /// Admins only: `false` lists deactivated staff. Others always see active staff.
    #[garde(skip)]
    pub active: Option<bool>,
    /// Only staff who perform this service.
    #[garde(skip)]
    pub service_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// One working interval, in the salon's local time.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalInput {
    /// ISO weekday: Monday = 1 ... Sunday = 7.
    #[schema(minimum = 1, maximum = 7, example = 1)]
    pub weekday: i64,
    /// `HH:MM`, 00:00 to 23:59.
    #[schema(example = "09:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`, after `start`; `24:00` means midnight at the end of the day.
    #[schema(
        example = "13:00",
        pattern = "^(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|24:00)$"
    )]
    pub end: String,
}

/// The whole week; replaces what was there. Several intervals a day express breaks.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[garde(length(max = 100))]
    #[schema(max_items = 100)]
    pub intervals: Vec<IntervalInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub staff_id: Uuid,
    /// Sorted by weekday, then start.
    pub intervals: Vec<IntervalInput>,
}

/// A working interval that has been checked: minutes from local midnight, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub weekday: i16,
    pub start: i16,
    pub end: i16,
}

/// `HH:MM` to minutes from midnight; `24:00` only where `end_of_day` is allowed.
pub fn parse_hhmm(s: &str, end_of_day: bool) -> Option<i16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i16, i16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) => Some(h * 60 + m),
        (24, 0) if end_of_day => Some(1440),
        _ => None,
    }
}

pub fn format_hhmm(minutes: i16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Checks a whole week at once and reports every bad interval: weekday, format, order, and
/// overlaps within a day (touching intervals, 09:00-12:00 and 12:00-13:00, are fine).
///
/// # Errors
/// One `FieldError` per problem, named `intervals[i].field`.
pub fn parse_schedule(input: &[IntervalInput]) -> Result<Vec<Interval>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, Interval)> = Vec::new();
    for (i, raw) in input.iter().enumerate() {
        let weekday = (1..=7).contains(&raw.weekday).then_some(raw.weekday as i16);
        if weekday.is_none() {
            errors
                .push(FieldError::new(format!("intervals[{i}].weekday"), "must be 1 (Monday) to 7 (Sunday)"));
        }
        let start = parse_hhmm(&raw.start, false);
        if start.is_none() {
            errors.push(FieldError::new(format!("intervals[{i}].start"), "must be HH:MM, 00:00 to 23:59"));
        }
        let end = parse_hhmm(&raw.end, true);
        if end.is_none() {
            errors.push(FieldError::new(format!("intervals[{i}].end"), "must be HH:MM, 00:01 to 24:00"));
        }
        if let (Some(weekday), Some(start), Some(end)) = (weekday, start, end) {
            if start < end {
                parsed.push((i, Interval { weekday, start, end }));
            } else {
                errors.push(FieldError::new(format!("intervals[{i}].end"), "must be after start"));
            }
        }
    }
    parsed.sort_by_key(|(_, iv)| (iv.weekday, iv.start));
    for pair in parsed.windows(2) {
        let ((i, a), (j, b)) = (pair[0], pair[1]);
        if a.weekday == b.weekday && b.start < a.end {
            errors.push(FieldError::new(format!("intervals[{j}]"), format!("overlaps intervals[{i}]")));
        }
    }
    if errors.is_empty() { Ok(parsed.into_iter().map(|(_, iv)| iv).collect()) } else { Err(errors) }
}

impl From<&staff_schedule_intervals::Model> for IntervalInput {
    fn from(m: &staff_schedule_intervals::Model) -> Self {
        IntervalInput {
            weekday: m.weekday.into(),
            start: format_hhmm(m.start_minute),
            end: format_hhmm(m.end_minute),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffRequest {
    /// RFC 3339 with an offset.
    #[garde(skip)]
    #[schema(example = "2026-12-24T00:00:00+01:00")]
    pub start_at: DateTime<FixedOffset>,
    /// After `start_at`, at most 366 days later.
    #[garde(skip)]
    #[schema(example = "2026-12-27T00:00:00+01:00")]
    pub end_at: DateTime<FixedOffset>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500, example = "Holidays")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeOffView {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<staff_time_off::Model> for TimeOffView {
    fn from(t: staff_time_off::Model) -> Self {
        TimeOffView {
            id: t.id,
            staff_id: t.staff_id,
            start_at: t.start_at,
            end_at: t.end_at,
            reason: t.reason,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimeOffQuery {
    /// Only time off ending after this instant (RFC 3339).
    #[garde(skip)]
    pub from: Option<DateTime<FixedOffset>>,
    /// Only time off starting before this instant (RFC 3339).
    #[garde(skip)]
    pub to: Option<DateTime<FixedOffset>>,
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

    fn iv(weekday: i64, start: &str, end: &str) -> IntervalInput {
        IntervalInput { weekday, start: start.into(), end: end.into() }
    }

    #[test]
    fn times_are_strict_hh_mm() {
        assert_eq!(parse_hhmm("09:30", false), Some(570));
        assert_eq!(parse_hhmm("24:00", true), Some(1440));
        for bad in ["9:30", "09:60", "24:00", "25:00", "0930", "09:3a", "+9:30", " 09:30", "09:30:00", ""] {
            assert_eq!(parse_hhmm(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn a_day_with_a_break_is_two_intervals_and_touching_is_not_overlapping() {
        let week = parse_schedule(&[
            iv(1, "13:00", "17:00"),
            iv(1, "09:00", "12:00"),
            iv(2, "09:00", "12:00"),
            iv(2, "12:00", "13:00"),
        ])
        .unwrap();
        assert_eq!(week[0], Interval { weekday: 1, start: 540, end: 720 });
        assert_eq!(week.len(), 4);
    }

    #[test]
    fn every_problem_is_reported_with_its_index() {
        let errors = parse_schedule(&[
            iv(0, "09:00", "10:00"),
            iv(1, "11:00", "10:00"),
            iv(3, "nine", "10:00"),
            iv(4, "09:00", "12:00"),
            iv(4, "11:00", "13:00"),
        ])
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["intervals[0].weekday", "intervals[1].end", "intervals[2].start", "intervals[4]"]
        );
    }
}
