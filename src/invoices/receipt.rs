//! Receipts: an invoice as a printable HTML page (minijinja, escaped as HTML) or as a PDF
//! (pdf-writer with the PDF base-14 Helvetica, so nothing is embedded and the file stays a
//! few kilobytes). The same [`Receipt`] feeds both and the emailed receipt, so the three never
//! disagree on an amount.
//!
//! Amounts are formatted in the currency's own decimals (ISO 4217: two for EUR, none for
//! JPY, three for KWD), from the integer minor units; no amount is ever a float.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use minijinja::Environment;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::Serialize;

use super::model::InvoiceView;
use crate::entity::{settings, users};

/// An invoice with everything formatted for people.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub salon: String,
    /// `Receipt` when nothing is left to pay, else `Invoice`.
    pub title: &'static str,
    pub number: String,
    /// In the salon's time zone.
    pub issued_local: String,
    pub timezone: String,
    pub client_name: Option<String>,
    pub client_email: Option<String>,
    pub currency: String,
    pub lines: Vec<ReceiptLine>,
    pub subtotal: String,
    pub discount: Option<String>,
    pub tax: String,
    pub prices_include_tax: bool,
    pub total: String,
    /// What the goods returned from the sale were worth, when any were.
    pub returned: Option<String>,
    pub paid: String,
    pub balance: String,
    pub settled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiptLine {
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    pub discount: Option<String>,
    /// `23%`, `12.5%`.
    pub tax_rate: String,
    pub tax: String,
    pub total: String,
}

/// `cents` in `currency`'s decimals: `1234567` EUR is `12,345.67`, JPY `1,234,567`.
pub fn money(cents: i64, currency: &str) -> String {
    let exponent = iso_currency::Currency::from_code(currency).and_then(|c| c.exponent()).unwrap_or(2);
    let scale = 10_i64.pow(u32::from(exponent));
    let (whole, fraction) = ((cents / scale).unsigned_abs(), (cents % scale).unsigned_abs());
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(d);
    }
    let sign = if cents < 0 { "-" } else { "" };
    match exponent {
        0 => format!("{sign}{grouped}"),
        e => format!("{sign}{grouped}.{fraction:0width$}", width = usize::from(e)),
    }
}

/// Basis points as a percentage: `2300` is `23%`, `1250` `12.5%`, `5` `0.05%`.
fn percent(bp: i32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

fn local(at: DateTime<Utc>, tz: &str) -> String {
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&zone).format("%-d %B %Y, %H:%M").to_string()
}

impl Receipt {
    pub fn new(view: &InvoiceView, salon: &settings::Model, client: Option<&users::Model>) -> Self {
        let c = view.currency.as_str();
        let m = |cents: i64| money(cents, c);
        Self {
            salon: salon.name.clone(),
            title: if view.balance_cents <= 0 { "Receipt" } else { "Invoice" },
            number: view.number.clone(),
            issued_local: local(view.created_at, &salon.timezone),
            timezone: salon.timezone.clone(),
            client_name: client.map(|u| u.full_name.clone()),
            client_email: client.map(|u| u.email.clone()),
            currency: view.currency.clone(),
            lines: view
                .lines
                .iter()
                .map(|l| ReceiptLine {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: m(l.unit_price_cents),
                    discount: (l.discount_cents != 0).then(|| m(l.discount_cents)),
                    tax_rate: percent(l.tax_rate_bp),
                    tax: m(l.tax_cents),
                    total: m(l.total_cents),
                })
                .collect(),
            subtotal: m(view.subtotal_cents),
            discount: (view.discount_cents != 0).then(|| m(view.discount_cents)),
            tax: m(view.tax_cents),
            prices_include_tax: salon.prices_include_tax,
            total: m(view.total_cents),
            returned: (view.returned_cents != 0).then(|| m(view.returned_cents)),
            paid: m(view.paid_cents),
            balance: m(view.balance_cents),
            settled: view.balance_cents <= 0,
        }
    }

    /// The file name a PDF of this receipt is offered under.
    pub fn file_name(&self) -> String {
        format!("invoice-{}.pdf", self.number)
    }
}

fn html_env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // The `.html` name turns on HTML escaping: a product called `<script>` prints as text.
        env.add_template("receipt.html", include_str!("../notify/templates/receipt.html.j2"))
            .expect("the receipt template compiles (checked by a unit test)");
        env
    })
}

/// The printable page.
///
/// # Errors
/// Only a template that does not match [`Receipt`] (a unit test renders it).
pub fn html(receipt: &Receipt) -> Result<String, minijinja::Error> {
    html_env().get_template("receipt.html")?.render(receipt)
}

/// Helvetica's advance widths (per 1000 units of the font size) for ASCII 32..=126, from
/// Adobe's AFM; anything else is taken as 556, the width of a digit.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

fn width(text: &[u8], size: f32) -> f32 {
    let units: u32 = text
        .iter()
        .map(|&b| if (32..=126).contains(&b) { u32::from(HELVETICA[usize::from(b - 32)]) } else { 556 })
        .sum();
    units as f32 * size / 1000.0
}

/// `text` in WinAnsiEncoding, the encoding the base-14 fonts are used with here: Latin-1 and
/// the usual typographic marks; a character it lacks (other scripts) prints as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'Š' => 0x8A,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            'š' => 0x9A,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            _ => b'?',
        })
        .collect()
}

/// `text` cut to `max` points wide, with `...` when cut.
fn fit(text: &str, size: f32, max: f32) -> Vec<u8> {
    let mut bytes = win_ansi(text);
    if width(&bytes, size) <= max {
        return bytes;
    }
    while !bytes.is_empty() && width(&bytes, size) + width(b"...", size) > max {
        bytes.pop();
    }
    bytes.extend_from_slice(b"...");
    bytes
}

const PAGE: (f32, f32) = (595.0, 842.0); // A4 in points
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const BODY: f32 = 9.5;
const ROW: f32 = 15.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// One page's content, written top down.
struct Writer {
    content: Content,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        Self { content: Content::new(), y: PAGE.1 - 60.0 }
    }

    fn text(&mut self, font: Name<'_>, size: f32, x: f32, text: &[u8]) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, self.y);
        self.content.show(Str(text));
        self.content.end_text();
    }

    /// `text` ending at `right`.
    fn right(&mut self, font: Name<'_>, size: f32, right: f32, text: &str) {
        let bytes = win_ansi(text);
        let x = right - width(&bytes, size);
        self.text(font, size, x, &bytes);
    }

    fn rule(&mut self, y: f32) {
        self.content.set_line_width(0.5);
        self.content.move_to(LEFT, y);
        self.content.line_to(RIGHT, y);
        self.content.stroke();
    }
}

/// Column right edges: quantity, unit price, tax rate, tax, total.
const COLUMNS: [f32; 5] = [320.0, 385.0, 430.0, 480.0, RIGHT];

fn table_head(w: &mut Writer) {
    w.text(BOLD, BODY, LEFT, b"Item");
    for (label, x) in ["Qty", "Unit", "Tax %", "Tax", "Total"].iter().zip(COLUMNS) {
        w.right(BOLD, BODY, x, label);
    }
    w.y -= 4.0;
    w.rule(w.y);
    w.y -= ROW;
}

/// The receipt as a PDF: A4, as many pages as its lines need.
pub fn pdf(r: &Receipt) -> Vec<u8> {
    let mut pages: Vec<Content> = Vec::new();
    let mut w = Writer::new();
    w.text(BOLD, 18.0, LEFT, &win_ansi(&r.salon));
    w.right(BOLD, 14.0, RIGHT, &format!("{} {}", r.title, r.number));
    w.y -= 22.0;
    w.text(REGULAR, BODY, LEFT, &win_ansi(&format!("Issued {} ({})", r.issued_local, r.timezone)));
    w.right(REGULAR, BODY, RIGHT, &format!("Amounts in {}", r.currency));
    if let Some(name) = &r.client_name {
        w.y -= ROW;
        let who = match &r.client_email {
            Some(email) => format!("Billed to {name} <{email}>"),
            None => format!("Billed to {name}"),
        };
        w.text(REGULAR, BODY, LEFT, &fit(&who, BODY, RIGHT - LEFT));
    }
    w.y -= 2.0 * ROW;
    table_head(&mut w);
    for line in &r.lines {
        if w.y < 120.0 {
            pages.push(std::mem::replace(&mut w, Writer::new()).content);
            table_head(&mut w);
        }
        let description = match &line.discount {
            Some(d) => format!("{} (less {d})", line.description),
            None => line.description.clone(),
        };
        w.text(REGULAR, BODY, LEFT, &fit(&description, BODY, COLUMNS[0] - LEFT - 30.0));
        let cells = [
            line.quantity.to_string(),
            line.unit_price.clone(),
            line.tax_rate.clone(),
            line.tax.clone(),
            line.total.clone(),
        ];
        for (cell, x) in cells.iter().zip(COLUMNS) {
            w.right(REGULAR, BODY, x, cell);
        }
        w.y -= ROW;
    }
    w.y += ROW - 4.0;
    w.rule(w.y);
    w.y -= ROW;
    let tax_label = if r.prices_include_tax { "Tax included" } else { "Tax" };
    let mut totals: Vec<(&str, &str, bool)> = vec![("Subtotal", r.subtotal.as_str(), false)];
    if let Some(d) = &r.discount {
        totals.push(("Discounts", d.as_str(), false));
    }
    totals.extend([(tax_label, r.tax.as_str(), false), ("Total", r.total.as_str(), true)]);
    if let Some(back) = &r.returned {
        totals.push(("Returned", back.as_str(), false));
    }
    totals.extend([("Paid", r.paid.as_str(), false), ("Balance due", r.balance.as_str(), true)]);
    // The totals (and the closing line) stay above the bottom margin: else on a page of their own.
    if w.y - (totals.len() as f32 + 2.0) * ROW < 50.0 {
        pages.push(std::mem::replace(&mut w, Writer::new()).content);
    }
    for (label, amount, strong) in totals {
        let font = if strong { BOLD } else { REGULAR };
        w.right(font, BODY, COLUMNS[3], label);
        w.right(font, BODY, RIGHT, amount);
        w.y -= ROW;
    }
    if r.settled {
        w.y -= ROW;
        w.text(REGULAR, BODY, LEFT, b"Paid in full. Thank you!");
    }
    pages.push(w.content);
    assemble(r, pages)
}

fn assemble(r: &Receipt, pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let ids: Vec<(Ref, Ref)> =
        (0..pages.len() as i32).map(|i| (Ref::new(6 + 2 * i), Ref::new(7 + 2 * i))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(ids.iter().map(|(page, _)| *page)).count(ids.len() as i32);
    for (content, (page_id, content_id)) in pages.into_iter().zip(&ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
        page.parent(tree);
        page.contents(*content_id);
        let mut resources = page.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    for (id, name) in [(regular, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
        pdf.type1_font(id).base_font(name).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let title = format!("{} {} - {}", r.title, r.number, r.salon);
    pdf.document_info(info).title(TextStr(&title)).producer(TextStr("salon"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_the_currency_decimals_and_groups_thousands() {
        assert_eq!(money(1_234_567, "EUR"), "12,345.67");
        assert_eq!(money(1_234_567, "JPY"), "1,234,567");
        assert_eq!(money(1_234_567, "KWD"), "1,234.567");
        assert_eq!(money(-5, "USD"), "-0.05");
        assert_eq!(money(0, "USD"), "0.00");
        assert_eq!(money(100, "JPY"), "100");
        assert_eq!(money(-1_000, "JPY"), "-1,000");
    }

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(
            (percent(2300), percent(1250), percent(5), percent(0), percent(825)),
            ("23%".into(), "12.5%".into(), "0.05%".into(), "0%".into(), "8.25%".into())
        );
    }

    #[test]
    fn text_outside_win_ansi_prints_as_a_question_mark_and_long_text_is_cut() {
        assert_eq!(win_ansi("Café €5 – 東京"), b"Caf\xe9 \x805 \x96 ??".to_vec());
        let cut = fit(&"W".repeat(100), 10.0, 100.0);
        assert!(cut.ends_with(b"...") && width(&cut, 10.0) <= 100.0, "{cut:?}");
        assert_eq!(fit("Cut", 10.0, 100.0), b"Cut".to_vec());
    }

    fn sample(lines: usize) -> Receipt {
        let line = ReceiptLine {
            description: "<b>Gel</b> & co".into(),
            quantity: 2,
            unit_price: "9.99".into(),
            discount: Some("1.00".into()),
            tax_rate: "23%".into(),
            tax: "3.55".into(),
            total: "18.98".into(),
        };
        Receipt {
            salon: "Studio".into(),
            title: "Receipt",
            number: "2026-000042".into(),
            issued_local: "3 December 2026, 14:05".into(),
            timezone: "Europe/Lisbon".into(),
            client_name: Some("Ana".into()),
            client_email: Some("ana@example.com".into()),
            currency: "EUR".into(),
            lines: vec![line; lines],
            subtotal: "19.98".into(),
            discount: Some("1.00".into()),
            tax: "3.55".into(),
            prices_include_tax: true,
            total: "18.98".into(),
            returned: None,
            paid: "18.98".into(),
            balance: "0.00".into(),
            settled: true,
        }
    }

    #[test]
    fn the_html_receipt_escapes_what_users_typed() {
        let page = html(&sample(1)).unwrap();
        assert!(page.contains("2026-000042") && page.contains("18.98") && page.contains("Ana"), "{page}");
        assert!(page.contains("&lt;b&gt;Gel&lt;&#x2f;b&gt; &amp; co") && !page.contains("<b>Gel"), "{page}");
    }

    #[test]
    fn a_long_receipt_runs_onto_more_pages() {
        let pages = |bytes: &[u8]| {
            assert!(bytes.starts_with(b"%PDF-"), "a PDF");
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = text.find("/Count ").expect("a page count");
            text[at + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .unwrap()
        };
        let short = pdf(&sample(3));
        assert_eq!(pages(&short), 1);
        // Nothing embedded: a few kilobytes.
        assert!(short.len() < 8_000, "{} bytes", short.len());
        // About forty lines fit a page.
        assert_eq!(pages(&pdf(&sample(120))), 3);
    }
}
