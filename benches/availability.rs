//! The availability computation for 20 staff x 31 days with 2,000 existing bookings, and for
//! one staff-day (what a booking page asks most). Pure engine time: the inputs come from six
//! queries whatever the size (see tests/api/queries.rs).
//!
//! Run: `cargo bench --bench availability`

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use salon::booking::engine::{Calendar, Rules, Span, availability};
use salon::staff::model::Interval;
use std::hint::black_box;
use uuid::Uuid;

fn salon(staff: usize, bookings: usize) -> (Rules, Vec<Calendar>, NaiveDate) {
    let tz: Tz = "Europe/Lisbon".parse().unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 10, 12).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 10, 11, 8, 0, 0).unwrap();
    let rules =
        Rules { tz, slot_minutes: 15, min_lead: Duration::minutes(60), max_advance: Duration::days(90), now };
    // Monday to Saturday, 09:00-13:00 and 14:00-19:00.
    let week: Vec<Interval> = (1..=6)
        .flat_map(|d| {
            [Interval { weekday: d, start: 540, end: 780 }, Interval { weekday: d, start: 840, end: 1140 }]
        })
        .collect();
    let per_staff = bookings / staff;
    let calendars = (0..staff)
        .map(|i| {
            // Bookings spread over the month, 45-minute blocks on the hour, never overlapping.
            let busy: Vec<Span> = (0..per_staff)
                .map(|k| {
                    let day = (k * 31 / per_staff) as i64;
                    let hour = 9 + (k % 4) as i64 * 2 + (i % 2) as i64;
                    let start = tz
                        .from_local_datetime(&(first + Duration::days(day)).and_hms_opt(0, 0, 0).unwrap())
                        .unwrap()
                        .to_utc()
                        + Duration::hours(hour);
                    Span { start, end: start + Duration::minutes(45) }
                })
                .collect();
            let mut busy = busy;
            busy.sort_by_key(|s| s.start);
            busy.dedup_by(|a, b| a.start < b.end);
            Calendar {
                staff_id: Uuid::from_u128(i as u128),
                duration: Duration::minutes(30),
                buffer: Duration::minutes(10),
                week: week.clone(),
                time_off: vec![Span {
                    start: Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap(),
                    end: Utc.with_ymd_and_hms(2026, 10, 21, 0, 0, 0).unwrap(),
                }],
                busy,
            }
        })
        .collect();
    (rules, calendars, first)
}

fn bench(c: &mut Criterion) {
    let (rules, calendars, first) = salon(20, 2000);
    let total: usize = calendars.iter().map(|c| c.busy.len()).sum();
    assert!(total >= 1900, "about 2,000 bookings, got {total}");
    c.bench_function("availability 20 staff x 31 days, 2000 bookings", |b| {
        b.iter(|| black_box(availability(&rules, black_box(&calendars), first, 31)))
    });
    let one = &calendars[..1];
    c.bench_function("availability 1 staff x 1 day", |b| {
        b.iter(|| black_box(availability(&rules, black_box(one), first, 1)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
