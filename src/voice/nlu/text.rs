//! Text preparation shared by every extractor.
//!
//! The rules run on a lower-cased copy of the input in which every character maps to exactly
//! one character, so a byte offset in the copy converts to a character offset in the input
//! without any bookkeeping per rule. Only the first [`MAX_CHARS`] characters are read: a spoken
//! request is a sentence or two, and the cap keeps a pathological 100 kB body linear and cheap.

use regex::Regex;

/// How many characters of the input are analysed; the rest is ignored.
pub const MAX_CHARS: usize = 4096;

/// Compiles a constant pattern. `None` (a bug the unit tests catch) disables that one rule
/// instead of panicking in a request.
pub(super) fn rx(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// One word of the input: character span, normalized form and how it was written.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub start: usize,
    pub end: usize,
    pub norm: String,
    pub capitalized: bool,
    pub sentence_start: bool,
}

/// The input prepared for the rules.
pub(super) struct Text<'a> {
    original: &'a str,
    /// Lower-cased, diacritics folded, quotes unified; one char per input char.
    pub lower: String,
    /// Char index -> byte offset in `original` (one extra entry for the end).
    orig_bytes: Vec<usize>,
    /// Byte offset in `lower` -> char index (meaningful at char boundaries).
    lower_chars: Vec<u32>,
    pub tokens: Vec<Token>,
}

impl<'a> Text<'a> {
    pub fn new(original: &'a str) -> Self {
        let mut lower = String::new();
        let mut orig_bytes = Vec::new();
        let mut lower_chars = Vec::new();
        let mut upper = Vec::new();
        for (i, (b, c)) in original.char_indices().take(MAX_CHARS).enumerate() {
            orig_bytes.push(b);
            let l = fold(lower_char(c));
            for _ in 0..l.len_utf8() {
                lower_chars.push(i as u32);
            }
            lower.push(l);
            upper.push(c.is_uppercase());
        }
        let n = orig_bytes.len();
        orig_bytes.push(original.char_indices().nth(n).map_or(original.len(), |(b, _)| b));
        lower_chars.push(n as u32);
        let tokens = tokenize(&lower, &upper);
        Text { original, lower, orig_bytes, lower_chars, tokens }
    }

    /// Char index of a byte offset in `lower`.
    pub fn char_at(&self, byte: usize) -> usize {
        self.lower_chars.get(byte).map_or(self.orig_bytes.len().saturating_sub(1), |&c| c as usize)
    }

    /// The input as written between two char indices.
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        let b = |i: usize| self.orig_bytes.get(i).copied().unwrap_or(self.original.len());
        self.original.get(b(start)..b(end)).unwrap_or("")
    }
}

fn lower_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' => '"',
        c if c.is_control() || c.is_whitespace() => ' ',
        c => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        }
    }
}

/// Folds common Latin letters with diacritics to ASCII ("é" -> "e"); others pass unchanged.
pub(super) fn fold(c: char) -> char {
    const TABLE: [(&str, char); 12] = [
        ("àáâãäåāăą", 'a'),
        ("çćĉċč", 'c'),
        ("ďđ", 'd'),
        ("èéêëēĕėęě", 'e'),
        ("ìíîïĩīĭįı", 'i'),
        ("ñńņňŉ", 'n'),
        ("òóôõöøōŏő", 'o'),
        ("ùúûüũūŭůűų", 'u'),
        ("ýÿŷ", 'y'),
        ("śŝşšș", 's'),
        ("žźż", 'z'),
        ("ťţț", 't'),
    ];
    if c.is_ascii() {
        return c;
    }
    TABLE.iter().find(|(from, _)| from.contains(c)).map_or(c, |&(_, to)| to)
}

/// British spellings and variants folded onto one form before matching.
const SPELLINGS: &[(&str, &str)] = &[
    ("colour", "color"),
    ("colouring", "coloring"),
    ("grey", "gray"),
    ("centre", "center"),
    ("moustache", "mustache"),
    ("favourite", "favorite"),
];

/// Normalizes one lower-cased word: no apostrophes, one spelling, singular.
pub(super) fn normalize_word(w: &str) -> String {
    let mut s: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
    if let Some(&(_, to)) = SPELLINGS.iter().find(|(from, _)| *from == s) {
        s = to.to_owned();
    }
    if s.len() >= 4 && s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s.pop();
    }
    s
}

/// Normalizes a phrase (a name or alias) to space-separated normalized words.
pub(super) fn normalize_phrase(s: &str) -> Vec<String> {
    let lower: String = s.chars().map(|c| fold(lower_char(c))).collect();
    tokenize(&lower, &[]).into_iter().map(|t| t.norm).collect()
}

fn tokenize(lower: &str, upper: &[bool]) -> Vec<Token> {
    let chars: Vec<char> = lower.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut sentence_start = true;
    while i < chars.len() {
        let c = chars[i];
        if !c.is_alphanumeric() {
            if matches!(c, '.' | '!' | '?' | ';') {
                sentence_start = true;
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_alphanumeric()
                || (chars[i] == '\'' && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())))
        {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        tokens.push(Token {
            start,
            end: i,
            norm: normalize_word(&word),
            capitalized: upper.get(start).copied().unwrap_or(false),
            sentence_start,
        });
        sentence_start = false;
    }
    tokens
}
