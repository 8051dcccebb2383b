//! Offline parser for booking requests in English: intent, service, staff, date, time, and the
//! short answers of follow-up turns ("the later one", "yes").
//!
//! Why hand rules: the forms people use for dates and times are few and well known (the SGD
//! salon dialogues enumerate them), rules resolve them exactly against the salon's "now", run in
//! microseconds without a model, and a failure is a readable table entry to fix rather than a
//! retraining. Off-the-shelf date crates were measured on the same data and read far fewer of
//! these forms (see `eval`). Everything here is deterministic, allocation-light and never panics;
//! only the first [`text::MAX_CHARS`] characters of a text are read.
//!
//! Order of work: dates are found first and their digits blanked, so "the 10th" or "3/8" can't
//! be read as a time; then the time; then the part of day if no time was given; then staff and
//! services over the words that no date or time took; last, intent and follow-up answers.

mod date;
pub mod eval;
mod matcher;
#[cfg(test)]
mod tests;
mod text;
mod time;

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;
use serde_json::Value;
use uuid::Uuid;

use self::matcher::Index;
use self::text::{Text, rx};

/// A service or a staff member; aliases are admin-added synonyms ("men's cut").
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    pub name: String,
    pub aliases: Vec<String>,
}

/// What the salon offers and who works there, with normalized forms precomputed: build once,
/// parse many times.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub services: Vec<Entry>,
    pub staff: Vec<Entry>,
    service_index: Index,
    staff_index: Index,
}

impl Vocabulary {
    /// Normalizes every name and alias once.
    pub fn new(services: Vec<Entry>, staff: Vec<Entry>) -> Self {
        let names = |list: &[Entry]| -> Vec<Vec<String>> {
            list.iter()
                .map(|e| std::iter::once(e.name.clone()).chain(e.aliases.iter().cloned()).collect())
                .collect()
        };
        fn refs(v: &[Vec<String>]) -> Vec<Vec<&str>> {
            v.iter().map(|l| l.iter().map(String::as_str).collect()).collect()
        }
        let (s, t) = (names(&services), names(&staff));
        let service_index = Index::new(&refs(&s), false);
        let staff_index = Index::new(&refs(&t), true);
        Vocabulary { services, staff, service_index, staff_index }
    }
}

/// What the user wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Book,
    Reschedule,
    Cancel,
    Availability,
    Unknown,
}

/// A part of the day named instead of a clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl PartOfDay {
    /// Opening hours covered: morning 08-12, afternoon 12-17, evening 17-21.
    pub fn range(self) -> (NaiveTime, NaiveTime) {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        match self {
            PartOfDay::Morning => (t(8), t(12)),
            PartOfDay::Afternoon => (t(12), t(17)),
            PartOfDay::Evening => (t(17), t(21)),
        }
    }
}

/// A pick among slots the system offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// 0-based: "the first" = 0, "option 3" = 2.
    Index(usize),
    Last,
    Earlier,
    Later,
}

/// One recognized piece of the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// "service", "staff", "date", "time" or "part_of_day".
    pub name: &'static str,
    /// As written.
    pub text: String,
    /// Character (Unicode scalar) offsets into the input, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Resolved: date "YYYY-MM-DD", time "HH:MM", part of day "afternoon", else the canonical name.
    pub value: Value,
}

/// A vocabulary entry found in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Matched {
    pub id: Uuid,
    pub name: String,
    /// 1.0 for an exact match; lower for typos, first names and single words of a name.
    pub score: f64,
    /// Other entries scoring within a small margin of the best: non-empty = ambiguous.
    pub alternatives: Vec<(Uuid, String)>,
}

/// Everything understood in one utterance.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub intent: Intent,
    pub service: Option<Matched>,
    pub staff: Option<Matched>,
    pub date: Option<NaiveDate>,
    /// Inclusive end when the text names a range ("this weekend"); `None` for one day.
    pub date_to: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    pub part_of_day: Option<PartOfDay>,
    pub choice: Option<Choice>,
    pub affirm: bool,
    pub negate: bool,
    /// "with Bob" where Bob is no staff member: the name as written.
    pub unknown_staff: Option<String>,
    /// In text order.
    pub slots: Vec<Slot>,
}

/// Phrases that signal an intent, with a weight: the highest total wins, and a tie goes to
/// the first intent in this table's order (reschedule, cancel, availability, book).
const INTENTS: &[(Intent, u32, &str)] = &[
    (
        Intent::Reschedule,
        5,
        r"re-?schedul\w*|move (?:my|the|it|our|that)|push (?:it|my|the|that)|postpone|bring (?:it|my) forward|change (?:my|the|our) (?:appointment|booking|reservation|time)|change (?:it|the time) to|different (?:time|day)",
    ),
    (
        Intent::Cancel,
        5,
        r"cancel\w*|call (?:it )?off|can'?t make it|cannot make it|won'?t make it|not going to make it|drop my (?:appointment|booking)",
    ),
    (
        Intent::Availability,
        2,
        r"find|search\w*|look(?:ing)? for|available|availability|free|open(?:ing|ings)?|what times?|which times?|any (?:slots?|times?|openings?)|is there anything|anything (?:on|at|for)|other (?:salons?|options?)|another (?:one|salon)|different (?:one|salon)|recommend\w*|suggest\w*|salons? in|stylists? in",
    ),
    (
        Intent::Availability,
        1,
        r"(?:a|any|some|another|other|different|good|nice|unisex|hair) (?:salon|saloon|barber ?shop|stylist|hairdresser)s?|(?:one|place|somewhere) in",
    ),
    (
        Intent::Book,
        3,
        r"book\w*|appointment|reserv\w*|schedule|make (?:it|one)|set (?:it|one|me) up|sign me up|get me in",
    ),
];

/// Wishes that mean booking only when something bookable (a date, time, service or staff
/// member) is named: "I'd like a colour on Friday" books, "I'd like their address" does not.
const WISHES: &str = r"\b(?:i'?d like|i would like|i want|i wanna|can i get|could i get|can i have|i need|let'?s do|go (?:for|with)|visit\w*|come in|see)\b";

/// Other errands a salon assistant does not handle ("find me a restaurant"): no intent.
const ELSEWHERE: &str = r"\b(?:movies?|films?|restaurants?|table|cab|taxi|ride|rides|flights?|hotels?|weather|music|songs?|calendar|events?|theat(?:er|re)s?)\b";

static WISH_RE: LazyLock<Option<Regex>> = LazyLock::new(|| rx(WISHES));
static ELSEWHERE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| rx(ELSEWHERE));

static INTENT_RES: LazyLock<Vec<(Intent, u32, Option<Regex>)>> =
    LazyLock::new(|| INTENTS.iter().map(|&(i, w, p)| (i, w, rx(&format!(r"\b(?:{p})\b")))).collect());

static AFFIRM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    rx(
        r"\b(?:yes|yeah|yep|yup|sure|ok|okay|alright|all right|correct|right|perfect|great|fine|that works|works for me|sounds (?:good|great|fine|perfect)|i confirm|confirm(?:ed)?|go ahead|do it|absolutely|definitely)\b",
    )
});
static NEGATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    rx(
        r"\b(?:no|nope|nah|neither|none of (?:those|them|these)|not really|doesn'?t work|don'?t (?:want|like)|not that)\b",
    )
});
static CHOICE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    rx(
        r"\b(?:(?:the\s+)?(?P<w>later|earlier|last|first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\s+(?:one|option|slot|time)s?\b|the\s+(?P<v>later|earlier|last|first|second|third|fourth|fifth)\b|(?:option|number|choice|slot)\s+(?P<n>\d{1,2}|one|two|three|four|five)\b)",
    )
});

/// Lower-cased words that are no name after "with"/"by" ("with my friend", "by evening").
const NOT_NAMES: &[&str] = &[
    "someone",
    "anyone",
    "anybody",
    "somebody",
    "whoever",
    "him",
    "her",
    "them",
    "us",
    "you",
    "me",
    "myself",
    "friend",
    "noon",
    "morning",
    "afternoon",
    "evening",
    "tonight",
    "today",
    "tomorrow",
    "then",
    "now",
    "phone",
    "card",
    "cash",
    "credit",
    "email",
    "text",
    "all",
    "way",
    "chance",
    "any",
    "no",
    "more",
    "less",
    "far",
    "myself",
    "stylist",
    "hairdresser",
    "barber",
    "same",
    "other",
    "another",
    "whom",
    "who",
    "end",
    "around",
    "about",
];

/// Parses one utterance relative to `now` (salon-local wall time).
pub fn parse(text: &str, now: NaiveDateTime, vocab: &Vocabulary) -> Parsed {
    let t = Text::new(text);
    let lower = t.lower.as_str();
    let mut slots = Vec::new();
    let mut slot = |name, start: usize, end: usize, value: Value| {
        let (start, end) = (t.char_at(start), t.char_at(end));
        slots.push(Slot { name, text: t.slice(start, end).to_owned(), start, end, value });
    };

    // Dates; their digits are blanked so no rule below reads them again.
    let dates = date::find(lower, now.date());
    let mut masked = lower.as_bytes().to_vec();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for h in &dates {
        if lower[h.start..h.end].bytes().any(|b| b.is_ascii_digit()) {
            masked[h.start..h.end].fill(b' ');
        }
        taken.push((h.start, h.end));
    }
    let masked = String::from_utf8(masked).unwrap_or_default();
    // Of several mentions the last counts: "Did I say March 8th? That should be March 5th."
    let chosen_date = dates.last().copied();
    if let Some(h) = chosen_date {
        slot("date", h.start, h.end, Value::String(h.date.format("%Y-%m-%d").to_string()));
    }

    let time = time::find(&masked).last().copied();
    if let Some(h) = time {
        slot("time", h.start, h.end, Value::String(h.time.format("%H:%M").to_string()));
        taken.push((h.start, h.end));
    }
    let mut part_of_day = None;
    if time.is_none()
        && let Some(&(s, e, p)) = time::parts(&masked).first()
    {
        part_of_day = Some(p);
        slot("part_of_day", s, e, serde_json::to_value(p).unwrap_or(Value::Null));
        taken.push((s, e));
    }

    // Entities over the words no date or time took.
    let taken_chars: Vec<(usize, usize)> = taken.iter().map(|&(s, e)| (t.char_at(s), t.char_at(e))).collect();
    let mut blocked: Vec<bool> =
        t.tokens.iter().map(|tok| taken_chars.iter().any(|&(s, e)| tok.start < e && tok.end > s)).collect();
    let to_matched = |f: &matcher::Found, list: &[Entry]| -> Option<Matched> {
        let e = list.get(f.entry)?;
        Some(Matched {
            id: e.id,
            name: e.name.clone(),
            score: f.score,
            alternatives: f
                .alternatives
                .iter()
                .filter_map(|&a| list.get(a))
                .map(|a| (a.id, a.name.clone()))
                .collect(),
        })
    };
    let staff_found = vocab.staff_index.best(&t.tokens, &blocked);
    let staff = staff_found.as_ref().and_then(|f| to_matched(f, &vocab.staff));
    if let (Some(f), Some(m)) = (&staff_found, &staff) {
        for (b, tok) in blocked.iter_mut().zip(&t.tokens) {
            *b |= tok.start < f.end && tok.end > f.start;
        }
        let end = with_period(&t, f.end, vocab.staff.get(f.entry));
        push_char_slot(&mut slots, &t, "staff", f.start, end, Value::String(m.name.clone()));
    }
    let service_found = vocab.service_index.best(&t.tokens, &blocked);
    let service = service_found.as_ref().and_then(|f| to_matched(f, &vocab.services));
    if let (Some(f), Some(m)) = (&service_found, &service) {
        for (b, tok) in blocked.iter_mut().zip(&t.tokens) {
            *b |= tok.start < f.end && tok.end > f.start;
        }
        let end = with_period(&t, f.end, vocab.services.get(f.entry));
        push_char_slot(&mut slots, &t, "service", f.start, end, Value::String(m.name.clone()));
    }
    let unknown_staff = if staff.is_none() { unknown_staff(&t, &blocked) } else { None };
    slots.sort_by_key(|s| (s.start, s.end));

    let choice = CHOICE.as_ref().and_then(|re| {
        re.captures_iter(&masked).find_map(|c| {
            let m = c.get(0)?;
            if taken.iter().any(|&(s, e)| m.start() < e && m.end() > s) {
                return None;
            }
            choice(c.name("w").or(c.name("v")).or(c.name("n"))?.as_str())
        })
    });
    let found = |re: &Option<Regex>| re.as_ref().is_some_and(|re| re.is_match(lower));
    let bookable = chosen_date.is_some()
        || time.is_some()
        || part_of_day.is_some()
        || service.is_some()
        || staff.is_some();
    Parsed {
        intent: intent(lower, bookable),
        service,
        staff,
        date: chosen_date.map(|h| h.date),
        date_to: chosen_date.and_then(|h| h.to),
        time: time.map(|h| h.time),
        part_of_day,
        choice,
        affirm: found(&AFFIRM),
        negate: found(&NEGATE),
        unknown_staff,
        slots,
    }
}

/// Lower-cases and folds a text the way the parser sees it (for callers that compare names).
pub fn normalize(s: &str) -> String {
    text::normalize_phrase(s).join(" ")
}

/// Keeps a name's final period in the span ("Alexander G."), when the name has one.
fn with_period(t: &Text, end: usize, entry: Option<&Entry>) -> usize {
    let dotted = entry.is_some_and(|e| std::iter::once(&e.name).chain(&e.aliases).any(|n| n.ends_with('.')));
    if dotted && t.slice(end, end + 1) == "." { end + 1 } else { end }
}

fn push_char_slot(
    slots: &mut Vec<Slot>,
    t: &Text,
    name: &'static str,
    start: usize,
    end: usize,
    value: Value,
) {
    slots.push(Slot { name, text: t.slice(start, end).to_owned(), start, end, value });
}

fn intent(lower: &str, bookable: bool) -> Intent {
    let found = |re: &Option<Regex>| re.as_ref().is_some_and(|re| re.is_match(lower));
    if found(&ELSEWHERE_RE) && !bookable {
        return Intent::Unknown;
    }
    let mut totals = [0u32; 4];
    if bookable && found(&WISH_RE) {
        totals[3] += 2;
    }
    let order = [Intent::Reschedule, Intent::Cancel, Intent::Availability, Intent::Book];
    for (i, w, re) in INTENT_RES.iter() {
        if let (Some(k), Some(re)) = (order.iter().position(|o| o == i), re) {
            totals[k] += w * re.find_iter(lower).count().min(2) as u32;
        }
    }
    let best = totals.iter().copied().max().unwrap_or(0);
    if best == 0 {
        return Intent::Unknown;
    }
    order.iter().zip(totals).find(|&(_, s)| s == best).map_or(Intent::Unknown, |(i, _)| *i)
}

fn choice(w: &str) -> Option<Choice> {
    const ORDER: [[&str; 3]; 5] = [
        ["first", "1st", "1"],
        ["second", "2nd", "2"],
        ["third", "3rd", "3"],
        ["fourth", "4th", "4"],
        ["fifth", "5th", "5"],
    ];
    match w {
        "later" => Some(Choice::Later),
        "earlier" => Some(Choice::Earlier),
        "last" => Some(Choice::Last),
        _ => {
            let words = ["one", "two", "three", "four", "five"];
            let i = ORDER.iter().position(|o| o.contains(&w)).or_else(|| words.iter().position(|x| *x == w));
            i.or_else(|| w.parse::<usize>().ok().and_then(|n| n.checked_sub(1))).map(Choice::Index)
        }
    }
}

/// "with Bob" / "by Bob": the word(s) after the cue, when no staff member matched.
fn unknown_staff(t: &Text, blocked: &[bool]) -> Option<String> {
    let toks = &t.tokens;
    (0..toks.len())
        .filter(|&i| toks[i].norm == "with" || toks[i].norm == "by")
        .find_map(|i| name_after(t, blocked, i))
}

fn name_after(t: &Text, blocked: &[bool], i: usize) -> Option<String> {
    let toks = &t.tokens;
    let first = toks.get(i + 1)?;
    let usable = |k: usize| {
        toks.get(k).is_some_and(|x| {
            !blocked.get(k).copied().unwrap_or(true)
                && x.norm.chars().all(char::is_alphabetic)
                && !matcher::STOP.contains(&x.norm.as_str())
                && !NOT_NAMES.contains(&x.norm.as_str())
        })
    };
    if !usable(i + 1) {
        return None;
    }
    let mut end = first.end;
    if first.capitalized && usable(i + 2) && toks[i + 2].capitalized && toks[i + 2].start == end + 1 {
        end = toks[i + 2].end;
    }
    Some(t.slice(first.start, end).to_owned())
}
