//! Settings as the API shows them, and the validated update.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entity::settings;
use crate::model::not_blank;

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    #[schema(example = "My Salon")]
    pub name: String,
    /// IANA time zone in which working hours, dates and the slot grid are read.
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    /// ISO 4217 code; all `price_cents` are in its smallest unit.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Bookings start on multiples of this from local midnight.
    pub slot_interval_minutes: i32,
    /// How soon a booking may start, from now.
    pub min_lead_minutes: i32,
    /// How far ahead bookings may be made.
    pub max_advance_days: i32,
    /// Clients may not cancel or reschedule within this many hours of the start.
    pub cancellation_window_hours: i32,
    /// New bookings start `pending` until staff confirm them.
    pub require_approval: bool,
    /// Clients get a reminder this many hours before their appointment; 0 sends none.
    pub reminder_hours_before: i32,
    /// The tax rate, in basis points (2300 = 23 %), of what the salon sells, unless a product
    /// has its own.
    #[schema(example = 2300)]
    pub tax_rate_bp: i32,
    /// Whether prices already include tax (the tax is then the part of the price it makes up)
    /// or tax is added on top.
    pub prices_include_tax: bool,
    /// How long an unpaid deposit holds a booking's slot before the booking is cancelled
    /// (`deposit-expired`).
    pub deposit_hold_minutes: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<settings::Model> for SettingsView {
    fn from(s: settings::Model) -> Self {
        SettingsView {
            name: s.name,
            timezone: s.timezone,
            currency: s.currency,
            slot_interval_minutes: s.slot_interval_minutes,
            min_lead_minutes: s.min_lead_minutes,
            max_advance_days: s.max_advance_days,
            cancellation_window_hours: s.cancellation_window_hours,
            require_approval: s.require_approval,
            reminder_hours_before: s.reminder_hours_before,
            tax_rate_bp: s.tax_rate_bp,
            prices_include_tax: s.prices_include_tax,
            deposit_hold_minutes: s.deposit_hold_minutes,
            updated_at: s.updated_at,
        }
    }
}

/// Any subset of the settings; omitted fields keep their value.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettingsRequest {
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// An IANA time zone name such as `America/New_York`.
    #[garde(inner(length(max = 64), custom(iana_timezone)))]
    #[schema(schema_with = timezone_schema)]
    pub timezone: Option<String>,
    /// An ISO 4217 currency code such as `USD`.
    #[garde(inner(length(min = 3, max = 3), custom(iso_currency_code)))]
    #[schema(schema_with = currency_schema)]
    pub currency: Option<String>,
    /// 5 to 240, and a divisor of a day (1440): 5, 10, 15, 20, 30, 60, ...
    #[garde(inner(custom(divides_a_day)))]
    #[schema(schema_with = slot_interval_schema)]
    pub slot_interval_minutes: Option<i32>,
    /// 0 to 43200 (30 days).
    #[garde(inner(range(min = 0, max = 43_200)))]
    #[schema(minimum = 0, maximum = 43200)]
    pub min_lead_minutes: Option<i32>,
    /// 1 to 730.
    #[garde(inner(range(min = 1, max = 730)))]
    #[schema(minimum = 1, maximum = 730)]
    pub max_advance_days: Option<i32>,
    /// 0 to 720.
    #[garde(inner(range(min = 0, max = 720)))]
    #[schema(minimum = 0, maximum = 720)]
    pub cancellation_window_hours: Option<i32>,
    #[garde(skip)]
    pub require_approval: Option<bool>,
    /// 0 (no reminders) to 336 (two weeks).
    #[garde(inner(range(min = 0, max = 336)))]
    #[schema(minimum = 0, maximum = 336)]
    pub reminder_hours_before: Option<i32>,
    /// 0 to 10000 basis points (0 % to 100 %).
    #[garde(inner(range(min = 0, max = 10_000)))]
    #[schema(minimum = 0, maximum = 10000)]
    pub tax_rate_bp: Option<i32>,
    #[garde(skip)]
    pub prices_include_tax: Option<bool>,
    /// 1 to 10080 (a week); default 30.
    #[garde(inner(range(min = 1, max = 10_080)))]
    #[schema(minimum = 1, maximum = 10080)]
    pub deposit_hold_minutes: Option<i32>,
}

fn iana_timezone(value: &str, _: &()) -> garde::Result {
    value.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| garde::Error::new("is not an IANA time zone name"))
}

fn iso_currency_code(value: &str, _: &()) -> garde::Result {
    match iso_currency::Currency::from_code(value) {
        Some(_) => Ok(()),
        None => Err(garde::Error::new("is not an ISO 4217 currency code")),
    }
}

/// The slot grids a salon can have: 5 to 240 minutes, dividing a day (1440 minutes) evenly.
pub fn slot_intervals() -> impl Iterator<Item = i32> {
    (5..=240).filter(|m| 1440 % m == 0)
}

fn divides_a_day(value: &i32, _: &()) -> garde::Result {
    if slot_intervals().any(|m| m == *value) {
        Ok(())
    } else {
        Err(garde::Error::new("must be 5 to 240 and divide a day (1440 minutes) evenly"))
    }
}

/// Every ISO 4217 code the currency rule accepts (upper case, as `iso_currency` reads them).
pub fn currency_codes() -> impl Iterator<Item = String> {
    let letters = || b'A'..=b'Z';
    letters()
        .flat_map(move |a| {
            letters()
                .flat_map(move |b| letters().map(move |c| String::from_utf8_lossy(&[a, b, c]).into_owned()))
        })
        .filter(|code| iso_currency::Currency::from_code(code).is_some())
}

/// The schemas list what the rules accept, taken from the same sources (the slot grids, the
/// time zone database the server uses, the currency table), so they cannot drift. `null` (or
/// leaving a field out) keeps the current value.
fn listed(
    kind: utoipa::openapi::schema::Type,
    values: Vec<serde_json::Value>,
    description: &str,
) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![kind, Type::Null]))
        .enum_values(Some(values.into_iter().chain([serde_json::Value::Null])))
        .description(Some(description))
        .build()
}

fn slot_interval_schema() -> utoipa::openapi::Object {
    let values = slot_intervals().map(serde_json::Value::from).collect();
    listed(
        utoipa::openapi::schema::Type::Integer,
        values,
        "Minutes between slot starts: 5 to 240, dividing a day (1440) evenly.",
    )
}

fn timezone_schema() -> utoipa::openapi::Object {
    let values = chrono_tz::TZ_VARIANTS.iter().map(|tz| serde_json::Value::from(tz.name())).collect();
    listed(
        utoipa::openapi::schema::Type::String,
        values,
        "An IANA time zone name such as `America/New_York`.",
    )
}

fn currency_schema() -> utoipa::openapi::Object {
    let values = currency_codes().map(serde_json::Value::from).collect();
    listed(utoipa::openapi::schema::Type::String, values, "An ISO 4217 currency code such as `USD`.")
}

#[cfg(test)]
mod listed_tests {
    #[test]
    fn the_listed_values_are_exactly_what_the_rules_accept() {
        let currencies: Vec<String> = super::currency_codes().collect();
        assert!(currencies.iter().any(|c| c == "EUR") && currencies.len() > 100);
        assert!(super::iso_currency_code("usd", &()).is_err());
        assert!(
            super::iana_timezone("europe/lisbon", &()).is_err()
                && super::iana_timezone("Europe/Lisbon", &()).is_ok()
        );
    }
}
