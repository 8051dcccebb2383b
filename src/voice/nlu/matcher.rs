//! Fuzzy matching of services and staff against the words of the text.
//!
//! Names and aliases are normalized once (in `Vocabulary::new`) to words and a squashed form
//! without spaces. Every window of up to [`MAX_WORDS`] words is compared by Damerau-Levenshtein
//! distance with an edit budget that grows with length: none up to 4 letters ("jane" must be
//! exact, so "june" is no staff), one up to 7, two beyond ("balyage" -> "Balayage"). A length
//! check skips almost every comparison, so the cost stays linear in the text. Weaker forms score
//! lower so that a full name beats a first name: a staff member's first name alone (0.9, only
//! after "with"/"by" or when capitalized mid-sentence) and one word of a service name (0.7:
//! "cut" in "Men's Haircut"), which usually leaves several entries close together, i.e.
//! ambiguous.

use super::text::{Token, normalize_phrase};

/// Longest window of words compared with a name.
const MAX_WORDS: usize = 6;
/// Entries within this score of the best are reported as alternatives.
pub(super) const MARGIN: f64 = 0.05;

/// Words that never begin or end a name match unless the name itself has them there.
pub(super) const STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "at",
    "with",
    "by",
    "on",
    "in",
    "to",
    "for",
    "and",
    "or",
    "of",
    "i",
    "me",
    "my",
    "it",
    "is",
    "be",
    "can",
    "want",
    "like",
    "would",
    "please",
    "get",
    "book",
    "appointment",
    "some",
    "one",
    "that",
    "this",
    "there",
    "salon",
    "you",
    "your",
    "we",
    "do",
    "from",
    "am",
    "pm",
    "next",
    "any",
    "up",
];
/// Words after "with"/"by" that name a staff member only when capitalized mid-sentence.
const CUES: &[&str] = &["with", "by", "see", "ask", "prefer", "want"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strength {
    Full,
    FirstName,
    Part,
}

#[derive(Debug, Clone)]
struct Form {
    entry: usize,
    words: Vec<String>,
    squashed: String,
    len: usize,
    hist: Hist,
    strength: Strength,
    /// Only common words ("Barber Shop", "Parlor"): must be written capitalized to count.
    generic: bool,
}

/// Letter counts (folded into 32 bins) and length: a cheap lower bound on edit distance.
#[derive(Debug, Clone, PartialEq)]
struct Hist {
    bins: [u8; 32],
    len: usize,
}

impl Hist {
    fn of(s: &str) -> Self {
        let mut bins = [0u8; 32];
        let mut len = 0;
        for c in s.chars() {
            let b = &mut bins[(c as usize) % 32];
            *b = b.saturating_add(1);
            len += 1;
        }
        Hist { bins, len }
    }
}

/// Each edit changes the letter counts by at most 2, so half this sum bounds the distance.
fn bag_distance(a: &Hist, b: &Hist) -> usize {
    a.bins.iter().zip(&b.bins).map(|(x, y)| usize::from(x.abs_diff(*y))).sum()
}

/// Precomputed forms of one list of entries (services or staff).
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    forms: Vec<Form>,
    has_parts: bool,
}

/// The best entry for a text, its span (char offsets) and the near-equal others.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub entry: usize,
    pub start: usize,
    pub end: usize,
    pub score: f64,
    pub alternatives: Vec<usize>,
}

impl Index {
    /// `names[i]` holds entry i's name followed by its aliases.
    pub fn new(names: &[Vec<&str>], staff: bool) -> Self {
        let mut forms = Vec::new();
        for (entry, list) in names.iter().enumerate() {
            for name in list {
                let words = normalize_phrase(name);
                if words.is_empty() {
                    continue;
                }
                if staff && person_like(&words) {
                    forms.push(form(entry, vec![words[0].clone()], Strength::FirstName));
                }
                if !staff {
                    for w in words.iter().filter(|w| w.len() >= 3 && !STOP.contains(&w.as_str())) {
                        forms.push(form(entry, vec![w.clone()], Strength::Part));
                    }
                }
                forms.push(form(entry, words, Strength::Full));
            }
        }
        // Sorted by word count and length, so a window only visits forms it could match.
        forms.sort_by(|a, b| {
            (a.words.len(), a.len, &a.squashed, a.entry, a.strength as u8).cmp(&(
                b.words.len(),
                b.len,
                &b.squashed,
                b.entry,
                b.strength as u8,
            ))
        });
        forms.dedup_by(|a, b| a.entry == b.entry && a.squashed == b.squashed && a.strength == b.strength);
        let has_parts = forms.iter().any(|f| f.strength == Strength::Part);
        Index { forms, has_parts }
    }

    /// One-word service forms longer than `len` + 2: only a suffix match ("cut") can hit them.
    fn part_suffixes(&self, len: usize) -> &[Form] {
        if !self.has_parts {
            return &[];
        }
        let lo = self.forms.partition_point(|f| (f.words.len(), f.len) <= (1, len + 2));
        let hi = self.forms.partition_point(|f| f.words.len() <= 1);
        self.forms.get(lo..hi.max(lo)).unwrap_or(&[])
    }

    /// Forms of `words` words whose squashed length is within `len` ± 2.
    fn candidates(&self, words: usize, len: usize) -> &[Form] {
        let lo = self.forms.partition_point(|f| (f.words.len(), f.len) < (words, len.saturating_sub(2)));
        let hi = self.forms.partition_point(|f| (f.words.len(), f.len) <= (words, len + 2));
        self.forms.get(lo..hi.max(lo)).unwrap_or(&[])
    }

    /// Best match among `tokens`, skipping those marked in `blocked`.
    pub fn best(&self, tokens: &[Token], blocked: &[bool]) -> Option<Found> {
        if self.forms.is_empty() {
            return None;
        }
        // Per entry: (score, start, end), best first by score then length.
        let mut per_entry: Vec<Option<(f64, usize, usize)>> = Vec::new();
        let stop: Vec<bool> = tokens.iter().map(|t| STOP.contains(&t.norm.as_str())).collect();
        for i in 0..tokens.len() {
            let mut squashed = String::new();
            for n in 1..=MAX_WORDS.min(tokens.len() - i) {
                let last = i + n - 1;
                if blocked.get(last).copied().unwrap_or(true) {
                    break;
                }
                squashed.push_str(&tokens[last].norm);
                let hist = Hist::of(&squashed);
                let len = hist.len;
                let suffixes = if n == 1 { self.part_suffixes(len) } else { &[] };
                let near = (n.saturating_sub(1)..=n + 1).flat_map(|w| self.candidates(w, len));
                for f in near.chain(suffixes) {
                    if let Some(score) =
                        score(f, &tokens[i..=last], (stop[i], stop[last]), &squashed, &hist, tokens, i)
                    {
                        if per_entry.len() <= f.entry {
                            per_entry.resize(f.entry + 1, None);
                        }
                        let (start, end) = (tokens[i].start, tokens[last].end);
                        let better = per_entry[f.entry]
                            .is_none_or(|(s, a, b)| score > s || (score == s && end - start > b - a));
                        if better {
                            per_entry[f.entry] = Some((score, start, end));
                        }
                    }
                }
            }
        }
        let mut ranked: Vec<(usize, f64, usize, usize)> =
            per_entry.iter().enumerate().filter_map(|(e, m)| m.map(|(s, a, b)| (e, s, a, b))).collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then((y.3 - y.2).cmp(&(x.3 - x.2))).then(x.2.cmp(&y.2)));
        let &(entry, score, start, end) = ranked.first()?;
        let alternatives = ranked[1..].iter().filter(|r| r.1 >= score - MARGIN).map(|r| r.0).collect();
        Some(Found { entry, start, end, score, alternatives })
    }
}

/// Words of business names: "Fremont Barber Shop" is no person whose first name is Fremont.
const BUSINESS: &[&str] = &[
    "salon",
    "barber",
    "barbershop",
    "shop",
    "hair",
    "studio",
    "spa",
    "cut",
    "cutz",
    "clip",
    "beauty",
    "parlor",
    "parlour",
    "lounge",
    "bar",
    "co",
    "inc",
    "nail",
    "boutique",
    "gallery",
    "team",
    "care",
    "design",
    "grooming",
    "haircut",
    "beautique",
    "braiding",
    "kutz",
    "garage",
    "center",
    "village",
    "station",
    "city",
    "and",
    "of",
];

/// A staff name whose first word alone may name them: two or three words, none a business word.
fn person_like(words: &[String]) -> bool {
    (2..=3).contains(&words.len())
        && words[0].len() >= 2
        && words[0].chars().all(char::is_alphabetic)
        && !STOP.contains(&words[0].as_str())
        && words.iter().all(|w| !BUSINESS.contains(&w.as_str()))
}

fn form(entry: usize, words: Vec<String>, strength: Strength) -> Form {
    let squashed: String = words.concat();
    let hist = Hist::of(&squashed);
    let generic = words.iter().all(|w| STOP.contains(&w.as_str()) || BUSINESS.contains(&w.as_str()));
    Form { entry, len: hist.len, hist, squashed, words, strength, generic }
}

/// Edits allowed for a word of `len` letters.
fn budget(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// Similarity of one window with one form, or `None` below the threshold.
fn score(
    f: &Form,
    window: &[Token],
    ends_stop: (bool, bool),
    squashed: &str,
    hist: &Hist,
    all: &[Token],
    i: usize,
) -> Option<f64> {
    let len = hist.len;
    let n = window.len();
    let words = f.words.len();
    if n + 1 < words || n > words + 1 {
        return None;
    }
    let (first_stop, last_stop) = ends_stop;
    if (first_stop && f.words.first() != Some(&window[0].norm))
        || (last_stop && f.words.last() != Some(&window[n - 1].norm))
    {
        return None;
    }
    // A window split or merged differently from the name ("hair cut") gets one edit less.
    let allowed = budget(len.max(f.len)).saturating_sub(usize::from(n != words));
    // "cut" in "haircut" counts as the word itself.
    let suffix = f.strength == Strength::Part && n == 1 && len >= 3 && f.squashed.ends_with(squashed);
    let sim = if squashed == f.squashed || suffix {
        1.0
    } else {
        if allowed == 0 || len.abs_diff(f.len) > allowed || bag_distance(hist, &f.hist) > 2 * allowed {
            return None;
        }
        let d = strsim::osa_distance(squashed, &f.squashed);
        if d > allowed {
            return None;
        }
        1.0 - d as f64 / len.max(f.len) as f64
    };
    match f.strength {
        Strength::Full if f.generic => window[0].capitalized.then_some(sim),
        Strength::Full => Some(sim),
        Strength::Part => (n == 1).then_some(0.7 * sim),
        Strength::FirstName => {
            let t = &window[0];
            let before = if i > 0 { all[i - 1].norm.as_str() } else { "" };
            let placed = ["in", "near", "around", "of", "from"].contains(&before); // "in Fremont"
            let cued = CUES.contains(&before);
            (n == 1 && !placed && (cued || (t.capitalized && !t.sentence_start))).then_some(0.9 * sim)
        }
    }
}
