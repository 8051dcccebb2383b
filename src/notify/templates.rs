//! Message templates, compiled into the binary (minijinja). Each template has three blocks:
//! `subject` and `email` for email, `sms` for a text message.

use std::sync::OnceLock;

use minijinja::Environment;
use serde::Serialize;

/// The messages there are templates for.
pub const TEMPLATES: [(&str, &str); 7] = [
    ("booking_confirmation", include_str!("templates/booking_confirmation.j2")),
    ("booking_reminder", include_str!("templates/booking_reminder.j2")),
    ("booking_rescheduled", include_str!("templates/booking_rescheduled.j2")),
    ("booking_cancelled", include_str!("templates/booking_cancelled.j2")),
    ("deposit_request", include_str!("templates/deposit_request.j2")),
    ("low_stock_alert", include_str!("templates/low_stock_alert.j2")),
    ("invoice_receipt", include_str!("templates/invoice_receipt.j2")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Undefined variables are errors, so a template typo fails its test, not a client.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("templates compile (checked by a unit test)");
        }
        env
    })
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub email: String,
    pub sms: String,
}

/// Renders `name` with `vars`.
///
/// # Errors
/// An unknown template or a variable it needs that `vars` lacks.
pub fn render(name: &str, vars: impl Serialize) -> Result<Rendered, minijinja::Error> {
    let template = env().get_template(name)?;
    let mut captured = template.render_captured(vars)?;
    captured.with_state_mut(|state| {
        Ok(Rendered {
            subject: state.render_block("subject")?.trim().to_owned(),
            email: state.render_block("email")?.trim().to_owned() + "\n",
            sms: state.render_block("sms")?.trim().to_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_the_booking_variables() {
        let vars = serde_json::json!({
            "salon": "Studio", "client_name": "Ana", "service": "Cut", "staff": "Jane",
            "start_local": "Friday 4 December 2026, 15:00", "old_start_local": "Thursday 3 December 2026, 10:00",
            "timezone": "Europe/Lisbon", "pending": false, "reason": null, "cancellation_window_hours": 24,
            "hold_until_local": "Thursday 3 December 2026, 15:30", "deposit": "10.00", "currency": "EUR",
        });
        for (name, _) in
            TEMPLATES.iter().filter(|(name, _)| name.starts_with("booking_") || *name == "deposit_request")
        {
            let r = render(name, &vars).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert!(r.subject.contains("Studio") || r.subject.contains("Cut"), "{name}: {r:?}");
            assert!(r.email.contains("Ana") && r.email.contains("15:00"), "{name}: {r:?}");
            assert!(r.sms.contains("15:00") && !r.sms.contains('\n'), "{name}: {r:?}");
        }
    }

    #[test]
    fn the_low_stock_alert_names_the_product_and_its_level() {
        let vars = serde_json::json!({"salon": "Studio", "product": "Shampoo", "sku": "SH-1",
            "on_hand": 2, "threshold": 3, "reorder_quantity": 12});
        let r = render("low_stock_alert", &vars).unwrap();
        assert!(r.subject.contains("Shampoo") && r.email.contains("SH-1") && r.email.contains("12"), "{r:?}");
        assert!(r.sms.contains('2') && !r.sms.contains('\n'), "{r:?}");
    }

    #[test]
    fn the_deposit_request_says_how_much_and_by_when() {
        let vars = serde_json::json!({
            "salon": "Studio", "client_name": "Ana", "service": "Cut", "staff": "Jane",
            "start_local": "Friday 4 December 2026, 15:00", "timezone": "Europe/Lisbon",
            "cancellation_window_hours": 24, "hold_until_local": "Thursday 3 December 2026, 15:30",
            "deposit": "10.00", "currency": "EUR",
        });
        let r = render("deposit_request", &vars).unwrap();
        assert!(r.email.contains("10.00 EUR") && r.email.contains("15:30"), "{r:?}");
        assert!(r.sms.contains("10.00") && !r.sms.contains('\n'), "{r:?}");
    }

    #[test]
    fn the_receipt_email_lists_the_lines_and_the_balance() {
        let vars = serde_json::json!({
            "salon": "Studio", "client_name": "Ana", "title": "Invoice", "number": "2026-000007",
            "issued_local": "3 December 2026, 14:05", "currency": "EUR", "total": "40.00",
            "paid": "10.00", "balance": "30.00", "settled": false,
            "lines": [{"quantity": 1, "description": "Cut", "total": "40.00"}],
        });
        let r = render("invoice_receipt", &vars).unwrap();
        assert!(r.subject.contains("2026-000007") && r.email.contains("1 x Cut: 40.00"), "{r:?}");
        assert!(r.email.contains("Balance due: 30.00 EUR") && !r.sms.contains('\n'), "{r:?}");
    }
}
