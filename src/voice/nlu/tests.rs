//! Unit tests: every documented form against a fixed "now" (Friday 2019-03-01 10:00, SGD's
//! today), the SGD quirks, follow-up answers, intents, fuzzy matching and robustness.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use uuid::Uuid;

use super::*;

fn now() -> NaiveDateTime {
    eval::reference_now()
}

fn entry(n: u128, name: &str, aliases: &[&str]) -> Entry {
    Entry {
        id: Uuid::from_u128(n),
        name: name.into(),
        aliases: aliases.iter().map(|a| (*a).into()).collect(),
    }
}

fn vocab() -> Vocabulary {
    Vocabulary::new(
        vec![
            entry(1, "Men's Haircut", &["men's cut"]),
            entry(2, "Women's Haircut", &[]),
            entry(3, "Balayage", &[]),
            entry(4, "Colour", &["hair color"]),
        ],
        vec![entry(10, "Jane Doe", &[]), entry(11, "Maria Lopez", &[]), entry(12, "Great Clips", &[])],
    )
}

fn p(text: &str) -> Parsed {
    parse(text, now(), &vocab())
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, m, day).unwrap_or_default()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

#[test]
fn all_patterns_compile() {
    let _ = p("warm up");
    assert!(AFFIRM.is_some() && NEGATE.is_some() && CHOICE.is_some());
    assert!(INTENT_RES.iter().all(|r| r.2.is_some()));
    assert!(WISH_RE.is_some() && ELSEWHERE_RE.is_some());
    assert_eq!(p("3pm").time, Some(t(15, 0)), "time pattern");
    assert_eq!(p("march 3").date, Some(d(3, 3)), "date patterns");
}

#[test]
fn dates() {
    let cases: &[(&str, NaiveDate)] = &[
        ("today", d(3, 1)),
        ("later today", d(3, 1)),
        ("tonight", d(3, 1)),
        ("tomorrow", d(3, 2)),
        ("the day after tomorrow", d(3, 3)),
        ("friday", d(3, 1)),
        ("fri", d(3, 1)),
        ("monday", d(3, 4)),
        ("next Friday", d(3, 8)),
        ("next monday", d(3, 4)),
        ("this Saturday", d(3, 2)),
        ("Saturday this week", d(3, 2)),
        ("this sunday", d(3, 3)),
        ("Thursday next week", d(3, 7)),
        ("Friday next week", d(3, 8)),
        ("the 8th", d(3, 8)),
        ("8th", d(3, 8)),
        ("on the 10th", d(3, 10)),
        ("the 1st", d(3, 1)),
        ("4th of this month", d(3, 4)),
        ("14th of March", d(3, 14)),
        ("March 9th", d(3, 9)),
        ("march 3", d(3, 3)),
        ("3/8", d(3, 8)),
        ("2019-03-08", d(3, 8)),
        ("in two weeks", d(3, 15)),
        ("in 3 days", d(3, 4)),
        ("in a week", d(3, 8)),
        ("the fifth of march", d(3, 5)),
    ];
    for (text, want) in cases {
        assert_eq!(p(text).date, Some(*want), "{text}");
    }
    // Rolling to next month when the day has passed.
    let later = NaiveDate::from_ymd_opt(2019, 3, 20).and_then(|d| d.and_hms_opt(9, 0, 0)).unwrap_or_default();
    assert_eq!(parse("the 8th", later, &vocab()).date, Some(d(4, 8)));
    assert_eq!(parse("March 9th", later, &vocab()).date, NaiveDate::from_ymd_opt(2020, 3, 9));
}

#[test]
fn date_ranges() {
    let w = p("this weekend");
    assert_eq!((w.date, w.date_to), (Some(d(3, 2)), Some(d(3, 3))));
    let w = p("next week");
    assert_eq!((w.date, w.date_to), (Some(d(3, 4)), Some(d(3, 10))));
    let sunday = d(3, 3).and_hms_opt(9, 0, 0).unwrap_or_default();
    let w = parse("this weekend", sunday, &vocab());
    assert_eq!((w.date, w.date_to), (Some(d(3, 3)), None));
    assert_eq!(p("next Friday").date_to, None);
}

#[test]
fn times() {
    let cases: &[(&str, NaiveTime)] = &[
        ("3pm", t(15, 0)),
        ("3 pm", t(15, 0)),
        ("3:30 p.m.", t(15, 30)),
        ("15:30", t(15, 30)),
        ("09:45", t(9, 45)),
        ("noon", t(12, 0)),
        ("midday", t(12, 0)),
        ("midnight", t(0, 0)),
        ("half past four", t(16, 30)),
        ("quarter to 5", t(16, 45)),
        ("quarter past 10 in the morning", t(10, 15)),
        ("3 o'clock", t(15, 0)),
        ("3 o\"clock in the afternoon", t(15, 0)),
        ("three in the afternoon", t(15, 0)),
        ("evening 4:30", t(16, 30)),
        ("afternoon 3", t(15, 0)),
        ("morning 11", t(11, 0)),
        ("Morning 10", t(10, 0)),
        ("4:30 in the evening", t(16, 30)),
        ("four in the evening", t(16, 0)),
        ("two pm", t(14, 0)),
        ("eleven am", t(11, 0)),
        ("evening 6", t(18, 0)),
        ("5 in the evening", t(17, 0)),
        ("twelve in the afternoon", t(12, 0)),
        ("12 in the afternoon", t(12, 0)),
        ("half past 12 in the afternoon", t(12, 30)),
        ("quarter to 12 in the morning", t(11, 45)),
        ("11:30", t(11, 30)),
        ("12:00", t(12, 0)),
        ("4:30", t(16, 30)),
        ("at 4", t(16, 0)),
        ("around 4", t(16, 0)),
        ("at 9", t(9, 0)),
        ("at 12", t(12, 0)),
        ("move my appointment to 4", t(16, 0)),
        ("1:45 PM", t(13, 45)),
        ("at two thirty", t(14, 30)),
        ("8 tonight", t(20, 0)),
    ];
    for (text, want) in cases {
        assert_eq!(p(text).time, Some(*want), "{text}");
    }
}

#[test]
fn numbers_that_are_not_times() {
    for text in
        ["the 10th", "3/8", "in 2 weeks", "March 4", "for 2 people", "at 4 stars", "I have 3 kids", "tenth"]
    {
        assert_eq!(p(text).time, None, "{text}");
    }
    let x = p("March 4 at 3pm");
    assert_eq!((x.date, x.time), (Some(d(3, 4)), Some(t(15, 0))));
    let x = p("the 14th, by evening 6");
    assert_eq!((x.date, x.time), (Some(d(3, 14)), Some(t(18, 0))));
}

#[test]
fn parts_of_day() {
    for (text, pod) in [
        ("tomorrow afternoon", PartOfDay::Afternoon),
        ("in the morning", PartOfDay::Morning),
        ("this evening", PartOfDay::Evening),
        ("tonight", PartOfDay::Evening),
    ] {
        let x = p(text);
        assert_eq!((x.part_of_day, x.time), (Some(pod), None), "{text}");
    }
    assert_eq!(p("tomorrow afternoon").date, Some(d(3, 2)));
    assert_eq!(PartOfDay::Afternoon.range(), (t(12, 0), t(17, 0)));
    assert_eq!(p("tomorrow morning 11:45").part_of_day, None);
}

#[test]
fn sgd_quirks() {
    let x = p("Actually, I want an appointment on the 14th at 3 o\"clock in the afternoon.");
    assert_eq!((x.date, x.time), (Some(d(3, 14)), Some(t(15, 0))));
    let x = p("I would like to go to Miller and Mane salon the day after tomorrow in the afternoon 2:45.");
    assert_eq!((x.date, x.time), (Some(d(3, 3)), Some(t(14, 45))));
    let x = p("Did I say March 8th? I am really sorry, that should be March 5th.");
    assert_eq!(x.date, Some(d(3, 5)), "a correction wins");
    let x = p("Sure, could you schedule one in the evening 4:30 on the 4th?");
    assert_eq!((x.date, x.time), (Some(d(3, 4)), Some(t(16, 30))));
}

#[test]
fn slots_have_char_offsets_in_text_order() {
    let text = "Café ✂ book Balayage with Jane next Friday at 3pm";
    let x = p(text);
    let names: Vec<&str> = x.slots.iter().map(|s| s.name).collect();
    assert_eq!(names, ["service", "staff", "date", "time"]);
    for s in &x.slots {
        let by_chars: String = text.chars().skip(s.start).take(s.end - s.start).collect();
        assert_eq!(by_chars, s.text);
    }
    assert_eq!(x.slots[2].value, serde_json::json!("2019-03-08"));
    assert_eq!(x.slots[3].value, serde_json::json!("15:00"));
    assert_eq!(x.slots[0].value, serde_json::json!("Balayage"));
}

#[test]
fn intents() {
    let cases = [
        ("book a men's cut", Intent::Book),
        ("I'd like to make an appointment", Intent::Book),
        ("can I get a colour on friday", Intent::Book),
        ("reserve a slot", Intent::Book),
        ("schedule me in", Intent::Book),
        ("move my appointment to 4", Intent::Reschedule),
        ("reschedule please", Intent::Reschedule),
        ("change my booking to friday", Intent::Reschedule),
        ("push it to next week", Intent::Reschedule),
        ("cancel my appointment", Intent::Cancel),
        ("call off tomorrow's booking", Intent::Cancel),
        ("I can't make it", Intent::Cancel),
        ("when is Jane free on Saturday?", Intent::Availability),
        ("what times are open", Intent::Availability),
        ("is there anything tomorrow", Intent::Availability),
        ("find me a salon", Intent::Availability),
        ("search in Fremont", Intent::Availability),
        ("what is their phone number", Intent::Unknown),
        ("", Intent::Unknown),
    ];
    for (text, want) in cases {
        assert_eq!(p(text).intent, want, "{text}");
    }
}

#[test]
fn follow_up_answers() {
    let cases = [
        ("the later one", Some(Choice::Later)),
        ("the earlier one", Some(Choice::Earlier)),
        ("the first", Some(Choice::Index(0))),
        ("the second one", Some(Choice::Index(1))),
        ("option 3", Some(Choice::Index(2))),
        ("the last one", Some(Choice::Last)),
        ("the first of march", None),
        ("later today", None),
    ];
    for (text, want) in cases {
        assert_eq!(p(text).choice, want, "{text}");
    }
    for text in ["yes", "that works", "sounds good", "I confirm", "ok"] {
        assert!(p(text).affirm && !p(text).negate, "{text}");
    }
    for text in ["no", "neither", "none of those"] {
        assert!(p(text).negate && !p(text).affirm, "{text}");
    }
}

#[test]
fn fuzzy_matching() {
    let x = p("I want balyage");
    assert_eq!(x.service.as_ref().map(|m| m.name.as_str()), Some("Balayage"));
    let x = p("book with jane");
    let staff = x.staff.as_ref();
    assert_eq!(staff.map(|m| m.name.as_str()), Some("Jane Doe"));
    let x = p("a men's cut please");
    assert_eq!(
        x.service.as_ref().map(|m| (m.name.as_str(), m.alternatives.len())),
        Some(("Men's Haircut", 0))
    );
    let x = p("just a cut");
    let m = x.service.as_ref();
    assert!(m.is_some_and(|m| m.alternatives.len() == 1 && m.score < 1.0), "{m:?}");
    assert_eq!(p("can I get a color").service.map(|m| m.name), Some("Colour".into()));
    assert_eq!(p("mens haircuts").service.map(|m| m.name), Some("Men's Haircut".into()));
    // Ordinary words stay ordinary.
    for text in ["the june sale", "that's great, thanks", "cute hat", "Great, see you"] {
        let x = p(text);
        assert!(x.staff.is_none(), "{text}: {:?}", x.staff);
    }
    assert_eq!(p("at Great Clips").staff.map(|m| m.name), Some("Great Clips".into()));
}

#[test]
fn unknown_staff_is_reported() {
    assert_eq!(p("book with Bob tomorrow").unknown_staff.as_deref(), Some("Bob"));
    assert_eq!(p("with Jane").unknown_staff, None);
    assert_eq!(p("with my friend").unknown_staff, None);
    assert_eq!(p("by evening 6").unknown_staff, None);
}

#[test]
fn robustness() {
    let v = vocab();
    let big = "book Balayage with Jane next Friday at 3pm 🎉 ".repeat(2500);
    let mut noise = String::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    noise.push_str(&String::from_utf8_lossy(&bytes));
    for text in [
        "",
        " ",
        "🎉🎉🎉",
        "\u{0}\u{7}\n\t\r",
        "İİİ ǅ ß ﬁ",
        "9999999999:99 pm",
        "the 99th",
        "13/45",
        &big,
        &noise,
    ] {
        let r = parse(text, now(), &v);
        let n = text.chars().count();
        assert!(r.slots.iter().all(|s| s.start <= s.end && s.end <= n));
    }
    let start = std::time::Instant::now();
    let _ = parse(&big, now(), &v);
    assert!(start.elapsed().as_millis() < 2000, "debug build: generous bound");
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn never_panics_and_spans_fit(s in "\\PC{0,80}") {
            let r = parse(&s, now(), &vocab());
            let n = s.chars().count();
            for slot in &r.slots {
                prop_assert!(slot.start <= slot.end && slot.end <= n);
                let by_chars: String = s.chars().skip(slot.start).take(slot.end - slot.start).collect();
                prop_assert_eq!(&by_chars, &slot.text);
            }
        }
    }
}
