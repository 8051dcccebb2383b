//! The conversation's memory and the pure decisions on it: what a new turn adds to what was
//! understood before, which offered slot "the later one" means, which free slots to offer,
//! and how times are said. The service layer does the reading and booking around it.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Suggestion;
use super::nlu::{Choice, Intent, Parsed, PartOfDay};

/// What a conversation has understood so far, kept in its session row between turns.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub intent: Option<Intent>,
    pub service_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub date: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    pub part_of_day: Option<PartOfDay>,
    /// The booking being moved or cancelled, or the one just made ("move it to 4").
    pub booking_id: Option<Uuid>,
    /// A cancellation waiting for a yes.
    #[serde(default)]
    pub confirm_cancel: bool,
    /// The instant of the offered slot picked, while its date and time stand.
    #[serde(default)]
    pub start_at: Option<DateTime<Utc>>,
    /// The slots offered in the last reply, earliest first.
    #[serde(default)]
    pub suggestions: Vec<Suggestion>,
    /// The last question asked, to repeat when an answer is not understood.
    pub question: Option<String>,
}

impl State {
    /// Adds a turn to the state. Returns whether the turn picked one of the offered slots
    /// (by its position, "the later one", its time, or a yes when one was offered).
    pub fn merge(&mut self, p: &Parsed) -> bool {
        let picked = self.pick(p);
        if let Some(s) = &picked {
            self.date = Some(s.date);
            self.date_to = None;
            self.time = NaiveTime::parse_from_str(&s.time, "%H:%M").ok();
            self.part_of_day = None;
            self.staff_id = Some(s.staff_id);
            // The instant offered, so a clock change's repeated hour books the one offered.
            self.start_at = Some(s.start_at);
            if matches!(self.intent, None | Some(Intent::Availability | Intent::Unknown)) {
                self.intent = Some(Intent::Book);
            }
        }
        // A pick answers the question in progress: "yes, the 3pm appointment" while moving a
        // booking still moves it.
        let answers = picked.is_some() && p.intent != Intent::Cancel;
        if p.intent != Intent::Unknown && !answers {
            if self.intent != Some(p.intent) {
                self.confirm_cancel = false;
            }
            self.intent = Some(p.intent);
        }
        if let Some(m) = &p.service {
            self.service_id = Some(m.id);
        }
        if picked.is_none() {
            if let Some(m) = &p.staff {
                self.staff_id = Some(m.id);
            }
            if let Some(date) = p.date {
                self.date = Some(date);
                self.date_to = p.date_to;
                self.start_at = None;
            }
            if let Some(time) = p.time {
                self.time = Some(time);
                self.part_of_day = None;
                self.start_at = None;
            } else if let Some(part) = p.part_of_day {
                self.part_of_day = Some(part);
                self.time = None;
                self.start_at = None;
            }
        }
        let picked = picked.is_some();
        if picked || p.service.is_some() || p.staff.is_some() || p.date.is_some() || p.time.is_some() {
            self.suggestions.clear();
        }
        picked
    }

    fn pick(&self, p: &Parsed) -> Option<Suggestion> {
        let offered = &self.suggestions;
        if offered.is_empty() {
            return None;
        }
        let chosen = match p.choice {
            Some(Choice::Index(i)) => offered.get(i),
            Some(Choice::Last | Choice::Later) => offered.last(),
            Some(Choice::Earlier) => offered.first(),
            None => None,
        };
        if chosen.is_some() {
            return chosen.cloned();
        }
        if let Some(time) = p.time {
            let hhmm = time.format("%H:%M").to_string();
            let staff = p.staff.as_ref().map(|m| m.id);
            return offered
                .iter()
                .filter(|s| s.time == hhmm && p.date.is_none_or(|d| d == s.date))
                .find(|s| staff.is_none_or(|id| id == s.staff_id))
                .cloned();
        }
        (p.affirm && !p.negate && offered.len() == 1).then(|| offered[0].clone())
    }

    /// Forgets the request once it is done; what was booked stays for "move it to 4".
    pub fn finish(&mut self, booking: Option<Uuid>) {
        *self = State { booking_id: booking.or(self.booking_id), ..State::default() };
    }
}

/// Which free slots a reply offers.
#[derive(Debug, Clone, Copy)]
pub enum Want {
    /// The ones nearest this local time.
    Near(NaiveDateTime),
    /// The earliest ones in this part of the day (any time of day if `None`).
    Within(Option<PartOfDay>),
}

/// How many slots a reply offers.
pub const OFFER: usize = 3;

/// Picks up to `limit` slots (`(staff, start)`, sorted by start) that `want` asks for, one
/// per start time (the first staff member listed for it: callers list the asked-for one
/// first), earliest first.
pub fn offer(
    slots: &[(Uuid, DateTime<Utc>)],
    tz: Tz,
    want: Want,
    limit: usize,
    name: impl Fn(Uuid) -> String,
) -> Vec<Suggestion> {
    let mut distinct: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    for &(staff, start) in slots {
        if !distinct.iter().any(|(_, s)| *s == start) {
            distinct.push((staff, start));
        }
    }
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let mut chosen: Vec<(Uuid, DateTime<Utc>)> = match want {
        Want::Near(at) => {
            distinct.sort_by_key(|(_, s)| ((local(*s) - at).num_minutes().abs(), *s));
            distinct.into_iter().take(limit).collect()
        }
        Want::Within(part) => {
            let inside: Vec<_> = distinct
                .iter()
                .copied()
                .filter(|(_, s)| {
                    part.is_none_or(|p| {
                        let (from, to) = p.range();
                        let t = local(*s).time();
                        t >= from && t < to
                    })
                })
                .collect();
            // Nothing in that part of the day: the earliest of the day rather than nothing.
            let pool = if inside.is_empty() { distinct } else { inside };
            pool.into_iter().take(limit).collect()
        }
    };
    chosen.sort_by_key(|(_, s)| *s);
    chosen
        .into_iter()
        .map(|(staff, start)| {
            let at = local(start);
            Suggestion {
                start_at: start,
                date: at.date(),
                time: at.format("%H:%M").to_string(),
                staff_id: staff,
                staff_name: name(staff),
            }
        })
        .collect()
}

/// "Fri 11 Dec at 15:00".
pub fn when(at: NaiveDateTime) -> String {
    format!("{} at {}", day(at.date()), at.format("%H:%M"))
}

/// "Fri 11 Dec".
pub fn day(d: NaiveDate) -> String {
    d.format("%a %-d %b").to_string()
}

/// "A", "A or B", "A, B or C".
pub fn either(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// The offered slots in words: "Jane Doe is free at 14:00 and 15:30 on Fri 11 Dec", or with
/// days and names when they differ.
pub fn offered(suggestions: &[Suggestion]) -> String {
    let Some(first) = suggestions.first() else { return String::new() };
    let one_day = suggestions.iter().all(|s| s.date == first.date);
    let one_person = suggestions.iter().all(|s| s.staff_id == first.staff_id);
    let times: Vec<String> = suggestions
        .iter()
        .map(|s| {
            let at = if one_day { s.time.clone() } else { format!("{} at {}", day(s.date), s.time) };
            if one_person { at } else { format!("{at} with {}", s.staff_name) }
        })
        .collect();
    let at = if one_day { format!(" on {}", day(first.date)) } else { String::new() };
    if one_person {
        format!("{} is free at {}{at}", first.staff_name, either(&times, "and"))
    } else {
        format!("Free times: {}{at}", either(&times, "or"))
    }
}

/// The instant a local wall time names in `tz`: the earlier one when a clock change repeats
/// it, `None` when a clock change skips it.
pub fn instant(tz: Tz, at: NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    tz.from_local_datetime(&at).earliest().map(|t| t.with_timezone(&Utc))
}

/// The local wall time of an instant.
pub fn local(tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

/// The days a request for `date` (to `date_to`) looks at: the range, or that one day;
/// a week from today when no day was named.
pub fn days(date: Option<NaiveDate>, date_to: Option<NaiveDate>, today: NaiveDate) -> (NaiveDate, u32) {
    match (date, date_to) {
        (Some(from), Some(to)) if to >= from => (from, ((to - from).num_days() + 1).clamp(1, 31) as u32),
        (Some(from), _) => (from, 1),
        (None, _) => (today, 7),
    }
}

/// How long a conversation lives after its last turn.
pub fn ttl() -> Duration {
    Duration::minutes(30)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 12, 11).unwrap().and_hms_opt(h, m, 0).unwrap().and_utc()
    }

    #[test]
    fn offers_the_nearest_distinct_times_in_order() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let slots = [(a, at(9, 0)), (b, at(9, 0)), (a, at(14, 0)), (b, at(15, 30)), (a, at(17, 0))];
        let want = Want::Near(at(15, 0).naive_utc());
        let got = offer(&slots, Tz::UTC, want, 3, |_| "X".into());
        let times: Vec<_> = got.iter().map(|s| s.time.as_str()).collect();
        assert_eq!(times, ["14:00", "15:30", "17:00"]);
        let morning = offer(&slots, Tz::UTC, Want::Within(Some(PartOfDay::Morning)), 3, |_| "X".into());
        assert_eq!(morning.len(), 1);
        assert_eq!(morning[0].staff_id, a);
    }

    #[test]
    fn says_lists_like_a_person() {
        assert_eq!(either(&["A".into()], "or"), "A");
        assert_eq!(either(&["A".into(), "B".into(), "C".into()], "or"), "A, B or C");
        let s = |time: &str| Suggestion {
            start_at: at(14, 0),
            date: NaiveDate::from_ymd_opt(2026, 12, 11).unwrap(),
            time: time.into(),
            staff_id: Uuid::from_u128(1),
            staff_name: "Jane".into(),
        };
        assert_eq!(offered(&[s("14:00"), s("15:30")]), "Jane is free at 14:00 and 15:30 on Fri 11 Dec");
    }
}
