//! Inventory: the product catalog, the stock ledger (its sum is the level, it never goes
//! below zero, nobody edits it), counts, low-stock alerts by email, and what services use.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::smtp_sink::SmtpSink;

pub async fn product(app: &TestApp, admin: &str, sku: &str, stock: i64, extra: Value) -> Value {
    let mut body = json!({"sku": sku, "name": format!("Product {sku}"), "cost_cents": 400, "price_cents": 1000, "initial_stock": stock});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = app.post("/api/v2/products").token(admin).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

pub async fn stock(app: &TestApp, token: &str, sku: &str, body: Value) -> crate::helpers::TestResponse {
    app.put(&format!("/api/v2/inventory/{sku}/update_stock")).token(token).json(body).send().await
}

pub async fn on_hand(app: &TestApp, token: &str, id: &str) -> i64 {
    let res = app.get(&format!("/api/v2/products/{id}")).token(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["on_hand"].as_i64().unwrap()
}

/// The level and the ledger's sum, which must agree.
pub async fn level_and_ledger(app: &TestApp, token: &str, id: &str) -> (i64, i64) {
    let uuid: uuid::Uuid = id.parse().unwrap();
    let sum = salon::inventory::store::ledger_sum(&app.db, uuid).await.unwrap();
    (on_hand(app, token, id).await, sum)
}

pub async fn alerts(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v2/inventory/alerts?{query}")).token(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["items"].as_array().unwrap().clone()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

api_test! {
    async fn products_are_created_searched_updated_and_deactivated(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let shampoo = product(&app, &admin, "SHMP-250", 12, json!({"name": "Repair shampoo 250 ml", "brand": "Lumen", "category": "Hair care", "reorder_threshold": 4, "barcode": "5601234567890"})).await;
        assert_eq!((shampoo["sku"].as_str(), shampoo["on_hand"].as_i64(), shampoo["low_stock"].as_bool()), (Some("SHMP-250"), Some(12), Some(false)));
        product(&app, &admin, "WAX-1", 0, json!({"name": "Matte wax", "brand": "Forma", "category": "Styling"})).await;

        // SKUs are unique whatever their case; so are barcodes.
        let res = app.post("/api/v2/products").token(&admin).json(json!({"sku": "shmp-250", "name": "Copy", "cost_cents": 1, "price_cents": 2})).send().await;
        res.assert_problem(409, "sku-taken");
        let res = app.post("/api/v2/products").token(&admin).json(json!({"sku": "OTHER", "name": "Copy", "cost_cents": 1, "price_cents": 2, "barcode": "5601234567890"})).send().await;
        res.assert_problem(409, "barcode-taken");

        // Staff read; search by name, SKU or brand words; filter by category and low stock.
        let search = |q: &'static str| { let staff = staff.clone(); let app = &app; async move {
            let res = app.get(&format!("/api/v2/products?{q}")).token(&staff).send().await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            res.body["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }};
        assert_eq!(search("q=repair%20SHAMPOO").await, ["SHMP-250"]);
        assert_eq!(search("q=shmp").await, ["SHMP-250"]);
        assert_eq!(search("q=forma").await, ["WAX-1"]);
        assert_eq!(search("q=100%25").await, Vec::<String>::new());
        assert_eq!(search("category=styling").await, ["WAX-1"]);
        assert_eq!(search("low_stock=true").await, ["WAX-1"]);
        assert_eq!(search("").await, ["WAX-1", "SHMP-250"], "by name: Matte wax, Product..., Repair shampoo");

        // Details change; stock does not change through PATCH.
        let res = app.patch(&format!("/api/v2/products/{}", id(&shampoo))).token(&admin).json(json!({"price_cents": 1200, "brand": null})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!((res.body["price_cents"].as_i64(), res.body["brand"].is_null(), res.body["on_hand"].as_i64()), (Some(1200), true, Some(12)));
        let res = app.patch(&format!("/api/v2/products/{}", id(&shampoo))).token(&admin).json(json!({"on_hand": 99})).send().await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);

        // Deleting deactivates: hidden from the default list, kept with its history.
        let res = app.delete(&format!("/api/v2/products/{}", id(&shampoo))).token(&admin).send().await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        assert_eq!(search("").await, ["WAX-1"]);
        assert_eq!(search("active=false").await, ["SHMP-250"]);
        let res = app.get(&format!("/api/v2/products/{}", id(&shampoo))).token(&staff).send().await;
        assert_eq!((res.body["active"].as_bool(), res.body["on_hand"].as_i64()), (Some(false), Some(12)));
    }
}

api_test! {
    async fn every_stock_change_is_a_movement_and_the_level_is_their_sum(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "Tube-7", 0, json!({})).await;

        let res = stock(&app, &staff, "tube-7", json!({"delta": 24, "reason": "receive", "note": "Delivery 4711"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!((res.body["on_hand"].as_i64(), res.body["movement"]["delta"].as_i64(), res.body["movement"]["balance"].as_i64()), (Some(24), Some(24), Some(24)));
        assert_eq!(res.body["movement"]["reason"], "receive");
        let res = stock(&app, &staff, "TUBE-7", json!({"delta": -2, "reason": "waste"})).await;
        assert_eq!(res.body["on_hand"], 22, "{}", res.text);
        let res = stock(&app, &admin, "Tube-7", json!({"delta": -1, "reason": "adjustment", "note": "miscount"})).await;
        assert_eq!(res.body["on_hand"], 21, "{}", res.text);

        // A count sets the level; its movement is the difference (also when that is nothing).
        let res = stock(&app, &staff, "Tube-7", json!({"count": 18})).await;
        assert_eq!((res.body["on_hand"].as_i64(), res.body["movement"]["delta"].as_i64(), res.body["movement"]["reason"].as_str()), (Some(18), Some(-3), Some("count")), "{}", res.text);
        let res = stock(&app, &staff, "Tube-7", json!({"count": 18, "reason": "count"})).await;
        assert_eq!((res.body["on_hand"].as_i64(), res.body["movement"]["delta"].as_i64()), (Some(18), Some(0)));

        // Reasons must fit, and the ledger never goes below zero: nothing is written then.
        for (body, field) in [
            (json!({"delta": 5}), "reason"),
            (json!({"delta": -5, "reason": "receive"}), "reason"),
            (json!({"delta": 5, "reason": "waste"}), "reason"),
            (json!({"delta": -1, "reason": "sale"}), "reason"),
            (json!({"delta": -1, "reason": "service_use"}), "reason"),
            (json!({"delta": 0, "reason": "adjustment"}), "reason"),
            (json!({"delta": 2, "count": 3, "reason": "receive"}), "delta"),
            (json!({"count": 3, "reason": "receive"}), "reason"),
            (json!({"count": -1}), "count"),
            (json!({"delta": 1_000_001, "reason": "receive"}), "delta"),
        ] {
            let res = stock(&app, &staff, "Tube-7", body.clone()).await;
            assert_eq!(res.status.as_u16(), 422, "{body}: {}", res.text);
            assert!(res.error_fields().contains(&field.to_owned()), "{body}: {}", res.text);
        }
        let res = stock(&app, &staff, "Tube-7", json!({"delta": -19, "reason": "waste"})).await;
        let problem = res.assert_problem(409, "insufficient-stock");
        assert!(problem["detail"].as_str().unwrap().contains("18"), "{problem}");
        let res = stock(&app, &staff, "NOPE", json!({"delta": 1, "reason": "receive"})).await;
        res.assert_problem(404, "not-found");

        assert_eq!(level_and_ledger(&app, &staff, id(&p)).await, (18, 18));
        let res = app.get("/api/v2/inventory/tube-7/movements?limit=2").token(&staff).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["total"], 5, "{}", res.text);
        let deltas: Vec<i64> = res.body["items"].as_array().unwrap().iter().map(|m| m["delta"].as_i64().unwrap()).collect();
        assert_eq!(deltas, [0, -3], "newest first");
        let res = app.get("/api/v2/inventory/tube-7/movements?reason=receive").token(&staff).send().await;
        assert_eq!(res.body["items"][0]["note"], "Delivery 4711");
        assert!(res.body["items"][0]["actor_id"].as_str().is_some());
    }
}

api_test! {
    async fn the_ledger_is_append_only_in_the_database_itself(app) {
        use sea_orm::ConnectionTrait;
        let (_, admin) = app.admin().await;
        let p = product(&app, &admin, "LEDGER", 5, json!({})).await;
        for sql in ["UPDATE stock_movements SET delta = 500", "DELETE FROM stock_movements"] {
            let err = app.db.execute_unprepared(sql).await.expect_err(sql);
            assert!(err.to_string().contains("stock_movements_append_only"), "{err}");
        }
        // Nor does the level row take a negative number, whoever writes it.
        let err = app.db.execute_unprepared("UPDATE products SET on_hand = -1").await.expect_err("negative level");
        assert!(err.to_string().contains("on_hand"), "{err}");
        assert_eq!(level_and_ledger(&app, &admin, id(&p)).await, (5, 5));
    }
}

api_test! {
    async fn stock_levels_list_low_stock_first(app) {
        let (_, admin) = app.admin().await;
        product(&app, &admin, "A-PLENTY", 50, json!({"name": "Aaa plenty", "reorder_threshold": 5})).await;
        product(&app, &admin, "Z-LOW", 2, json!({"name": "Zzz low", "reorder_threshold": 5})).await;
        let res = app.get("/api/v2/inventory").token(&admin).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let skus: Vec<&str> = res.body["items"].as_array().unwrap().iter().map(|l| l["sku"].as_str().unwrap()).collect();
        assert_eq!(skus, ["Z-LOW", "A-PLENTY"]);
        assert_eq!(res.body["items"][0]["low_stock"], true);
        let res = app.get("/api/v2/inventory?low_stock=false").token(&admin).send().await;
        assert_eq!(res.body["total"], 1);
    }
}

api_test! {
    async fn a_low_stock_alert_opens_once_per_crossing_emails_the_admins_and_closes_when_restocked(app) {
        let sink = SmtpSink::start().await;
        let worker = app.process_with(&[("SMTP_URL", sink.url())]).await;
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        let p = product(&app, &admin, "GEL-1", 6, json!({"name": "Curl gel", "reorder_threshold": 3, "reorder_quantity": 12})).await;

        stock(&app, &staff, "GEL-1", json!({"delta": -2, "reason": "waste"})).await; // 4: above
        assert!(alerts(&app, &staff, "").await.is_empty());
        stock(&app, &staff, "GEL-1", json!({"delta": -1, "reason": "waste"})).await; // 3: crosses
        stock(&app, &staff, "GEL-1", json!({"delta": -1, "reason": "waste"})).await; // 2: still low
        stock(&app, &staff, "GEL-1", json!({"delta": -2, "reason": "waste"})).await; // 0
        let open = alerts(&app, &staff, "").await;
        assert_eq!(open.len(), 1, "one alert for one crossing: {open:?}");
        assert_eq!((open[0]["status"].as_str(), open[0]["kind"].as_str(), open[0]["on_hand"].as_i64(), open[0]["sku"].as_str()), (Some("open"), Some("low_stock"), Some(3), Some("GEL-1")));

        // The email goes through the job queue to every admin.
        worker.drain().await;
        let mails = sink.mails();
        assert_eq!(mails.len(), 1, "{mails:?}");
        let admin_email = app.get("/api/v1/users/profile").token(&admin).send().await.body["email"].as_str().unwrap().to_owned();
        assert_eq!(mails[0].to, vec![admin_email]);
        assert!(mails[0].data.contains("Subject: Low stock") && mails[0].data.contains("Curl gel"), "{}", mails[0].data);
        let sent = app.get("/api/v2/notifications?template=low_stock_alert").token(&admin).send().await;
        assert_eq!(sent.body["total"], 1, "{}", sent.text);

        let alert = open[0]["id"].as_str().unwrap();
        let res = app.post(&format!("/api/v2/inventory/alerts/{alert}/acknowledge")).token(&staff).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "acknowledged");
        // Acknowledged is not closed: a further drop opens nothing new.
        stock(&app, &staff, "GEL-1", json!({"delta": 1, "reason": "return"})).await;
        stock(&app, &staff, "GEL-1", json!({"delta": -1, "reason": "waste"})).await;
        assert_eq!(alerts(&app, &staff, "").await.len(), 1);

        // Restocking above the threshold closes it; the next crossing opens a new one.
        stock(&app, &staff, "GEL-1", json!({"delta": 12, "reason": "receive"})).await;
        let all = alerts(&app, &staff, "").await;
        assert_eq!((all.len(), all[0]["status"].as_str()), (1, Some("closed")), "{all:?}");
        assert!(all[0]["closed_at"].is_string());
        let res = app.post(&format!("/api/v2/inventory/alerts/{alert}/acknowledge")).token(&staff).send().await;
        res.assert_problem(409, "invalid-transition");
        stock(&app, &staff, "GEL-1", json!({"count": 1})).await;
        let all = alerts(&app, &staff, "").await;
        assert_eq!(all.len(), 2);
        assert_eq!((all[0]["status"].as_str(), all[1]["status"].as_str()), (Some("open"), Some("closed")), "open ones first");
        assert_eq!(alerts(&app, &staff, "status=closed").await.len(), 1);
        worker.drain().await;
        assert_eq!(sink.mails().len(), 2);
        assert_eq!(level_and_ledger(&app, &staff, id(&p)).await, (1, 1));
    }
}

api_test! {
    async fn completing_a_booking_deducts_what_its_service_uses_and_records_a_shortfall(app) {
        let s = app.salon().await;
        let colour = product(&app, &s.admin, "CLR-6N", 3, json!({"name": "Colour 6N", "retail": false, "reorder_threshold": 0})).await;
        let developer = product(&app, &s.admin, "DEV-20", 10, json!({"name": "Developer 20 vol", "retail": false})).await;
        let recipe = json!({"items": [{"product_id": id(&colour), "quantity": 2}, {"product_id": id(&developer), "quantity": 1}]});
        let res = app.put(&format!("/api/v2/services/{}/products", s.service_id)).token(&s.admin).json(recipe).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["items"].as_array().unwrap().len(), 2);
        let res = app.get(&format!("/api/v2/services/{}/products", s.service_id)).token(&s.staff_token).send().await;
        assert_eq!(res.body["items"].as_array().unwrap().len(), 2, "{}", res.text);

        let mut completed = Vec::new();
        for hhmm in ["10:00", "11:00"] {
            let b = app.book(&s.admin, json!({"service_id": s.service_id, "staff_id": s.staff_id, "client_id": s.client_id, "start_at": s.at(hhmm)})).await;
            assert_eq!(b.status, StatusCode::CREATED, "{}", b.text);
            let res = app.post(&format!("/api/v1/bookings/{}/complete", id(&b.body))).token(&s.staff_token).send().await;
            assert_eq!(res.status, StatusCode::OK, "never refused for lack of stock: {}", res.text);
            completed.push(id(&b.body).to_owned());
        }
        // 3 colour tubes: 2 for the first, 1 of 2 for the second (the level stops at 0).
        assert_eq!(level_and_ledger(&app, &s.admin, id(&colour)).await, (0, 0));
        assert_eq!(level_and_ledger(&app, &s.admin, id(&developer)).await, (8, 8));
        let moves = app.get("/api/v2/inventory/CLR-6N/movements?reason=service_use").token(&s.admin).send().await;
        let booked: Vec<&str> = moves.body["items"].as_array().unwrap().iter().map(|m| m["booking_id"].as_str().unwrap()).collect();
        assert_eq!(booked, [completed[1].as_str(), completed[0].as_str()]);
        let gaps = alerts(&app, &s.admin, "kind=discrepancy").await;
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!((gaps[0]["shortfall"].as_i64(), gaps[0]["booking_id"].as_str(), gaps[0]["on_hand"].as_i64()), (Some(1), Some(completed[1].as_str()), Some(1)));
        // Reaching 0 with threshold 0 is low stock too.
        assert_eq!(alerts(&app, &s.admin, "kind=low_stock").await.len(), 1);

        // Unknown products and repeats are refused; an empty list clears the recipe.
        let bad = json!({"items": [{"product_id": id(&colour), "quantity": 1}, {"product_id": id(&colour), "quantity": 1}, {"product_id": uuid::Uuid::new_v4(), "quantity": 1}]});
        let res = app.put(&format!("/api/v2/services/{}/products", s.service_id)).token(&s.admin).json(bad).send().await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        assert_eq!(res.error_fields(), ["items[1].product_id", "items[2].product_id"]);
        let res = app.put(&format!("/api/v2/services/{}/products", s.service_id)).token(&s.admin).json(json!({"items": []})).send().await;
        assert_eq!(res.body["items"], json!([]));
        let res = app.put(&format!("/api/v2/services/{}/products", uuid::Uuid::new_v4())).token(&s.admin).json(json!({"items": []})).send().await;
        res.assert_problem(404, "not-found");
    }
}
