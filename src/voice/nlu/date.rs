//! Dates relative to "now": a table of patterns, each with a resolver.
//!
//! Every pattern runs over the whole (lower-cased) text; overlapping hits are settled by
//! keeping the longest, so "Thursday next week" wins over "Thursday" and "next week".
//! Conventions follow what people (and the SGD dataset) mean: "next Friday" is the next one to
//! come and never today, "Thursday next week" is in the Monday-to-Sunday week after this one,
//! and a bare day of month ("the 8th") is the next such day on or after today.

use std::sync::LazyLock;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use regex::{Captures, Regex};

use super::text::rx;

/// A date found in the text: byte span in the lower-cased text, first day, last day of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    pub date: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// Cardinal number words, index = value.
pub(super) const NUMBERS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];

const ORDINALS: [&str; 31] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty first",
    "twenty second",
    "twenty third",
    "twenty fourth",
    "twenty fifth",
    "twenty sixth",
    "twenty seventh",
    "twenty eighth",
    "twenty ninth",
    "thirtieth",
    "thirty first",
];

const WEEKDAYS: [(&str, Weekday); 17] = [
    ("monday", Weekday::Mon),
    ("mon", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("tues", Weekday::Tue),
    ("tue", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("wed", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("thurs", Weekday::Thu),
    ("thur", Weekday::Thu),
    ("thu", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("fri", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sat", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("sun", Weekday::Sun),
];

const MONTHS: [(&str, u32); 24] = [
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// What a pattern means; the resolver reads its captures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Iso,
    Slash,
    MonthDay,
    DayMonth,
    Ordinal,
    DayAfterTomorrow,
    Today,
    Tomorrow,
    Weekday,
    WeekWeekday,
    Weekend,
    Week,
    InPeriod,
    PeriodFromNow,
}

fn alt(words: impl Iterator<Item = &'static str>) -> String {
    words.map(|w| w.replace(' ', r"[\s-]+")).collect::<Vec<_>>().join("|")
}

static RULES: LazyLock<Vec<(Option<Regex>, Kind)>> = LazyLock::new(|| {
    let wd = alt(WEEKDAYS.iter().map(|w| w.0));
    let mon = alt(MONTHS.iter().map(|m| m.0));
    let ordw = alt(ORDINALS.iter().copied());
    let num = alt(NUMBERS.iter().copied()) + r"|a|an|a\s+couple\s+of|couple\s+of|\d{1,3}";
    let day = format!(r"(?P<d>\d{{1,2}}|{ordw})(?:st|nd|rd|th)?");
    let year = r"(?:,?\s+(?P<y>\d{4}))?";
    let table = [
        (r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b".to_owned(), Kind::Iso),
        (r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?\b".to_owned(), Kind::Slash),
        (format!(r"\b(?P<mon>{mon})\.?\s+(?:the\s+)?{day}\b{year}"), Kind::MonthDay),
        (
            format!(
                r"\b(?:the\s+)?{day}\s+(?:of\s+)?(?:(?P<mon>{mon})|(?P<rel>this|next|the\s+next)\s+month)\b{year}"
            ),
            Kind::DayMonth,
        ),
        (r"\b(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)\b".to_owned(), Kind::Ordinal),
        (r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw)\b".to_owned(), Kind::DayAfterTomorrow),
        (r"\b(?:later\s+)?today\b|\btonight\b|\btonite\b".to_owned(), Kind::Today),
        (r"\b(?:tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr)\b".to_owned(), Kind::Tomorrow),
        (
            format!(
                r"\b(?:(?P<mod>next|this|coming|this\s+coming|the\s+coming)\s+)?(?P<wd>{wd})\b\.?(?:\s+(?:of\s+)?(?P<wk>this|next|the\s+following|the\s+next)\s+week\b)?"
            ),
            Kind::Weekday,
        ),
        (format!(r"\b(?P<wk>next|this)\s+week\s+(?:on\s+)?(?P<wd>{wd})\b"), Kind::WeekWeekday),
        (r"\b(?:(?P<mod>next|this|the|this\s+coming|coming)\s+)?weekend\b".to_owned(), Kind::Weekend),
        (r"\b(?P<mod>next|this|the\s+following)\s+week\b".to_owned(), Kind::Week),
        (format!(r"\bin\s+(?P<n>{num})\s+(?P<u>days?|weeks?|months?)\b"), Kind::InPeriod),
        (
            format!(r"\b(?P<n>{num})\s+(?P<u>days?|weeks?|months?)\s+from\s+(?:now|today)\b"),
            Kind::PeriodFromNow,
        ),
    ];
    table.into_iter().map(|(p, k)| (rx(&p), k)).collect()
});

/// Every date in `lower`, non-overlapping, in text order.
pub(super) fn find(lower: &str, today: NaiveDate) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (re, kind) in RULES.iter() {
        let Some(re) = re else { continue };
        for c in re.captures_iter(lower) {
            let Some(m) = c.get(0) else { continue };
            // "the 2nd one", "the 3rd option": a pick among offered slots, not a day.
            if *kind == Kind::Ordinal && picks_an_offer(&lower[m.end()..]) {
                continue;
            }
            if let Some((date, to)) = resolve(*kind, &c, today) {
                hits.push(Hit { start: m.start(), end: m.end(), date, to });
            }
        }
    }
    hits.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.start));
    let mut kept: Vec<Hit> = Vec::new();
    for h in hits {
        if kept.iter().all(|k| h.end <= k.start || h.start >= k.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

fn picks_an_offer(after: &str) -> bool {
    let next = after.split_whitespace().next().unwrap_or_default();
    let next = next.trim_matches(|c: char| !c.is_alphanumeric());
    ["one", "ones", "option", "slot", "choice", "time"].contains(&next)
}

fn word_value(s: &str, table: &[&str]) -> Option<u32> {
    let s = s
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    table.iter().position(|w| *w == s).map(|i| i as u32)
}

fn day_number(s: &str) -> Option<u32> {
    s.parse().ok().or_else(|| word_value(s, &ORDINALS).map(|i| i + 1))
}

fn lookup<T: Copy>(table: &[(&str, T)], s: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == s).map(|&(_, v)| v)
}

/// The date of `month`/`day` on or after `today` (next year when passed), or in `year`.
fn month_day(today: NaiveDate, month: u32, day: u32, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    let this = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

fn year_of(c: &Captures) -> Option<i32> {
    let y: i32 = c.name("y")?.as_str().parse().ok()?;
    Some(if y < 100 { 2000 + y } else { y })
}

fn add_days(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(n))
}

fn monday_of(d: NaiveDate) -> Option<NaiveDate> {
    d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))
}

fn resolve(kind: Kind, c: &Captures, today: NaiveDate) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let get = |n: &str| c.name(n).map(|m| m.as_str());
    let one = |d: Option<NaiveDate>| d.map(|d| (d, None));
    match kind {
        Kind::Iso => one(NaiveDate::from_ymd_opt(
            get("y")?.parse().ok()?,
            get("m")?.parse().ok()?,
            get("d")?.parse().ok()?,
        )),
        Kind::Slash => one(month_day(today, get("m")?.parse().ok()?, get("d")?.parse().ok()?, year_of(c))),
        Kind::MonthDay | Kind::DayMonth => {
            let day = day_number(get("d")?)?;
            if let Some(mon) = get("mon") {
                return one(month_day(today, lookup(&MONTHS, mon)?, day, year_of(c)));
            }
            let base = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
            let base = if get("rel")? == "this" { base } else { base.checked_add_months(Months::new(1))? };
            one(base.with_day(day))
        }
        Kind::Ordinal => {
            let day = day_number(get("d")?)?;
            let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
            (0..13).find_map(|k| {
                let d = first.checked_add_months(Months::new(k))?.with_day(day)?;
                (d >= today).then_some((d, None))
            })
        }
        Kind::DayAfterTomorrow => one(add_days(today, 2)),
        Kind::Today => Some((today, None)),
        Kind::Tomorrow => one(add_days(today, 1)),
        Kind::Weekday | Kind::WeekWeekday => {
            let wd = lookup(&WEEKDAYS, get("wd")?)?;
            let t = today.weekday().num_days_from_monday();
            let w = wd.num_days_from_monday();
            let ahead = u64::from((w + 7 - t) % 7);
            let date = match (get("mod"), get("wk")) {
                (_, Some(wk)) if wk != "this" => add_days(monday_of(today)?, 7 + u64::from(w)),
                (_, Some(_)) | (Some("this"), None) if w >= t => add_days(today, ahead),
                (Some(m), None) if m != "this" && ahead == 0 => add_days(today, 7),
                _ => add_days(today, ahead),
            };
            one(date)
        }
        Kind::Weekend => {
            let monday = monday_of(today)?;
            let next = get("mod") == Some("next");
            let sat = add_days(monday, if next { 12 } else { 5 })?;
            let sun = add_days(sat, 1)?;
            if !next && today.weekday() == Weekday::Sun {
                return Some((today, None));
            }
            Some((sat.max(today), Some(sun)))
        }
        Kind::Week => {
            let monday = monday_of(today)?;
            if get("mod") == Some("this") {
                return Some((today, Some(add_days(monday, 6)?)));
            }
            Some((add_days(monday, 7)?, Some(add_days(monday, 13)?)))
        }
        Kind::InPeriod | Kind::PeriodFromNow => {
            let n = get("n")?;
            let n = match n {
                "a" | "an" => 1,
                _ if n.contains("couple") => 2,
                _ => n.parse().ok().or_else(|| word_value(n, &NUMBERS))?,
            };
            let unit = get("u")?;
            let date = if unit.starts_with("month") {
                today.checked_add_months(Months::new(n))
            } else {
                add_days(today, u64::from(n) * if unit.starts_with("week") { 7 } else { 1 })
            };
            one(date)
        }
    }
}
