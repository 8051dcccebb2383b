//! Property tests of the availability engine, on random weeks, time off, bookings, time zones
//! and salon rules:
//! - every returned slot can be booked, lies inside working hours on the grid, and overlaps
//!   no time off and no booking;
//! - booking returned slots one after another (each time re-asking for availability) never
//!   produces two overlapping bookings of one staff member.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use salon::booking::engine::{Calendar, Rules, Span, availability, boundary, evaluate};
use salon::staff::model::Interval;
use uuid::Uuid;

const ZONES: [&str; 6] =
    ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"];

fn week() -> impl Strategy<Value = Vec<Interval>> {
    // Per weekday up to two non-overlapping intervals, on 5-minute boundaries.
    prop::collection::vec((1i16..=7, 0i16..=276, 1i16..=60, 0i16..=60, 1i16..=60), 0..8).prop_map(|raw| {
        let mut out: Vec<Interval> = Vec::new();
        for (weekday, a, len1, gap, len2) in raw {
            if out.iter().any(|iv| iv.weekday == weekday) {
                continue;
            }
            let start = a * 5;
            let end1 = (start + len1 * 5).min(1440);
            out.push(Interval { weekday, start, end: end1 });
            let start2 = end1 + gap * 5;
            let end2 = start2 + len2 * 5;
            if end2 <= 1440 && start2 < end2 && gap > 0 {
                out.push(Interval { weekday, start: start2, end: end2 });
            }
        }
        out
    })
}

fn spans(base: DateTime<Utc>) -> impl Strategy<Value = Vec<Span>> {
    prop::collection::vec((0i64..(10 * 24 * 12), 1i64..48), 0..6).prop_map(move |raw| {
        raw.into_iter()
            .map(|(offset, len)| {
                let start = base + Duration::minutes(offset * 5);
                Span { start, end: start + Duration::minutes(len * 5) }
            })
            .collect()
    })
}

/// Non-overlapping busy blocks, sorted (as the database guarantees).
fn disjoint(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| s.start);
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        if out.last().is_none_or(|last| last.end <= s.start) {
            out.push(s);
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    tz: Tz,
    slot: i64,
    lead: i64,
    advance: i64,
    duration: i64,
    buffer: i64,
    week: Vec<Interval>,
    time_off: Vec<Span>,
    busy: Vec<Span>,
    first: NaiveDate,
    days: u32,
    now: DateTime<Utc>,
}

fn cases() -> impl Strategy<Value = Case> {
    // Dates around the 2026 daylight-saving changes of both hemispheres.
    let firsts = prop::sample::select(vec![
        NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 27).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 3).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 4).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 23).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 30).unwrap(),
        NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
    ]);
    (
        prop::sample::select(ZONES.to_vec()),
        prop::sample::select(vec![5i64, 10, 15, 20, 30, 60]),
        0i64..600,
        1i64..20,
        prop::sample::select(vec![5i64, 15, 30, 45, 60, 90, 120]),
        prop::sample::select(vec![0i64, 5, 10, 15]),
        week(),
        firsts,
        1u32..5,
        0i64..(3 * 24 * 60),
    )
        .prop_flat_map(|(zone, slot, lead, advance, duration, buffer, week, first, days, now_offset)| {
            let tz: Tz = zone.parse().unwrap();
            let base = first.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(1);
            let now = base - Duration::days(1) + Duration::minutes(now_offset);
            (spans(base), spans(base)).prop_map(move |(time_off, busy)| Case {
                tz,
                slot,
                lead,
                advance,
                duration,
                buffer,
                week: week.clone(),
                time_off,
                busy: disjoint(busy),
                first,
                days,
                now,
            })
        })
}

fn setup(c: &Case) -> (Rules, Calendar) {
    let rules = Rules {
        tz: c.tz,
        slot_minutes: c.slot,
        min_lead: Duration::minutes(c.lead),
        max_advance: Duration::days(c.advance),
        now: c.now,
    };
    let cal = Calendar {
        staff_id: Uuid::nil(),
        duration: Duration::minutes(c.duration),
        buffer: Duration::minutes(c.buffer),
        week: c.week.clone(),
        time_off: c.time_off.clone(),
        busy: c.busy.clone(),
    };
    (rules, cal)
}

/// Inside one working interval of its local day, computed independently of `evaluate`.
fn inside_hours(c: &Case, block: &Span) -> bool {
    let local = block.start.with_timezone(&c.tz);
    let date = local.date_naive();
    let weekday = chrono::Datelike::weekday(&date).number_from_monday() as i16;
    c.week.iter().filter(|iv| iv.weekday == weekday).any(|iv| {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap();
        let open = boundary(c.tz, midnight + Duration::minutes(iv.start.into()));
        let close = boundary(c.tz, midnight + Duration::minutes(iv.end.into()));
        open <= block.start && block.end <= close
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_returned_slot_is_bookable_inside_hours_on_the_grid(c in cases()) {
        let (rules, cal) = setup(&c);
        for slot in availability(&rules, std::slice::from_ref(&cal), c.first, c.days) {
            let block = cal.block(slot.start);
            prop_assert!(evaluate(&rules, &cal, slot.start).is_empty());
            prop_assert!(inside_hours(&c, &block), "outside hours: {slot:?}");
            let local = slot.start.with_timezone(&c.tz);
            prop_assert_eq!(i64::from(local.hour() * 60 + local.minute()) % c.slot, 0);
            prop_assert!(c.time_off.iter().all(|t| !t.overlaps(&block)));
            prop_assert!(c.busy.iter().all(|b| !b.overlaps(&block)));
            prop_assert!(slot.start >= c.now + Duration::minutes(c.lead));
            prop_assert!(slot.start <= c.now + Duration::days(c.advance));
            prop_assert_eq!(slot.end, slot.start + Duration::minutes(c.duration));
        }
    }

    #[test]
    fn booking_returned_slots_one_by_one_never_overlaps(c in cases(), picks in prop::collection::vec(any::<prop::sample::Index>(), 1..12)) {
        let (rules, mut cal) = setup(&c);
        let mut booked: Vec<Span> = Vec::new();
        for pick in picks {
            let slots = availability(&rules, std::slice::from_ref(&cal), c.first, c.days);
            if slots.is_empty() {
                break;
            }
            let chosen = slots[pick.index(slots.len())];
            let block = cal.block(chosen.start);
            prop_assert!(booked.iter().all(|b| !b.overlaps(&block)), "{block:?} overlaps {booked:?}");
            prop_assert!(cal.busy.iter().all(|b| !b.overlaps(&block)));
            booked.push(block);
            cal.busy.push(block);
            cal.busy.sort_by_key(|s| s.start);
        }
    }
}

#[test]
fn a_slot_grid_is_anchored_at_local_midnight_not_utc() {
    // Kolkata is UTC+05:30: a 15-minute grid in local time is :00/:15/:30/:45 local.
    let tz: Tz = "Asia/Kolkata".parse().unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let c = Case {
        tz,
        slot: 15,
        lead: 0,
        advance: 30,
        duration: 30,
        buffer: 0,
        week: vec![Interval { weekday: 1, start: 9 * 60, end: 10 * 60 }],
        time_off: Vec::new(),
        busy: Vec::new(),
        first,
        days: 1,
        now: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
    };
    let (rules, cal) = setup(&c);
    let slots = availability(&rules, &[cal], first, 1);
    let local: Vec<String> =
        slots.iter().map(|s| s.start.with_timezone(&tz).format("%H:%M").to_string()).collect();
    assert_eq!(local, ["09:00", "09:15", "09:30"]);
    assert_eq!(slots[0].start, Utc.with_ymd_and_hms(2026, 6, 15, 3, 30, 0).unwrap());
}

#[test]
fn the_generated_cases_mostly_have_slots_to_check() {
    // Guards the generator: properties over empty availability would prove nothing.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = cases();
    let (mut with_slots, mut total_slots) = (0, 0);
    for _ in 0..200 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let (rules, cal) = setup(&c);
        let n = availability(&rules, &[cal], c.first, c.days).len();
        with_slots += usize::from(n > 0);
        total_slots += n;
    }
    assert!(with_slots >= 100, "only {with_slots} of 200 cases had slots ({total_slots} slots)");
}
