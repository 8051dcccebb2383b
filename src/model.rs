//! Input rules shared by every area: garde validators and small parsing helpers.

use serde::{Deserialize, Deserializer};

/// Not empty once surrounding white space is removed.
pub fn not_blank(value: &str, _: &()) -> garde::Result {
    if value.trim().is_empty() {
        return Err(garde::Error::new("must not be blank"));
    }
    Ok(())
}

/// A phone number as people write it: digits with optional `+`, spaces, dots, dashes and
/// parentheses; between 5 and 20 digits.
pub fn phone_number(value: &str, _: &()) -> garde::Result {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(5..=20).contains(&digits) || value.len() > 40 {
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
