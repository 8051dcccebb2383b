//! Off-the-shelf date parsers (interim, chrono-english) on the held-out SGD date and time
//! spans and whole utterances, scored like `salon voice-eval` (2019-03-01 10:00 as now).
use chrono::{Timelike, TimeZone, Utc};
use salon::voice::nlu::eval::{is_heldout, read_lines};

type P = fn(&str) -> Option<chrono::DateTime<Utc>>;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 3, 1, 10, 0, 0).unwrap()
}
fn interim_p(s: &str) -> Option<chrono::DateTime<Utc>> {
    interim::parse_date_string(s, now(), interim::Dialect::Us).ok()
}
fn english_p(s: &str) -> Option<chrono::DateTime<Utc>> {
    chrono_english::parse_date_string(s, now(), chrono_english::Dialect::Us).ok()
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/sgd_services_1/train.jsonl".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<_> = read_lines(&text).unwrap().into_iter().filter(|l| is_heldout(&l.dialogue_id)).collect();
    for (name, f) in [("interim 0.2", interim_p as P), ("chrono-english 0.1", english_p as P)] {
        let (mut ds, mut dsn, mut du, mut ts, mut tsn, mut tu) = (0, 0, 0, 0, 0, 0);
        for l in &lines {
            if let (Some(gold), Some(span)) = (l.values.get("appointment_date"), l.slots.get("appointment_date")) {
                dsn += 1;
                let g = |r: Option<chrono::DateTime<Utc>>| r.is_some_and(|d| d.format("%Y-%m-%d").to_string() == *gold);
                ds += usize::from(g(f(span)));
                du += usize::from(g(f(&l.utterance)));
            }
            if let (Some(gold), Some(span)) = (l.values.get("appointment_time"), l.slots.get("appointment_time")) {
                tsn += 1;
                let g = |r: Option<chrono::DateTime<Utc>>| r.is_some_and(|d| format!("{:02}:{:02}", d.hour(), d.minute()) == *gold);
                ts += usize::from(g(f(span)));
                tu += usize::from(g(f(&l.utterance)));
            }
        }
        println!("{name}: date span {:.3} ({ds}/{dsn}) utterance {:.3} ({du}/{dsn}); time span {:.3} ({ts}/{tsn}) utterance {:.3} ({tu}/{tsn})",
            ds as f64 / dsn as f64, du as f64 / dsn as f64, ts as f64 / tsn as f64, tu as f64 / tsn as f64);
    }
}
