//! Clock times and parts of the day.
//!
//! One pattern reads the shapes people use ("3:30 pm", "half past four", "quarter to 5 in the
//! evening", "evening 4:30", "3 o'clock", "noon"); a resolver then applies the meridiem. A bare
//! hour with nothing around it is only a time after a cue word ("at 4", "move it to 4"), and it
//! follows salon hours: 1-7 mean the afternoon, 8-11 the morning, 12 noon. The caller blanks
//! date spans first, so "the 10th" or "3/8" never reach this module.

use std::sync::LazyLock;

use chrono::NaiveTime;
use regex::{Captures, Regex};

use super::PartOfDay;
use super::date::NUMBERS;
use super::text::rx;

/// Words before a bare hour that make it a time.
const CUES: &[&str] =
    &["at", "around", "about", "by", "to", "till", "until", "from", "@", "say", "before", "after"];
/// Words after a bare number that make it a count, not a time.
const UNITS: &[&str] = &[
    "people", "persons", "person", "of", "days", "day", "weeks", "week", "hours", "hour", "minutes",
    "minute", "mins", "min", "stars", "star", "dollars", "bucks", "miles", "mile", "times", "salons", "more",
    "other",
];

/// Minute words that may follow a spoken hour ("two thirty").
const MINUTE_WORDS: [(&str, u32); 8] = [
    ("fifteen", 15),
    ("thirty", 30),
    ("forty five", 45),
    ("forty", 40),
    ("fifty", 50),
    ("twenty", 20),
    ("oh five", 5),
    ("o five", 5),
];

static TIME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let h = format!(r"\d{{1,2}}|{}", NUMBERS[1..].iter().rev().copied().collect::<Vec<_>>().join("|"));
    let mw = MINUTE_WORDS.iter().map(|m| m.0.replace(' ', r"[\s-]?")).collect::<Vec<_>>().join("|");
    rx(&format!(
        r#"(?x)
        \b(?:
            (?P<noon>noon|midday|midnight)
          | (?:a\s+)?(?P<rel>quarter|half|twenty[\s-]five|twenty|ten|five|\d{{1,2}}\s+minutes?)\s+
            (?P<dir>past|after|to|till|til|before|of)\s+(?P<rh>{h})
          | (?P<pre>morning|afternoon|evening|night)\s+(?:at\s+|around\s+)?(?P<ph>\d{{1,2}})(?:[:.](?P<pm>\d{{2}}))?
          | (?P<h>{h})(?:(?P<sep>[:.])(?P<m>\d{{2}})|\s+(?P<mw>{mw}))?
        )
        (?P<oc>\s*o\s?["']?\s?clock)?
        (?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?
        (?:\s*(?P<noon2>noon))?
        (?:\s+(?:in\s+the\s+(?P<pod>morning|afternoon|evening)|at\s+(?P<night>night)|(?P<tonight>tonight)))?"#
    ))
});

static PART: LazyLock<Option<Regex>> =
    LazyLock::new(|| rx(r"\b(?P<p>morning|afternoon|evening|tonight|tonite|night|noonish)\b"));

/// A time found in the text: byte span in the lower-cased text and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    pub time: NaiveTime,
}

/// Every clock time in `masked` (lower-cased text with date spans blanked), in text order.
pub(super) fn find(masked: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    let Some(re) = TIME.as_ref() else { return hits };
    let mut pos = 0;
    while let Some(c) = re.captures_at(masked, pos) {
        let Some(m) = c.get(0) else { break };
        if let Some(time) = accept(masked, &c) {
            hits.push(Hit { start: m.start(), end: m.end(), time });
            pos = m.end().max(pos + 1);
        } else {
            // Retry from the next character: a rejected bare number may hide a real time.
            pos = m.start() + masked[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
    hits
}

/// Parts of the day named in `masked`, as byte spans.
pub(super) fn parts(masked: &str) -> Vec<(usize, usize, PartOfDay)> {
    let Some(re) = PART.as_ref() else { return Vec::new() };
    re.find_iter(masked)
        .map(|m| {
            let p = match m.as_str() {
                "morning" => PartOfDay::Morning,
                "afternoon" | "noonish" => PartOfDay::Afternoon,
                _ => PartOfDay::Evening,
            };
            (m.start(), m.end(), p)
        })
        .collect()
}

fn number(s: &str) -> Option<u32> {
    s.parse().ok().or_else(|| NUMBERS.iter().position(|w| *w == s).map(|i| i as u32))
}

fn minute_word(s: &str) -> Option<u32> {
    let s: String = s.split(|c: char| c.is_whitespace() || c == '-').collect::<Vec<_>>().join(" ");
    MINUTE_WORDS.iter().find(|(w, _)| *w == s || w.replace(' ', "") == s).map(|&(_, v)| v)
}

/// Validates a pattern match in context and resolves it to a time.
fn accept(s: &str, c: &Captures) -> Option<NaiveTime> {
    let m = c.get(0)?;
    if s[m.end()..].chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    if let Some(n) = c.name("noon") {
        return NaiveTime::from_hms_opt(if n.as_str() == "midnight" { 0 } else { 12 }, 0, 0);
    }
    let meridiem = c.name("ampm").map(|a| a.as_str());
    let pod = c
        .name("pod")
        .or(c.name("pre"))
        .or(c.name("night"))
        .or(c.name("tonight"))
        .map(|p| p.as_str())
        .or(c.name("noon2").map(|_| "afternoon"));
    if let Some(rel) = c.name("rel") {
        let hour = resolve_hour(number(c.name("rh")?.as_str())?, meridiem, pod, false)?;
        let mins = match rel.as_str() {
            "quarter" => 15,
            "half" => 30,
            r if r.starts_with("twenty") && r.ends_with("five") => 25,
            r => number(r.split_whitespace().next()?).or_else(|| minute_word(r))?,
        };
        if mins >= 60 {
            return None;
        }
        let total = hour * 60;
        let total = match c.name("dir")?.as_str() {
            "past" | "after" => total + mins,
            _ => (total + 24 * 60 - mins) % (24 * 60),
        };
        return NaiveTime::from_hms_opt(total / 60, total % 60, 0);
    }
    let (hour_m, minute) = match (c.name("ph"), c.name("h")) {
        (Some(ph), _) => (ph, c.name("pm").map(|m| m.as_str().parse().ok()).unwrap_or(Some(0))?),
        (None, Some(h)) => {
            let minute = match (c.name("m"), c.name("mw")) {
                (Some(mm), _) => mm.as_str().parse().ok()?,
                (None, Some(w)) => minute_word(w.as_str())?,
                _ => 0,
            };
            (h, minute)
        }
        _ => return None,
    };
    let hour_txt = hour_m.as_str();
    let hour = number(hour_txt)?;
    // A spoken hour must end at a word boundary ("ten" in "tenth" is no time).
    let after_hour = s[hour_m.end()..].chars().next();
    if after_hour.is_some_and(char::is_alphabetic) && c.name("ampm").is_none_or(|a| a.start() != hour_m.end())
    {
        return None;
    }
    let dot = c.name("sep").is_some_and(|d| d.as_str() == ".");
    let explicit = meridiem.is_some() || pod.is_some();
    let has_minutes = c.name("m").is_some() || c.name("mw").is_some() || c.name("pm").is_some();
    if dot && !explicit {
        return None; // "4.5" is a number, "4.30 pm" a time
    }
    if !explicit && !has_minutes && c.name("oc").is_none() && !bare_ok(s, hour_m.start(), m.end(), hour) {
        return None;
    }
    if minute >= 60 {
        return None;
    }
    let leading_zero = hour_txt.len() == 2 && hour_txt.starts_with('0');
    let hour = resolve_hour(hour, meridiem, pod, leading_zero)?;
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// A bare hour counts only after a cue word and not before a unit ("at 4", not "4 people").
fn bare_ok(s: &str, start: usize, end: usize, hour: u32) -> bool {
    let before = s[..start].split_whitespace().next_back().unwrap_or("");
    let after = s[end..].split_whitespace().next().unwrap_or("");
    let after: String = after.chars().take_while(|c| c.is_alphanumeric()).collect();
    (1..=12).contains(&hour) && CUES.contains(&before) && !UNITS.contains(&after.as_str())
}

/// Applies am/pm or a part of day to an hour; without either, salon hours decide.
fn resolve_hour(hour: u32, meridiem: Option<&str>, pod: Option<&str>, leading_zero: bool) -> Option<u32> {
    if hour > 23 {
        return None;
    }
    let h = match (meridiem, pod) {
        (Some("a"), _) if hour == 12 => 0,
        (Some("a"), _) | (None, Some("morning")) => hour,
        (Some(_), _) | (None, Some(_)) if hour < 12 => hour + 12,
        (Some(_), _) | (None, Some(_)) => hour,
        (None, None) if !leading_zero && (1..=7).contains(&hour) => hour + 12,
        (None, None) => hour,
    };
    Some(h)
}
