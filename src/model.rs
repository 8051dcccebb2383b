//! Input rules shared by every area: garde validators and small parsing helpers.

use serde::{Deserialize, Deserializer};

/// [`not_blank`] for the schema: some character that is neither NUL nor white space (Unicode's
/// `White_Space`, which `str::trim` removes). A field marks itself with the short pattern `\S`,
/// which the served document replaces with this.
pub const NOT_BLANK_PATTERN: &str = "^[^\\x00]*[^\\x00\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00]*$";

/// Not empty once surrounding white space is removed.
pub fn not_blank(value: &str, _: &()) -> garde::Result {
    if value.trim().is_empty() {
        return Err(garde::Error::new("must not be blank"));
    }
    Ok(())
}

/// What a phone number is, as the OpenAPI schema says it (`pattern` on every phone field, with
/// `maxLength` 40; a test checks that the schema carries this very pattern): digits with
/// optional `+`, spaces, dots, dashes and parentheses, 5 to 20 digits.
pub const PHONE_PATTERN: &str = r"^[ +().-]*([0-9][ +().-]*){5,20}$";

static PHONE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(PHONE_PATTERN).expect("the phone pattern is a regex"));

/// A phone number as people write it: [`PHONE_PATTERN`], at most 40 characters.
pub fn phone_number(value: &str, _: &()) -> garde::Result {
    if !PHONE.is_match(value) || value.len() > 40 {
        return Err(garde::Error::new("must be a phone number (digits, spaces, + - . ( ); 5 to 20 digits)"));
    }
    Ok(())
}

/// A PATCH field that can be absent (keep), `null` (clear) or a value (set).
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Validates the value inside a nullable PATCH field when one is given.
pub fn nullable_phone(value: &Option<Option<String>>, ctx: &()) -> garde::Result {
    match value {
        Some(Some(v)) => phone_number(v, ctx),
        _ => Ok(()),
    }
}

/// Deserializes a string with surrounding white space removed (emails pasted with a space).
pub fn trimmed<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(|s| s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_patterns_say_what_the_validators_accept() {
        let blank = regex::Regex::new(NOT_BLANK_PATTERN).unwrap();
        let whitespace: Vec<char> =
            (0..=0x3000u32).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect();
        for c in whitespace {
            let text = format!("{c}{c}");
            assert!(!blank.is_match(&text) && not_blank(&text, &()).is_err(), "{:?}", c);
        }
        for text in ["a", " a ", "\u{1c}", "\u{feff}", "\u{180e}"] {
            assert_eq!(blank.is_match(text), not_blank(text, &()).is_ok(), "{text:?}");
        }
        assert!(!blank.is_match("a\0"));
        let phone = regex::Regex::new(PHONE_PATTERN).unwrap();
        for (text, ok) in [
            ("+1 555 0100", true),
            ("(555) 010-0", true),
            ("1234", false),
            ("12345a", false),
            ("+++12345", true),
        ] {
            assert_eq!(phone_number(text, &()).is_ok(), ok, "{text}");
            assert_eq!(phone.is_match(text), ok, "{text}");
        }
    }
}
