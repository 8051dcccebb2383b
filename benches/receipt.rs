//! What a receipt costs to render: the printable HTML page and the PDF, for a booking's
//! one-line invoice and a 40-line retail sale (about a page). `cargo bench --bench receipt`.

use criterion::{Criterion, criterion_group, criterion_main};
use salon::invoices::receipt::{Receipt, ReceiptLine, html, pdf};

fn receipt(lines: usize) -> Receipt {
    let line = |i: usize| ReceiptLine {
        description: format!("Argan oil shampoo 250 ml, line {i} (SH-{i:04})"),
        quantity: 2,
        unit_price: "12.50".into(),
        discount: i.is_multiple_of(3).then(|| "1.00".into()),
        tax_rate: "23%".into(),
        tax: "4.49".into(),
        total: "24.00".into(),
    };
    Receipt {
        salon: "Studio Lisboa".into(),
        title: "Receipt",
        number: "2026-000123".into(),
        issued_local: "3 December 2026, 14:05".into(),
        timezone: "Europe/Lisbon".into(),
        client_name: Some("Ana Silva".into()),
        client_email: Some("ana@example.com".into()),
        currency: "EUR".into(),
        lines: (0..lines).map(line).collect(),
        subtotal: "1,000.00".into(),
        discount: Some("13.00".into()),
        tax: "179.60".into(),
        prices_include_tax: true,
        total: "987.00".into(),
        returned: None,
        paid: "987.00".into(),
        balance: "0.00".into(),
        settled: true,
    }
}

fn bench(c: &mut Criterion) {
    for lines in [1, 40] {
        let r = receipt(lines);
        c.bench_function(&format!("receipt html, {lines} line(s)"), |b| b.iter(|| html(&r).unwrap()));
        c.bench_function(&format!("receipt pdf, {lines} line(s)"), |b| b.iter(|| pdf(&r)));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
