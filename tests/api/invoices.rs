//! Invoices: issued with a booking's completion (the deposit applied) and with a retail sale,
//! who sees them, and numbers without gaps when many are issued at once from two processes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Server, http_post};
use crate::inventory::product;
use crate::smtp_sink::SmtpSink;

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
    async fn forty_bookings_completed_from_two_server_processes_get_forty_numbers_without_a_gap(app) {
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
        // Completed through two server processes at once.
        let servers = [Server::start(&app), Server::start(&app)];
        let threads: Vec<_> = booked
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let (host, token, path) = (servers[i % 2].base.clone(), s.admin.clone(), format!("/api/v1/bookings/{b}/complete"));
                std::thread::spawn(move || http_post(&host, &path, &token, &json!({})))
            })
            .collect();
        for t in threads {
            let (status, text) = t.join().unwrap();
            assert_eq!(status, 200, "{text}");
        }
        drop(servers);
        let list = app.get("/api/v2/invoices?limit=200").token(&s.admin).send().await;
        assert_eq!(list.body["total"], 40, "{}", list.text);
        let mut seqs: Vec<u32> = list.body["items"].as_array().unwrap().iter()
            .map(|i| i["number"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap())
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=40).collect::<Vec<u32>>());
    }
}

api_test! {
    async fn the_receipt_is_emailed_through_the_queue_and_reads_as_html_and_pdf(app) {
        let sink = SmtpSink::start().await;
        let worker = app.process_with(&[("SMTP_URL", sink.url())]).await;
        let s = app.salon().await;
        app.patch("/api/v1/settings").token(&s.admin).json(json!({"currency": "JPY"})).send().await;
        let booking = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("11:00")})).await.body;
        let res = app.post(&format!("/api/v1/bookings/{}/complete", id(&booking))).token(&s.staff_token).json(json!({})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let invoice = app.get(&format!("/api/v2/invoices?booking_id={}", id(&booking))).token(&s.admin).send().await.body["items"][0].clone();
        let number = invoice["number"].as_str().unwrap().to_owned();

        // Emailed once, with the page as the HTML alternative and the PDF attached.
        worker.drain().await;
        worker.drain().await;
        let mails: Vec<_> = sink.mails().into_iter().filter(|m| m.data.contains(&number)).collect();
        assert_eq!(mails.len(), 1, "{mails:?}");
        let data = &mails[0].data;
        assert!(data.contains(&format!("Subject: Your invoice {number}")), "{data}");
        assert!(data.contains("text/html") && data.contains("application/pdf") && data.contains(&format!("invoice-{number}.pdf")), "{data}");
        let sent = app.get("/api/v2/notifications?template=invoice_receipt").token(&s.admin).send().await;
        assert_eq!((sent.body["total"].as_i64(), sent.body["items"][0]["status"].as_str()), (Some(1), Some("sent")), "{}", sent.text);
        assert_eq!(sent.body["items"][0]["user_id"].as_str(), Some(s.client_id.as_str()));
        // Whole yen: the price 4000 is 4,000, with no decimals.
        assert!(sent.body["items"][0]["body"].as_str().unwrap().contains("Total: 4,000 JPY"), "{}", sent.text);

        // The printable page, for the client and for staff.
        let path = format!("/api/v2/invoices/{}", id(&invoice));
        let page = app.get(&path).token(&s.client).header("accept", "text/html,application/xhtml+xml,*/*;q=0.8").send().await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(page.headers["vary"], "accept");
        assert!(page.text.starts_with("<!doctype html>") && page.text.contains(&number) && page.text.contains("4,000 JPY"), "{}", page.text);
        // The PDF.
        let pdf = app.get(&path).token(&s.staff_token).header("accept", "application/pdf").send().await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert_eq!(pdf.headers["content-disposition"], format!("inline; filename=\"invoice-{number}.pdf\"").as_str());
        assert!(pdf.text.starts_with("%PDF-") && pdf.text.contains(&format!("(Invoice {number})")) && pdf.text.contains("(4,000)"), "{}", pdf.text);
        // JSON stays the default.
        let json = app.get(&path).token(&s.client).header("accept", "*/*").send().await;
        assert_eq!(json.body["number"].as_str(), Some(number.as_str()));
        // Another client gets the same 404 in whatever form they asked for.
        let (_, other) = app.client().await;
        app.get(&path).token(&other).header("accept", "application/pdf").send().await.assert_problem(404, "not-found");
        app.get(&path).header("accept", "text/html").send().await.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn a_walk_in_sale_has_no_receipt_to_send_and_what_users_typed_is_escaped_on_the_page(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        product(&app, &admin, "ESC-1", 10, json!({"name": "<script>alert(1)</script> & gel", "price_cents": 1000})).await;
        let res = app.post("/api/v2/sales/retail").token(&staff).json(json!({"lines": [{"sku": "ESC-1", "quantity": 1}], "payment": {"method": "cash"}})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let invoice_id = res.body["invoice_id"].as_str().unwrap().to_owned();
        app.drain().await;
        let sent = app.get("/api/v2/notifications?template=invoice_receipt").token(&admin).send().await;
        assert_eq!(sent.body["total"], 0, "a walk-in has nobody to send a receipt to: {}", sent.text);
        let page = app.get(&format!("/api/v2/invoices/{invoice_id}")).token(&staff).header("accept", "text/html").send().await;
        assert!(page.text.contains("&lt;script&gt;") && !page.text.contains("<script>"), "{}", page.text);
        // Paid at the desk in full: a receipt, not an invoice.
        assert!(page.text.contains("Receipt ") && page.text.contains("Paid in full"), "{}", page.text);
    }
}

api_test! {
    async fn a_booking_held_for_its_deposit_is_told_what_to_pay_and_by_when(app) {
        let s = app.salon().await;
        app.patch(&format!("/api/v1/services/{}", s.service_id)).token(&s.admin).json(json!({"deposit_cents": 1050})).send().await;
        let booking = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("12:00")})).await;
        assert_eq!((booking.status, booking.body["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{}", booking.text);
        app.drain().await;
        let sent = app.get(&format!("/api/v2/notifications?booking_id={}", id(&booking.body))).token(&s.admin).send().await;
        let templates: Vec<&str> = sent.body["items"].as_array().unwrap().iter().map(|n| n["template"].as_str().unwrap()).collect();
        assert!(templates.contains(&"deposit_request") && !templates.contains(&"booking_confirmation"), "{}", sent.text);
        let request = sent.body["items"].as_array().unwrap().iter().find(|n| n["template"] == "deposit_request").unwrap();
        assert!(request["body"].as_str().unwrap().contains("10.50"), "{request}");
    }
}

api_test! {
    async fn a_return_from_a_part_paid_sale_first_pays_off_its_balance(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        product(&app, &admin, "PART-1", 10, json!({"price_cents": 1000})).await;
        let res = app.post("/api/v2/sales/retail").token(&staff).json(json!({"lines": [{"sku": "PART-1", "quantity": 2}], "payment": {"method": "cash", "amount_cents": 1500}})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let (sale, invoice_id) = (id(&res.body), res.body["invoice_id"].as_str().unwrap().to_owned());
        // One back (worth 1000): the client owed 500, so 500 comes back.
        let res = app.post(&format!("/api/v2/sales/{sale}/return")).token(&staff).json(json!({"lines": [{"sku": "PART-1", "quantity": 1}]})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let invoice = app.get(&format!("/api/v2/invoices/{invoice_id}")).token(&staff).send().await.body;
        assert_eq!((invoice["returned_cents"].as_i64(), invoice["paid_cents"].as_i64(), invoice["balance_cents"].as_i64()), (Some(1000), Some(1000), Some(0)), "{invoice}");
        let payments = app.get(&format!("/api/v2/payments?invoice_id={invoice_id}")).token(&admin).send().await;
        assert_eq!(payments.body["items"][0]["refunded_cents"], 500, "{}", payments.text);
        // Nothing is due: the returned goods are not asked for again.
        app.post("/api/v2/payments").token(&staff).json(json!({"invoice_id": invoice_id, "method": "cash"})).send().await.assert_problem(409, "invoice-settled");
        let page = app.get(&format!("/api/v2/invoices/{invoice_id}")).token(&staff).header("accept", "text/html").send().await;
        assert!(page.text.contains("Returned") && page.text.contains("Receipt "), "{}", page.text);
    }
}
