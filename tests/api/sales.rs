//! Retail sales: totals and tax, all or nothing, idempotency keys, returns, who sees what,
//! and the stock race (many sales of the last units).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Server, TestApp, http_post};
use crate::inventory::{level_and_ledger, on_hand, product};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn sell(app: &TestApp, token: &str, body: Value) -> crate::helpers::TestResponse {
    app.post("/api/v2/sales/retail").token(token).json(body).send().await
}

async fn sales_total(app: &TestApp, admin: &str) -> i64 {
    app.get("/api/v2/sales").token(admin).send().await.body["total"].as_i64().unwrap()
}

api_test! {
    async fn a_sale_of_several_lines_carries_its_totals_with_tax_per_line(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let (client_id, client) = app.client().await;
        // 23 % included in the prices.
        let res = app.patch("/api/v1/settings").token(&admin).json(json!({"tax_rate_bp": 2300, "prices_include_tax": true})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let shampoo = product(&app, &admin, "SH-1", 10, json!({"price_cents": 1800})).await;
        product(&app, &admin, "WAX-1", 5, json!({"price_cents": 1250, "tax_rate_bp": 600})).await;

        let res = sell(&app, &staff, json!({"client_id": client_id, "lines": [
            {"sku": "sh-1", "quantity": 2, "discount_cents": 300},
            {"sku": "WAX-1", "quantity": 1, "unit_price_cents": 1000},
        ], "payment": {"method": "card_terminal"}})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let sale = res.body.clone();
        assert_eq!(res.headers.get("idempotent-replayed").unwrap(), "false");
        // Line 1: 2 x 1800 - 300 = 3300, tax 3300 * 2300 / 12300 = 617.07 -> 617.
        // Line 2: 1000 at its own 6 %: 1000 * 600 / 10600 = 56.6 -> 57.
        let lines = sale["lines"].as_array().unwrap();
        assert_eq!((lines[0]["sku"].as_str(), lines[0]["total_cents"].as_i64(), lines[0]["tax_cents"].as_i64()), (Some("SH-1"), Some(3300), Some(617)));
        assert_eq!((lines[1]["unit_price_cents"].as_i64(), lines[1]["tax_rate_bp"].as_i64(), lines[1]["tax_cents"].as_i64()), (Some(1000), Some(600), Some(57)));
        assert_eq!((sale["subtotal_cents"].as_i64(), sale["discount_cents"].as_i64(), sale["tax_cents"].as_i64(), sale["total_cents"].as_i64()), (Some(4600), Some(300), Some(674), Some(4300)));
        assert_eq!((sale["paid_cents"].as_i64(), sale["balance_cents"].as_i64(), sale["payment_method"].as_str()), (Some(4300), Some(0), Some("card_terminal")));
        assert_eq!(on_hand(&app, &admin, id(&shampoo)).await, 8);
        let moves = app.get("/api/v2/inventory/SH-1/movements").token(&staff).send().await;
        assert_eq!((moves.body["items"][0]["reason"].as_str(), moves.body["items"][0]["sale_id"].as_str()), (Some("sale"), Some(id(&sale))));

        // Tax on top, for a walk-in who pays part now.
        app.patch("/api/v1/settings").token(&admin).json(json!({"prices_include_tax": false})).send().await;
        let res = sell(&app, &staff, json!({"lines": [{"sku": "SH-1", "quantity": 1}], "payment": {"method": "cash", "amount_cents": 1000}})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!((res.body["tax_cents"].as_i64(), res.body["total_cents"].as_i64(), res.body["balance_cents"].as_i64(), res.body["client_id"].is_null()), (Some(414), Some(2214), Some(1214), true));

        // The client sees their own sale, not the walk-in's; another client sees neither.
        let mine = app.get("/api/v2/sales").token(&client).send().await;
        assert_eq!(mine.body["total"], 1, "{}", mine.text);
        let res = app.get(&format!("/api/v2/sales/{}", id(&sale))).token(&client).send().await;
        assert_eq!(res.status, StatusCode::OK);
        let (_, other) = app.client().await;
        app.get(&format!("/api/v2/sales/{}", id(&sale))).token(&other).send().await.assert_problem(404, "not-found");
        assert_eq!(app.get("/api/v2/sales").token(&other).send().await.body["total"], 0);
        let res = app.get(&format!("/api/v2/sales?client_id={client_id}")).token(&staff).send().await;
        assert_eq!(res.body["total"], 1);
        assert_eq!(sales_total(&app, &admin).await, 2);
    }
}

api_test! {
    async fn a_sale_whose_third_line_lacks_stock_moves_nothing_and_names_the_line(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let a = product(&app, &admin, "A-1", 5, json!({})).await;
        let b = product(&app, &admin, "B-1", 5, json!({})).await;
        let c = product(&app, &admin, "C-1", 1, json!({})).await;
        let res = sell(&app, &staff, json!({"lines": [
            {"sku": "A-1", "quantity": 2}, {"sku": "B-1", "quantity": 1}, {"sku": "C-1", "quantity": 3},
        ]})).await;
        let problem = res.assert_problem(409, "insufficient-stock");
        assert!(problem["detail"].as_str().unwrap().contains("line 3 (C-1)"), "{problem}");
        assert_eq!(res.error_fields(), ["lines[2].quantity"]);
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("3 of C-1 requested, 1 in stock"), "{problem}");
        for (p, level) in [(&a, 5), (&b, 5), (&c, 1)] {
            assert_eq!(level_and_ledger(&app, &admin, id(p)).await, (level, level));
        }
        let moves = app.get("/api/v2/inventory/A-1/movements").token(&staff).send().await;
        assert_eq!(moves.body["total"], 1, "only the initial stock: {}", moves.text);
        assert_eq!(sales_total(&app, &admin).await, 0);

        // The same SKU on two lines counts together.
        let res = sell(&app, &staff, json!({"lines": [{"sku": "A-1", "quantity": 3}, {"sku": "a-1", "quantity": 3}]})).await;
        res.assert_problem(409, "insufficient-stock");
        assert_eq!(on_hand(&app, &admin, id(&a)).await, 5);
    }
}

api_test! {
    async fn what_cannot_be_sold_is_refused_line_by_line(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let old = product(&app, &admin, "OLD-1", 5, json!({})).await;
        app.delete(&format!("/api/v2/products/{}", id(&old))).token(&admin).send().await;
        product(&app, &admin, "BACK-1", 5, json!({"retail": false})).await;
        product(&app, &admin, "OK-1", 5, json!({"price_cents": 500})).await;
        let res = sell(&app, &staff, json!({"lines": [
            {"sku": "OK-1", "quantity": 1}, {"sku": "OLD-1", "quantity": 1}, {"sku": "BACK-1", "quantity": 1},
            {"sku": "NOPE", "quantity": 1}, {"sku": "OK-1", "quantity": 1, "discount_cents": 501},
        ]})).await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        assert_eq!(res.error_fields(), ["lines[1].sku", "lines[2].sku", "lines[3].sku", "lines[4].discount_cents"]);
        let res = sell(&app, &staff, json!({"lines": [{"sku": "OK-1", "quantity": 1}], "client_id": uuid::Uuid::new_v4()})).await;
        assert_eq!(res.error_fields(), ["client_id"]);
        let res = sell(&app, &staff, json!({"lines": [{"sku": "OK-1", "quantity": 1}], "payment": {"method": "cash", "amount_cents": 501}})).await;
        assert_eq!(res.error_fields(), ["payment.amount_cents"]);
        let res = sell(&app, &staff, json!({"lines": [{"sku": "OK-1", "quantity": 1}], "payment": {"method": "stripe"}})).await;
        assert_eq!(res.error_fields(), ["payment.method"]);
        assert_eq!(sales_total(&app, &admin).await, 0);
    }
}

api_test! {
    async fn a_retried_sale_with_the_same_idempotency_key_sells_once(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "IDEM-1", 5, json!({})).await;
        let body = json!({"lines": [{"sku": "IDEM-1", "quantity": 2}]});
        let first = app.post("/api/v2/sales/retail").token(&staff).header("Idempotency-Key", "till-3-0042").json(body.clone()).send().await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let again = app.post("/api/v2/sales/retail").token(&staff).header("Idempotency-Key", "till-3-0042").json(body.clone()).send().await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again.body, first.body);
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (3, 3));
        let other = json!({"lines": [{"sku": "IDEM-1", "quantity": 1}]});
        let res = app.post("/api/v2/sales/retail").token(&staff).header("Idempotency-Key", "till-3-0042").json(other).send().await;
        assert_eq!(res.error_fields(), ["Idempotency-Key"]);
        // Racing retries of one key: one sale.
        let tasks: Vec<_> = (0..6).map(|_| app.post("/api/v2/sales/retail").token(&staff).header("Idempotency-Key", "till-3-0043").json(body.clone()).spawn()).collect();
        let mut ids = Vec::new();
        for t in tasks {
            let res = t.await.unwrap();
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            ids.push(res.body["id"].as_str().unwrap().to_owned());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (1, 1));
        assert_eq!(sales_total(&app, &admin).await, 2);
    }
}

api_test! {
    async fn returns_put_stock_back_and_refund_the_lines_share(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "RET-1", 10, json!({"price_cents": 1000})).await;
        let res = sell(&app, &staff, json!({"lines": [{"sku": "RET-1", "quantity": 3, "discount_cents": 1}], "payment": {"method": "cash"}})).await;
        let sale = res.body.clone();
        assert_eq!(sale["total_cents"], 2999);
        let back = |lines: Value| { let app = &app; let staff = staff.clone(); let sale_id = id(&sale).to_owned(); async move {
            app.post(&format!("/api/v2/sales/{sale_id}/return")).token(&staff).json(json!({"lines": lines, "reason": "allergy"})).send().await
        }};
        let res = back(json!([{"sku": "ret-1", "quantity": 1}])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!((res.body["refunded_cents"].as_i64(), res.body["returns"][0]["refund_cents"].as_i64(), res.body["lines"][0]["returned_quantity"].as_i64()), (Some(1000), Some(1000), Some(1)));
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (8, 8));
        // The cash goes back against the sale's payment, recorded as its refund.
        let payments = app.get(&format!("/api/v2/payments?invoice_id={}", sale["invoice_id"].as_str().unwrap())).token(&admin).send().await;
        let payment = payments.body["items"][0].clone();
        assert_eq!((payment["captured_cents"].as_i64(), payment["refunded_cents"].as_i64()), (Some(2999), Some(1000)), "{}", payments.text);
        let refunds = app.get(&format!("/api/v2/payments/{}/refunds", id(&payment))).token(&admin).send().await;
        assert_eq!((refunds.body[0]["amount_cents"].as_i64(), refunds.body[0]["status"].as_str()), (Some(1000), Some("succeeded")), "{}", refunds.text);
        back(json!([{"sku": "RET-1", "quantity": 3}])).await.assert_problem(409, "return-exceeds-sold");
        let res = back(json!([{"sku": "OTHER", "quantity": 1}])).await;
        assert_eq!(res.error_fields(), ["lines[0].sku"]);
        let res = back(json!([{"sku": "RET-1", "quantity": 2}])).await;
        // Everything back refunds exactly the total.
        assert_eq!((res.body["refunded_cents"].as_i64(), res.body["returns"].as_array().unwrap().len()), (Some(2999), 2), "{}", res.text);
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (10, 10));
        let paid = app.get(&format!("/api/v2/payments/{}", id(&payment))).token(&admin).send().await;
        assert_eq!(paid.body["refunded_cents"], 2999, "{}", paid.text);
        let invoice = app.get(&format!("/api/v2/invoices/{}", sale["invoice_id"].as_str().unwrap())).token(&admin).send().await;
        assert_eq!(invoice.body["paid_cents"], 0, "{}", invoice.text);
        back(json!([{"sku": "RET-1", "quantity": 1}])).await.assert_problem(409, "return-exceeds-sold");
        let moves = app.get("/api/v2/inventory/RET-1/movements?reason=return").token(&staff).send().await;
        assert_eq!(moves.body["total"], 2);
    }
}

/// Sells one unit of `sku` from each of `n` callers at once, through `hosts` in turn (server
/// processes) or, without hosts, this process; returns (201s, insufficient-stock 409s).
async fn race(
    app: &TestApp,
    token: &str,
    sku: &str,
    n: usize,
    hosts: &[String],
) -> (usize, usize, Vec<(u16, String)>) {
    let body = json!({"lines": [{"sku": sku, "quantity": 1}]});
    let results: Vec<(u16, String)> = if hosts.is_empty() {
        let tasks: Vec<_> = (0..n)
            .map(|_| app.post("/api/v2/sales/retail").token(token).json(body.clone()).spawn())
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            let res = t.await.unwrap();
            out.push((res.status.as_u16(), res.text));
        }
        out
    } else {
        let threads: Vec<_> = (0..n)
            .map(|i| {
                let (host, token, body) = (hosts[i % hosts.len()].clone(), token.to_owned(), body.clone());
                std::thread::spawn(move || http_post(&host, "/api/v2/sales/retail", &token, &body))
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    };
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    let refused = results.iter().filter(|(s, b)| *s == 409 && b.contains("insufficient-stock")).count();
    (created, refused, results)
}

api_test! {
    async fn fifty_sales_racing_for_ten_units_sell_exactly_ten(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "HOT-1", 10, json!({})).await;
        let (created, refused, results) = race(&app, &staff, "HOT-1", 50, &[]).await;
        assert_eq!((created, refused), (10, 40), "{results:?}");
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (0, 0));
        assert_eq!(sales_total(&app, &admin).await, 10);
    }
}

api_test! {
    async fn two_server_processes_racing_for_ten_units_sell_exactly_ten(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "HOT-2", 10, json!({})).await;
        let servers = [Server::start(&app), Server::start(&app)];
        let hosts: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
        let (created, refused, results) = race(&app, &staff, "HOT-2", 50, &hosts).await;
        drop(servers);
        assert_eq!((created, refused), (10, 40), "{results:?}");
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (0, 0));
        assert_eq!(sales_total(&app, &admin).await, 10);
    }
}

api_test! {
    async fn hostile_sales_and_stock_changes_get_4xx_and_change_nothing(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "SAFE-1", 5, json!({})).await;
        let many: Vec<Value> = (0..10_000).map(|_| json!({"sku": "SAFE-1", "quantity": 1})).collect();
        let bodies = [
            json!({"lines": [{"sku": "SAFE-1", "quantity": 9_223_372_036_854_775_807i64}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 10_001}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 0}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": -1}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 1, "unit_price_cents": -5}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 1, "discount_cents": -5}]}),
            json!({"lines": [{"sku": "SAFE\u{0}1", "quantity": 1}]}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 1.5}]}),
            json!({"lines": []}),
            json!({"lines": many}),
            json!({"lines": (0..201).map(|_| json!({"sku": "SAFE-1", "quantity": 1})).collect::<Vec<_>>()}),
            json!({"lines": [{"sku": "SAFE-1", "quantity": 1}], "extra": true}),
        ];
        for body in bodies {
            let res = sell(&app, &staff, body.clone()).await;
            assert!(res.status.is_client_error(), "{}: {} {}", &body.to_string()[..80.min(body.to_string().len())], res.status, res.text);
            assert!(res.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/problem+json"));
        }
        for body in [
            json!({"delta": 9_223_372_036_854_775_807i64, "reason": "receive"}),
            json!({"delta": -9_223_372_036_854_775_807i64, "reason": "adjustment"}),
            json!({"delta": 1, "reason": "receive", "note": "a\u{0}b"}),
            json!({"delta": 1, "reason": "stolen"}),
        ] {
            let res = app.put("/api/v2/inventory/SAFE-1/update_stock").token(&staff).json(body.clone()).send().await;
            assert!(res.status.is_client_error(), "{body}: {}", res.text);
        }
        for body in [
            json!({"sku": "has space", "name": "x", "cost_cents": 1, "price_cents": 1}),
            json!({"sku": "a/b", "name": "x", "cost_cents": 1, "price_cents": 1}),
            json!({"sku": "NEG", "name": "x", "cost_cents": -1, "price_cents": 1}),
            json!({"sku": "NEG", "name": "x", "cost_cents": 1, "price_cents": -1}),
            json!({"sku": "NUL", "name": "x\u{0}", "cost_cents": 1, "price_cents": 1}),
            json!({"sku": "BIG", "name": "x", "cost_cents": 1, "price_cents": 1, "initial_stock": 1_000_001}),
            json!({"sku": "TAX", "name": "x", "cost_cents": 1, "price_cents": 1, "tax_rate_bp": 10_001}),
        ] {
            let res = app.post("/api/v2/products").token(&admin).json(body.clone()).send().await;
            assert_eq!(res.status.as_u16(), 422, "{body}: {}", res.text);
        }
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (5, 5));
        assert_eq!(sales_total(&app, &admin).await, 0);
        let all = app.get("/api/v2/products?limit=200").token(&admin).send().await;
        assert_eq!(all.body["total"], 1);
    }
}
