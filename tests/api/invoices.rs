//! Invoices: issued with a booking's completion (the deposit applied) and with a retail sale,
//! who sees them, and numbers without gaps when many are issued at once from two processes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::inventory::product;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

api_test! {
    async fn completing_a_booking_issues_its_invoice_with_the_deposit_applied(app) {
        let s = app.salon().await;
        app.patch("/api/v1/settings").token(&s.admin).json(json!({"tax_rate_bp": 2300, "prices_include_tax": true})).send().await;
        app.patch(&format!("/api/v1/services/{}", s.service_id)).token(&s.admin).json(json!({"deposit_cents": 1000})).send().await;
        let booking = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("10:00")})).await.body;
        let res = app.post("/api/v2/payments/deposit").token(&s.staff_token).json(json!({"booking_id": id(&booking), "method": "cash"})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let res = app.post(&format!("/api/v1/bookings/{}/complete", id(&booking))).token(&s.staff_token).json(json!({})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);

        let list = app.get(&format!("/api/v2/invoices?booking_id={}", id(&booking))).token(&s.admin).send().await;
        assert_eq!(list.body["total"], 1, "{}", list.text);
        let invoice = list.body["items"][0].clone();
        let number = invoice["number"].as_str().unwrap();
        let year = chrono::Utc::now().format("%Y").to_string();
        assert_eq!(number, format!("{year}-000001"));
        // The staff member's price 4000, 23 % included: 4000 * 2300 / 12300 = 747.97 -> 748.
        let line = &invoice["lines"][0];
        assert_eq!((line["kind"].as_str(), line["description"].as_str(), line["quantity"].as_i64(), line["unit_price_cents"].as_i64(), line["tax_cents"].as_i64(), line["total_cents"].as_i64()),
            (Some("service"), Some("Cut"), Some(1), Some(4000), Some(748), Some(4000)));
        assert_eq!((invoice["total_cents"].as_i64(), invoice["tax_cents"].as_i64(), invoice["paid_cents"].as_i64(), invoice["balance_cents"].as_i64()), (Some(4000), Some(748), Some(1000), Some(3000)));

        // The client reads their own; another client gets a 404 and an empty list.
        let res = app.get(&format!("/api/v2/invoices/{}", id(&invoice))).token(&s.client).send().await;
        assert_eq!((res.status, res.body["number"].as_str()), (StatusCode::OK, Some(number)));
        let (_, other) = app.client().await;
        app.get(&format!("/api/v2/invoices/{}", id(&invoice))).token(&other).send().await.assert_problem(404, "not-found");
        assert_eq!(app.get("/api/v2/invoices").token(&other).send().await.body["total"], 0);
        app.get("/api/v2/invoices").send().await.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn a_retail_sale_has_its_invoice_with_what_was_paid_at_the_desk(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        product(&app, &admin, "INV-1", 10, json!({"price_cents": 1999})).await;
        let res = app.post("/api/v2/sales/retail").token(&staff).json(json!({"lines": [{"sku": "INV-1", "quantity": 3, "discount_cents": 97}], "payment": {"method": "card_terminal", "amount_cents": 5000}})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let sale = res.body.clone();
        let invoice_id = sale["invoice_id"].as_str().unwrap().to_owned();
        let invoice = app.get(&format!("/api/v2/invoices/{invoice_id}")).token(&staff).send().await.body;
        assert_eq!(invoice["sale_id"], sale["id"]);
        assert_eq!((invoice["lines"][0]["description"].as_str(), invoice["lines"][0]["quantity"].as_i64(), invoice["lines"][0]["discount_cents"].as_i64()), (Some("Product INV-1 (INV-1)"), Some(3), Some(97)));
        assert_eq!((invoice["total_cents"].as_i64(), invoice["paid_cents"].as_i64(), invoice["balance_cents"].as_i64()), (Some(5900), Some(5000), Some(900)));
        // The desk payment is a payment of the invoice.
        let payments = app.get(&format!("/api/v2/payments?invoice_id={invoice_id}")).token(&admin).send().await;
        assert_eq!((payments.body["total"].as_i64(), payments.body["items"][0]["method"].as_str(), payments.body["items"][0]["captured_cents"].as_i64()), (Some(1), Some("card_terminal"), Some(5000)));
        // Reading the sale again names the same invoice.
        let again = app.get(&format!("/api/v2/sales/{}", id(&sale))).token(&staff).send().await;
        assert_eq!(again.body["invoice_id"].as_str(), Some(invoice_id.as_str()));
    }
}

api_test! {
    async fn forty_bookings_completed_from_two_processes_get_forty_numbers_without_a_gap(app) {
        let s = app.salon().await;
        let path = format!("/api/v1/bookings/availability?service_id={}&date={}&days=7", s.service_id, s.date);
        let slots = app.get(&path).send().await.body["slots"].as_array().unwrap().clone();
        let mut booked = Vec::new();
        for slot in &slots {
            if booked.len() == 40 {
                break;
            }
            let res = app.book(&s.admin, json!({"service_id": s.service_id, "client_id": s.client_id, "start_at": slot["start_at"]})).await;
            if res.status == StatusCode::CREATED {
                booked.push(id(&res.body));
            }
        }
        assert_eq!(booked.len(), 40);
        let other = app.another_process().await;
        let handles: Vec<_> = booked
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let process = if i % 2 == 0 { &app } else { &other };
                process.post(&format!("/api/v1/bookings/{b}/complete")).token(&s.admin).json(json!({})).spawn()
            })
            .collect();
        for h in handles {
            let res = h.await.unwrap();
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        }
        let list = app.get("/api/v2/invoices?limit=200").token(&s.admin).send().await;
        assert_eq!(list.body["total"], 40, "{}", list.text);
        let mut seqs: Vec<u32> = list.body["items"].as_array().unwrap().iter()
            .map(|i| i["number"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap())
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=40).collect::<Vec<u32>>());
    }
}
