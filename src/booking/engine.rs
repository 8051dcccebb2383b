//! The availability engine: pure functions over one staff member's week, time off and busy
//! blocks, in the salon's time zone. No I/O: the service layer loads the inputs (in a fixed
//! number of queries) and the same `evaluate` decides both what availability lists and what
//! a booking may take, so a listed slot is always bookable.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::staff::model::Interval;

/// Why a start time cannot be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The staff member does not perform this service, or one of them is deactivated.
    NotQualified,
    /// Not on the salon's slot grid (multiples of `slot_interval_minutes` from local midnight),
    /// or a local time that does not exist (skipped by a daylight-saving change).
    OffGrid,
    /// Not within the staff member's working hours that day.
    OutsideWorkingHours,
    /// Within the day's working hours, but running into a break between two intervals.
    Break,
    /// Overlaps the staff member's time off.
    TimeOff,
    /// Overlaps another active booking (including buffers).
    Booked,
    /// Sooner than `min_lead_minutes` from now (or in the past).
    InsideLeadTime,
    /// Further ahead than `max_advance_days`.
    BeyondHorizon,
}

/// A half-open time range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Salon-wide rules, at one instant.
#[derive(Debug, Clone)]
pub struct Rules {
    pub tz: Tz,
    pub slot_minutes: i64,
    pub min_lead: Duration,
    pub max_advance: Duration,
    pub now: DateTime<Utc>,
}

/// What the engine needs to know about one staff member for one service.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub staff_id: Uuid,
    /// The service's duration with this staff member (their override, else the service's).
    pub duration: Duration,
    /// Time after the service during which the staff member stays busy.
    pub buffer: Duration,
    pub week: Vec<Interval>,
    pub time_off: Vec<Span>,
    /// Active busy blocks of other bookings, sorted by start. Blocks of one staff member never
    /// overlap (the database guarantees it), so their ends are sorted too.
    pub busy: Vec<Span>,
}

impl Calendar {
    /// The span the staff member is busy for a booking starting at `start`.
    pub fn block(&self, start: DateTime<Utc>) -> Span {
        Span { start, end: start + self.duration + self.buffer }
    }

    fn is_busy(&self, block: &Span) -> bool {
        // First busy block ending after our start; it is the only one that can overlap first.
        let i = self.busy.partition_point(|b| b.end <= block.start);
        self.busy.get(i).is_some_and(|b| b.start < block.end)
    }
}

/// Every local instant a wall-clock time names: none in a spring-forward gap, two in a
/// fall-back hour.
pub fn local_instants(tz: Tz, naive: NaiveDateTime) -> Vec<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => vec![t.to_utc()],
        LocalResult::Ambiguous(a, b) => vec![a.to_utc(), b.to_utc()],
        LocalResult::None => Vec::new(),
    }
}

/// The instant a working-hours boundary falls on: the earlier one in a fall-back hour, and
/// the end of the gap for a time skipped by spring-forward.
pub fn boundary(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    for minutes in 0..=240 {
        if let Some(t) = tz.from_local_datetime(&(naive + Duration::minutes(minutes))).earliest() {
            return t.to_utc();
        }
    }
    // No zone has a gap longer than a few hours; read it as UTC rather than fail.
    naive.and_utc()
}

fn at_minute(date: NaiveDate, minute: i64) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight exists as a naive time") + Duration::minutes(minute)
}

/// The working intervals of `date` as instants.
fn working_spans(rules: &Rules, cal: &Calendar, date: NaiveDate) -> Vec<Span> {
    let weekday = date.weekday().number_from_monday() as i16;
    cal.week
        .iter()
        .filter(|iv| iv.weekday == weekday)
        .map(|iv| Span {
            start: boundary(rules.tz, at_minute(date, iv.start.into())),
            end: boundary(rules.tz, at_minute(date, iv.end.into())),
        })
        .collect()
}

/// Every reason `start` cannot be booked with this staff member; empty when it can.
pub fn evaluate(rules: &Rules, cal: &Calendar, start: DateTime<Utc>) -> Vec<Reason> {
    let date = start.with_timezone(&rules.tz).date_naive();
    evaluate_on(rules, cal, start, &working_spans(rules, cal, date))
}

/// `evaluate` with the working intervals of the start's local day already computed (the
/// availability loop computes them once per day, not once per candidate).
fn evaluate_on(rules: &Rules, cal: &Calendar, start: DateTime<Utc>, spans: &[Span]) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let local = start.with_timezone(&rules.tz);
    let wall_minute = i64::from(local.hour() * 60 + local.minute());
    if local.second() != 0 || local.nanosecond() != 0 || wall_minute % rules.slot_minutes != 0 {
        reasons.push(Reason::OffGrid);
    }
    let block = cal.block(start);
    if !spans.iter().any(|s| s.start <= block.start && block.end <= s.end) {
        let day_start = spans.iter().map(|s| s.start).min();
        let day_end = spans.iter().map(|s| s.end).max();
        match (day_start, day_end) {
            (Some(open), Some(close)) if open <= block.start && block.end <= close => {
                reasons.push(Reason::Break)
            }
            _ => reasons.push(Reason::OutsideWorkingHours),
        }
    }
    if cal.time_off.iter().any(|t| t.overlaps(&block)) {
        reasons.push(Reason::TimeOff);
    }
    if cal.is_busy(&block) {
        reasons.push(Reason::Booked);
    }
    if start < rules.now + rules.min_lead {
        reasons.push(Reason::InsideLeadTime);
    }
    if start > rules.now + rules.max_advance {
        reasons.push(Reason::BeyondHorizon);
    }
    reasons
}

/// A bookable start with one staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub staff_id: Uuid,
    pub start: DateTime<Utc>,
    /// End of the service (without the buffer).
    pub end: DateTime<Utc>,
}

/// Every bookable start on the slot grid for the local dates `first .. first + days`, for
/// each calendar, sorted by start then staff.
pub fn availability(rules: &Rules, calendars: &[Calendar], first: NaiveDate, days: u32) -> Vec<Slot> {
    let mut slots = Vec::new();
    for cal in calendars {
        for date in first.iter_days().take(days as usize) {
            let weekday = date.weekday().number_from_monday() as i16;
            let spans = working_spans(rules, cal, date);
            for iv in cal.week.iter().filter(|iv| iv.weekday == weekday) {
                let step = rules.slot_minutes;
                let mut minute = (i64::from(iv.start) + step - 1) / step * step;
                while minute < i64::from(iv.end) {
                    for start in local_instants(rules.tz, at_minute(date, minute)) {
                        // A fall-back instant can belong to the same local date only.
                        if evaluate_on(rules, cal, start, &spans).is_empty() {
                            slots.push(Slot { staff_id: cal.staff_id, start, end: start + cal.duration });
                        }
                    }
                    minute += step;
                }
            }
        }
    }
    slots.sort_by_key(|s| (s.start, s.staff_id));
    slots.dedup();
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules(tz: Tz, now: DateTime<Utc>) -> Rules {
        Rules { tz, slot_minutes: 15, min_lead: Duration::minutes(60), max_advance: Duration::days(90), now }
    }

    fn nine_to_five(staff: Uuid) -> Calendar {
        Calendar {
            staff_id: staff,
            duration: Duration::minutes(30),
            buffer: Duration::zero(),
            week: (1..=7).map(|weekday| Interval { weekday, start: 9 * 60, end: 17 * 60 }).collect(),
            time_off: Vec::new(),
            busy: Vec::new(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// A 09:00-17:00 day stays 09:00-17:00 local on daylight-saving days: the first slot starts
    /// at 09:00 local and the last one ends at 17:00 local, at the right UTC instants.
    fn first_and_last(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>, usize) {
        let staff = Uuid::nil();
        let a_week_before = date.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(7);
        let slots = availability(&rules(tz, a_week_before), &[nine_to_five(staff)], date, 1);
        (slots.first().unwrap().start, slots.last().unwrap().end, slots.len())
    }

    #[test]
    fn us_spring_forward_and_fall_back_keep_local_hours() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT (UTC-4 afterwards).
        assert_eq!(
            first_and_last(ny, NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()),
            (utc(2026, 3, 8, 13, 0), utc(2026, 3, 8, 21, 0), 31)
        );
        // 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST (UTC-5 afterwards).
        assert_eq!(
            first_and_last(ny, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
            (utc(2026, 11, 1, 14, 0), utc(2026, 11, 1, 22, 0), 31)
        );
    }

    #[test]
    fn eu_spring_forward_and_fall_back_keep_local_hours() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29: 02:00 CET -> 03:00 CEST (UTC+2 afterwards).
        assert_eq!(
            first_and_last(berlin, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()),
            (utc(2026, 3, 29, 7, 0), utc(2026, 3, 29, 15, 0), 31)
        );
        // 2026-10-25: 03:00 CEST -> 02:00 CET (UTC+1 afterwards).
        assert_eq!(
            first_and_last(berlin, NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()),
            (utc(2026, 10, 25, 8, 0), utc(2026, 10, 25, 16, 0), 31)
        );
    }

    #[test]
    fn nonexistent_local_times_are_skipped_and_repeated_ones_offered_once_each() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let mut cal = nine_to_five(Uuid::nil());
        cal.week = vec![Interval { weekday: 7, start: 60, end: 4 * 60 }];
        let r = rules(ny, utc(2026, 3, 1, 0, 0));
        let spring =
            availability(&r, std::slice::from_ref(&cal), NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), 1);
        let spring_local: Vec<String> =
            spring.iter().map(|s| s.start.with_timezone(&ny).format("%H:%M").to_string()).collect();
        assert!(!spring_local.iter().any(|t| t.starts_with("02:")), "02:xx does not exist: {spring_local:?}");
        // 01:00-04:00 local is two real hours that day: 01:00..01:45 and 03:00..03:30 start.
        assert_eq!(spring.len(), 4 + 3);
        let r = rules(ny, utc(2026, 10, 25, 0, 0));
        let fall = availability(&r, &[cal], NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), 1);
        // Four real hours: 01:xx EDT, 01:xx EST, 02:xx, 03:xx (the last 30 minutes cannot start).
        assert_eq!(fall.len(), 4 * 4 - 1);
        assert!(fall.windows(2).all(|w| w[0].start < w[1].start));
    }

    #[test]
    fn explain_names_every_reason() {
        let tz: Tz = "UTC".parse().unwrap();
        let now = utc(2026, 6, 1, 8, 0);
        let mut cal = nine_to_five(Uuid::nil());
        cal.week = vec![
            Interval { weekday: 1, start: 9 * 60, end: 12 * 60 },
            Interval { weekday: 1, start: 13 * 60, end: 17 * 60 },
        ];
        cal.time_off = vec![Span { start: utc(2026, 6, 8, 14, 0), end: utc(2026, 6, 8, 15, 0) }];
        cal.busy = vec![Span { start: utc(2026, 6, 8, 10, 0), end: utc(2026, 6, 8, 10, 45) }];
        let r = rules(tz, now);
        // 2026-06-01 and 06-08 are Mondays.
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 9, 0)), vec![]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 9, 5)), vec![Reason::OffGrid]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 11, 45)), vec![Reason::Break]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 16, 45)), vec![Reason::OutsideWorkingHours]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 9, 10, 0)), vec![Reason::OutsideWorkingHours]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 14, 30)), vec![Reason::TimeOff]);
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 10, 30)), vec![Reason::Booked]);
        assert_eq!(
            evaluate(&r, &cal, utc(2026, 6, 8, 9, 30)),
            vec![],
            "09:30-10:00 only touches the 10:00 booking"
        );
        assert_eq!(evaluate(&r, &cal, utc(2026, 6, 8, 9, 45)), vec![Reason::Booked]);
        assert_eq!(
            evaluate(&r, &cal, utc(2026, 6, 1, 8, 45)),
            vec![Reason::OutsideWorkingHours, Reason::InsideLeadTime]
        );
        assert_eq!(evaluate(&r, &cal, utc(2026, 12, 7, 9, 0)), vec![Reason::BeyondHorizon]);
    }
}
