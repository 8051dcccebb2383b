//! Payments: deposits that hold a slot (against the local fake of Stripe's API, and with
//! wiremock for the gateway's failures), webhooks, the end of an unpaid hold, refunds and their
//! race, and the deposit refund on cancellation.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Salon, Server, TestApp, http_post};
use salon::payments::fake::{FakeStripe, WebhookTarget};

const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// The fake Stripe on a port of its own.
async fn fake_stripe() -> (FakeStripe, String) {
    let fake = FakeStripe::new(None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(salon::payments::fake::serve(listener, fake.clone()));
    (fake, base)
}

/// A process of `app` that talks to Stripe at `base`, and serves HTTP on a port (for webhooks).
async fn with_stripe(app: &TestApp, base: &str, timeout_ms: u64) -> (TestApp, String) {
    let stripe = app
        .process_with(&[
            ("STRIPE_SECRET_KEY", "sk_test_123".into()),
            ("STRIPE_API_BASE", base.into()),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("STRIPE_TIMEOUT_MS", timeout_ms.to_string()),
        ])
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v2/payments/webhooks/stripe", listener.local_addr().unwrap());
    let router = stripe.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (stripe, url)
}

/// The salon's service requires a deposit of `rule` (`{"deposit_percent": 25}`).
async fn deposit_rule(app: &TestApp, s: &Salon, rule: Value) {
    let res =
        app.patch(&format!("/api/v1/services/{}", s.service_id)).token(&s.admin).json(rule).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn book(app: &TestApp, s: &Salon, at: &str) -> Value {
    let res = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at(at)})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, s: &Salon, booking: &str) -> String {
    let res = app.get(&format!("/api/v1/bookings/{booking}")).token(&s.admin).send().await;
    res.body["status"].as_str().unwrap().to_owned()
}

async fn offered(app: &TestApp, s: &Salon, at: &str) -> bool {
    let path = format!("/api/v1/bookings/availability?service_id={}&date={}", s.service_id, s.date);
    let res = app.get(&path).send().await;
    res.body["slots"].as_array().unwrap().iter().any(|slot| slot["start_at"] == s.at(at))
}

/// Waits (up to 10 s) for `check` to hold.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// What the customer's browser does with the client secret: confirm the intent at Stripe.
async fn pay_at_stripe(base: &str, intent: &str, payment_method: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/v1/payment_intents/{intent}/confirm"))
        .bearer_auth("sk_test_123")
        .form(&[("payment_method", payment_method)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn signed_event(
    app: &TestApp,
    event: &Value,
    age_secs: i64,
    secret: &str,
) -> crate::helpers::TestResponse {
    let body = event.to_string();
    let sig =
        salon::payments::webhook::sign(secret, chrono::Utc::now().timestamp() - age_secs, body.as_bytes());
    app.post("/api/v2/payments/webhooks/stripe")
        .header("stripe-signature", &sig)
        .raw("application/json", body)
        .send()
        .await
}

async fn payment(app: &TestApp, token: &str, payment: &str) -> Value {
    let res = app.get(&format!("/api/v2/payments/{payment}")).token(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

api_test! {
    async fn a_deposit_holds_the_slot_until_stripe_reports_it_paid(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_percent": 25})).await;
        let (fake, base) = fake_stripe().await;
        let (stripe, webhook_url) = with_stripe(&app, &base, 5_000).await;
        fake.set_webhook(WebhookTarget { url: webhook_url, secret: WEBHOOK_SECRET.into() });

        let booking = book(&stripe, &s, "10:00").await;
        // 25 % of the staff member's 4000, and the slot held meanwhile.
        assert_eq!((booking["status"].as_str(), booking["deposit_cents"].as_i64()), (Some("pending"), Some(1000)));
        assert!(booking["hold_until"].is_string(), "{booking}");
        assert!(!offered(&stripe, &s, "10:00").await);

        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let deposit = res.body.clone();
        assert_eq!((deposit["amount_cents"].as_i64(), deposit["status"].as_str(), deposit["method"].as_str()), (Some(1000), Some("pending"), Some("stripe")));
        let secret = deposit["client_secret"].as_str().unwrap().to_owned();
        let payment_id = deposit["payment_id"].as_str().unwrap().to_owned();
        // Asking again returns the same payment and secret; Stripe was called once, with a key
        // derived from our payment id.
        let again = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        assert_eq!((again.status, again.body["payment_id"].as_str(), again.body["client_secret"].as_str()), (StatusCode::OK, Some(payment_id.as_str()), Some(secret.as_str())));
        let creates: Vec<_> = fake.requests().into_iter().filter(|(m, p, _)| m == "POST" && p == "/v1/payment_intents").collect();
        assert_eq!(creates.len(), 1, "{creates:?}");
        assert_eq!(creates[0].2.as_deref(), Some(format!("salon-payment-{payment_id}").as_str()));

        // A declined card leaves it pending (the client may try another); a good one pays.
        let intent = secret.split("_secret_").next().unwrap().to_owned();
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_chargeDeclined").await, reqwest::StatusCode::PAYMENT_REQUIRED);
        eventually("the decline to be recorded", || async {
            payment(&stripe, &s.client, &payment_id).await["failure_code"] == "card_declined"
        }).await;
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "pending");
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_visa").await, reqwest::StatusCode::OK);
        eventually("the webhook to confirm the booking", || async { status_of(&stripe, &s, &id(&booking)).await == "confirmed" }).await;
        let p = payment(&stripe, &s.client, &payment_id).await;
        assert_eq!((p["status"].as_str(), p["captured_cents"].as_i64(), p["client_secret"].is_null()), (Some("succeeded"), Some(1000), true));
        let history = stripe.get(&format!("/api/v1/bookings/{}/history", id(&booking))).token(&s.admin).send().await;
        let last = history.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["kind"].as_str(), last["reason"].as_str()), (Some("confirmed"), Some("deposit-paid")));
        // Paid: no second deposit.
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        res.assert_problem(409, "deposit-paid");

        // Another client sees neither the payment nor can pay for the booking.
        let (_, other) = app.client().await;
        stripe.get(&format!("/api/v2/payments/{payment_id}")).token(&other).send().await.assert_problem(404, "not-found");
        let res = stripe.post("/api/v2/payments/deposit").token(&other).json(json!({"booking_id": id(&booking)})).send().await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert_eq!(stripe.get("/api/v2/payments").token(&other).send().await.body["total"], 0);
        assert_eq!(stripe.get("/api/v2/payments").token(&s.client).send().await.body["total"], 1);
    }
}

api_test! {
    async fn an_unpaid_hold_ends_with_deposit_expired_and_frees_the_slot(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 1500})).await;
        let (fake, base) = fake_stripe().await;
        let (stripe, _) = with_stripe(&app, &base, 5_000).await;
        let booking = book(&stripe, &s, "11:00").await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let payment_id = res.body["payment_id"].as_str().unwrap().to_owned();
        // Not yet: the job waits for the hold's end.
        stripe.drain().await;
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "pending");
        // The hold ends (as if its minutes had passed).
        let past = chrono::Utc::now() - chrono::Duration::seconds(5);
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        salon::entity::bookings::Entity::update_many().col_expr(salon::entity::bookings::Column::HoldUntil, Expr::value(past))
            .filter(salon::entity::bookings::Column::Id.eq(uuid::Uuid::parse_str(&id(&booking)).unwrap())).exec(&app.db).await.unwrap();
        salon::entity::jobs::Entity::update_many().col_expr(salon::entity::jobs::Column::RunAt, Expr::value(past))
            .filter(salon::entity::jobs::Column::Kind.eq(salon::payments::service::HOLD_EXPIRY_JOB)).exec(&app.db).await.unwrap();
        assert!(stripe.drain().await >= 1);

        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "cancelled");
        let history = stripe.get(&format!("/api/v1/bookings/{}/history", id(&booking))).token(&s.admin).send().await;
        let last = history.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["kind"].as_str(), last["reason"].as_str()), (Some("cancelled"), Some("deposit-expired")));
        assert!(offered(&stripe, &s, "11:00").await, "the slot is free again");
        assert_eq!(payment(&stripe, &s.admin, &payment_id).await["status"], "cancelled");
        // The PaymentIntent was cancelled at Stripe, so it can no longer be paid.
        assert!(fake.requests().iter().any(|(m, p, k)| m == "POST" && p.ends_with("/cancel") && k.as_deref() == Some(&format!("salon-cancel-{payment_id}"))));
        let intents = reqwest::Client::new().get(format!("{base}/v1/payment_intents")).bearer_auth("sk_test_1").send().await.unwrap().json::<Value>().await.unwrap();
        assert_eq!(intents["data"][0]["status"], "canceled");
    }
}

api_test! {
    async fn webhooks_need_a_fresh_valid_signature_and_apply_each_event_once(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 1000})).await;
        let (_fake, base) = fake_stripe().await;
        let (stripe, _) = with_stripe(&app, &base, 5_000).await;
        let booking = book(&stripe, &s, "12:00").await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        let payment_id = res.body["payment_id"].as_str().unwrap().to_owned();
        let intent = res.body["client_secret"].as_str().unwrap().split("_secret_").next().unwrap().to_owned();
        let event = json!({"id": "evt_test_1", "type": "payment_intent.succeeded", "data": {"object": {
            "id": intent, "object": "payment_intent", "status": "succeeded", "amount": 1000, "amount_received": 1000,
            "metadata": {"payment_id": payment_id}}}});

        // Wrong secret, 6 minutes old, missing: 400, nothing changes.
        signed_event(&stripe, &event, 0, "whsec_wrong").await.assert_problem(400, "invalid-signature");
        signed_event(&stripe, &event, 360, WEBHOOK_SECRET).await.assert_problem(400, "invalid-signature");
        stripe.post("/api/v2/payments/webhooks/stripe").raw("application/json", event.to_string()).send().await.assert_problem(400, "invalid-signature");
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "pending");
        assert_eq!(payment(&stripe, &s.admin, &payment_id).await["status"], "pending");

        let res = signed_event(&stripe, &event, 0, WEBHOOK_SECRET).await;
        assert_eq!((res.status, res.body["duplicate"].as_bool()), (StatusCode::OK, Some(false)), "{}", res.text);
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "confirmed");
        // Delivered again: acknowledged, not applied again (one history event).
        let res = signed_event(&stripe, &event, 0, WEBHOOK_SECRET).await;
        assert_eq!((res.status, res.body["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
        let history = stripe.get(&format!("/api/v1/bookings/{}/history", id(&booking))).token(&s.admin).send().await;
        let confirmations = history.body["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "confirmed").count();
        assert_eq!(confirmations, 1);
        // An event for a payment we do not know is acknowledged.
        let unknown = json!({"id": "evt_test_2", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_unknown", "amount_received": 5}}});
        let res = signed_event(&stripe, &unknown, 0, WEBHOOK_SECRET).await;
        assert_eq!((res.status, res.body["received"].as_bool()), (StatusCode::OK, Some(true)));
        // Not an event at all.
        let res = signed_event(&stripe, &json!({"hello": 1}), 0, WEBHOOK_SECRET).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
    }
}

api_test! {
    async fn gateway_errors_leave_the_booking_pending_and_a_timeout_retry_charges_once(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 1000})).await;
        let gateway = MockServer::start().await;
        let (stripe, _) = with_stripe(&app, &gateway.uri(), 400).await;

        // Declined at once: 402, the payment failed, the booking still pending.
        Mock::given(method("POST")).and(path("/v1/payment_intents"))
            .respond_with(ResponseTemplate::new(402).set_body_json(json!({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}})))
            .up_to_n_times(1).mount(&gateway).await;
        let booking = book(&stripe, &s, "13:00").await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        res.assert_problem(402, "payment-declined");
        let list = stripe.get(&format!("/api/v2/payments?booking_id={}", id(&booking))).token(&s.admin).send().await;
        assert_eq!((list.body["total"].as_i64(), list.body["items"][0]["status"].as_str(), list.body["items"][0]["failure_code"].as_str()), (Some(1), Some("failed"), Some("card_declined")));
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "pending");

        // Stripe down (500 on every attempt): 502, nothing recorded as paid.
        Mock::given(method("POST")).and(path("/v1/payment_intents"))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {"type": "api_error", "message": "boom"}})))
            .up_to_n_times(3).mount(&gateway).await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        let problem = res.assert_problem(502, "gateway-error");
        assert!(!problem["detail"].as_str().unwrap().contains("boom"), "{problem}");
        assert_eq!(status_of(&stripe, &s, &id(&booking)).await, "pending");

        // The first attempt times out, the retry answers: one intent, one key for both.
        let intent = json!({"id": "pi_retry", "object": "payment_intent", "status": "requires_payment_method", "amount": 1000, "amount_received": 0, "client_secret": "pi_retry_secret_x"});
        Mock::given(method("POST")).and(path("/v1/payment_intents"))
            .respond_with(ResponseTemplate::new(200).set_body_json(intent.clone()).set_delay(Duration::from_millis(1500)))
            .up_to_n_times(1).mount(&gateway).await;
        Mock::given(method("POST")).and(path("/v1/payment_intents"))
            .respond_with(ResponseTemplate::new(200).set_body_json(intent)).mount(&gateway).await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        assert_eq!((res.status, res.body["client_secret"].as_str()), (StatusCode::CREATED, Some("pi_retry_secret_x")), "{}", res.text);
        let received = gateway.received_requests().await.unwrap();
        let keys: Vec<String> = received.iter().rev().take(2).map(|r| r.headers.get("idempotency-key").unwrap().to_str().unwrap().to_owned()).collect();
        assert_eq!(keys[0], keys[1], "the retry reuses the key");
        assert_eq!(keys[0], format!("salon-payment-{}", res.body["payment_id"].as_str().unwrap()));
        let live = stripe.get(&format!("/api/v2/payments?booking_id={}&status=pending", id(&booking))).token(&s.admin).send().await;
        assert_eq!(live.body["total"], 1);
    }
}

api_test! {
    async fn refunds_never_exceed_the_capture_even_when_they_race(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 100})).await;
        let booking = book(&app, &s, "14:00").await;
        // Taken at the desk: captured and confirmed at once.
        let res = app.post("/api/v2/payments/deposit").token(&s.staff_token).json(json!({"booking_id": id(&booking), "method": "cash"})).send().await;
        assert_eq!((res.status, res.body["status"].as_str()), (StatusCode::CREATED, Some("succeeded")), "{}", res.text);
        let payment_id = res.body["payment_id"].as_str().unwrap().to_owned();
        assert_eq!(status_of(&app, &s, &id(&booking)).await, "confirmed");
        // A client cannot record desk payments or refund.
        let res = app.post("/api/v2/payments/refund").token(&s.client).json(json!({"payment_id": payment_id, "reason": "x"})).send().await;
        res.assert_problem(403, "forbidden");

        // Two refunds of 60, each through its own server process.
        let servers = [Server::start(&app), Server::start(&app)];
        let body = json!({"payment_id": payment_id, "amount_cents": 60, "reason": "unhappy"});
        let threads: Vec<_> = [s.staff_token.clone(), s.admin.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let (host, body) = (servers[i].base.clone(), body.clone());
                std::thread::spawn(move || http_post(&host, "/api/v2/payments/refund", &token, &body))
            })
            .collect();
        let mut results: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(servers);
        results.sort();
        assert_eq!((results[0].0, results[1].0), (201, 409), "{results:?}");
        assert!(results[1].1.contains("/problems/refund-exceeds-captured"), "{results:?}");
        let p = payment(&app, &s.admin, &payment_id).await;
        assert_eq!((p["captured_cents"].as_i64(), p["refunded_cents"].as_i64()), (Some(100), Some(60)));
        // The rest, without an amount; then nothing is left.
        let res = app.post("/api/v2/payments/refund").token(&s.admin).json(json!({"payment_id": payment_id, "reason": "goodwill"})).send().await;
        assert_eq!((res.status, res.body["amount_cents"].as_i64()), (StatusCode::CREATED, Some(40)), "{}", res.text);
        let res = app.post("/api/v2/payments/refund").token(&s.admin).json(json!({"payment_id": payment_id, "amount_cents": 1, "reason": "x"})).send().await;
        res.assert_problem(409, "refund-exceeds-captured");
        let refunds = app.get(&format!("/api/v2/payments/{payment_id}/refunds")).token(&s.admin).send().await;
        assert_eq!(refunds.body.as_array().unwrap().iter().map(|r| r["amount_cents"].as_i64().unwrap()).sum::<i64>(), 100);
        // Hostile input changes nothing.
        for bad in [json!({"payment_id": payment_id, "amount_cents": -5, "reason": "x"}), json!({"payment_id": payment_id, "reason": ""}), json!({"payment_id": "nope", "reason": "x"})] {
            let res = app.post("/api/v2/payments/refund").token(&s.admin).json(bad).send().await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        }
    }
}

api_test! {
    async fn a_stripe_payment_is_refunded_through_stripe_by_an_admin_only(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 1000})).await;
        let (fake, base) = fake_stripe().await;
        let (stripe, webhook_url) = with_stripe(&app, &base, 5_000).await;
        fake.set_webhook(WebhookTarget { url: webhook_url, secret: WEBHOOK_SECRET.into() });
        let booking = book(&stripe, &s, "15:00").await;
        let res = stripe.post("/api/v2/payments/deposit").token(&s.client).json(json!({"booking_id": id(&booking)})).send().await;
        let payment_id = res.body["payment_id"].as_str().unwrap().to_owned();
        let intent = res.body["client_secret"].as_str().unwrap().split("_secret_").next().unwrap().to_owned();
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_visa").await, reqwest::StatusCode::OK);
        eventually("the capture", || async { payment(&stripe, &s.admin, &payment_id).await["status"] == "succeeded" }).await;

        let body = json!({"payment_id": payment_id, "amount_cents": 400, "reason": "late start"});
        stripe.post("/api/v2/payments/refund").token(&s.staff_token).json(body.clone()).send().await.assert_problem(403, "forbidden");
        let res = stripe.post("/api/v2/payments/refund").token(&s.admin).json(body).send().await;
        assert_eq!((res.status, res.body["status"].as_str()), (StatusCode::CREATED, Some("succeeded")), "{}", res.text);
        let refund_id = res.body["id"].as_str().unwrap().to_owned();
        assert!(fake.requests().iter().any(|(m, p, k)| m == "POST" && p == "/v1/refunds" && k.as_deref() == Some(&format!("salon-refund-{refund_id}"))));
        // Stripe's charge.refunded webhook for our own refund records nothing twice.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(payment(&stripe, &s.admin, &payment_id).await["refunded_cents"], 400);
        let refunds = stripe.get(&format!("/api/v2/payments/{payment_id}/refunds")).token(&s.client).send().await;
        assert_eq!(refunds.body.as_array().unwrap().len(), 1, "{}", refunds.text);
    }
}

api_test! {
    async fn cancelling_outside_the_window_refunds_the_deposit_and_inside_keeps_it(app) {
        let s = app.salon().await;
        deposit_rule(&app, &s, json!({"deposit_cents": 500})).await;
        let desk = |booking: String| {
            let app = &app;
            let token = s.staff_token.clone();
            async move {
                let res = app.post("/api/v2/payments/deposit").token(&token).json(json!({"booking_id": booking, "method": "card_terminal"})).send().await;
                assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
                res.body["payment_id"].as_str().unwrap().to_owned()
            }
        };
        // A week ahead, the window 24 hours: the client cancels, the deposit comes back.
        let early = book(&app, &s, "09:00").await;
        let early_payment = desk(id(&early)).await;
        let res = app.post(&format!("/api/v1/bookings/{}/cancel", id(&early))).token(&s.client).json(json!({})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        app.drain().await;
        let p = payment(&app, &s.admin, &early_payment).await;
        assert_eq!(p["refunded_cents"], 500, "{p}");

        // Inside the window (widened to 30 days), the salon cancels: the deposit is kept.
        app.patch("/api/v1/settings").token(&s.admin).json(json!({"cancellation_window_hours": 720})).send().await;
        let late = book(&app, &s, "16:00").await;
        let late_payment = desk(id(&late)).await;
        let res = app.post(&format!("/api/v1/bookings/{}/cancel", id(&late))).token(&s.admin).json(json!({"reason": "no-show warning"})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        app.drain().await;
        assert_eq!(payment(&app, &s.admin, &late_payment).await["refunded_cents"], 0);
    }
}

/// An invoice's `(paid_cents, balance_cents)`.
async fn paid_and_due(app: &TestApp, token: &str, invoice: &str) -> (i64, i64) {
    let i = app.get(&format!("/api/v2/invoices/{invoice}")).token(token).send().await.body;
    (i["paid_cents"].as_i64().unwrap(), i["balance_cents"].as_i64().unwrap())
}

api_test! {
    async fn an_invoice_is_settled_in_parts_at_the_desk_and_online_and_never_beyond_its_balance(app) {
        let s = app.salon().await;
        let booking = book(&app, &s, "10:00").await;
        let res = app.post(&format!("/api/v1/bookings/{}/complete", id(&booking))).token(&s.staff_token).json(json!({})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let invoice = app.get(&format!("/api/v2/invoices?booking_id={}", id(&booking))).token(&s.admin).send().await.body["items"][0].clone();
        let invoice_id = id(&invoice);
        assert_eq!(paid_and_due(&app, &s.admin, &invoice_id).await, (0, 4000));

        // Clients pay online only; staff take part of it at the desk.
        app.post("/api/v2/payments").token(&s.client).json(json!({"invoice_id": invoice_id, "method": "cash"})).send().await.assert_problem(403, "forbidden");
        let res = app.post("/api/v2/payments").token(&s.staff_token).json(json!({"invoice_id": invoice_id, "method": "cash", "amount_cents": 1500})).send().await;
        assert_eq!((res.status, res.body["status"].as_str(), res.body["captured_cents"].as_i64(), res.body["kind"].as_str()), (StatusCode::CREATED, Some("succeeded"), Some(1500), Some("invoice")), "{}", res.text);
        assert_eq!(paid_and_due(&app, &s.admin, &invoice_id).await, (1500, 2500));

        // Two desk payments of 2000 against the 2500 left, from two server processes: one is taken.
        let servers = [Server::start(&app), Server::start(&app)];
        let body = json!({"invoice_id": invoice_id, "method": "card_terminal", "amount_cents": 2000});
        let threads: Vec<_> = [s.staff_token.clone(), s.admin.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let (host, body) = (servers[i].base.clone(), body.clone());
                std::thread::spawn(move || http_post(&host, "/api/v2/payments", &token, &body))
            })
            .collect();
        let mut results: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(servers);
        results.sort();
        assert_eq!((results[0].0, results[1].0), (201, 409), "{results:?}");
        assert!(results[1].1.contains("/problems/exceeds-balance"), "{results:?}");
        assert_eq!(paid_and_due(&app, &s.admin, &invoice_id).await, (3500, 500));
        let res = app.post("/api/v2/payments").token(&s.staff_token).json(json!({"invoice_id": invoice_id, "method": "cash", "amount_cents": 501})).send().await;
        res.assert_problem(409, "exceeds-balance");

        // The client pays the rest online: the default amount is the balance.
        app.post("/api/v2/payments").token(&s.client).json(json!({"invoice_id": invoice_id, "method": "stripe"})).send().await.assert_problem(422, "validation");
        let (fake, base) = fake_stripe().await;
        let (stripe, webhook_url) = with_stripe(&app, &base, 5_000).await;
        fake.set_webhook(WebhookTarget { url: webhook_url, secret: WEBHOOK_SECRET.into() });
        let res = stripe.post("/api/v2/payments").token(&s.client).json(json!({"invoice_id": invoice_id, "method": "stripe"})).send().await;
        assert_eq!((res.status, res.body["status"].as_str(), res.body["amount_cents"].as_i64()), (StatusCode::CREATED, Some("pending"), Some(500)), "{}", res.text);
        let payment_id = id(&res.body);
        let again = stripe.post("/api/v2/payments").token(&s.client).json(json!({"invoice_id": invoice_id, "method": "stripe"})).send().await;
        assert_eq!((again.status, id(&again.body)), (StatusCode::OK, payment_id.clone()), "{}", again.text);
        let intent = res.body["client_secret"].as_str().unwrap().split("_secret_").next().unwrap().to_owned();
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_visa").await, reqwest::StatusCode::OK);
        eventually("the capture", || async { payment(&stripe, &s.admin, &payment_id).await["status"] == "succeeded" }).await;
        assert_eq!(paid_and_due(&app, &s.admin, &invoice_id).await, (4000, 0));
        let res = app.post("/api/v2/payments").token(&s.staff_token).json(json!({"invoice_id": invoice_id, "method": "cash"})).send().await;
        res.assert_problem(409, "invoice-settled");
        let paid = app.get(&format!("/api/v2/payments?invoice_id={invoice_id}&status=succeeded")).token(&s.admin).send().await;
        assert_eq!(paid.body["items"].as_array().unwrap().iter().map(|p| p["captured_cents"].as_i64().unwrap()).sum::<i64>(), 4000);

        // Hostile input, or another client's invoice, changes nothing.
        let (_, other) = app.client().await;
        stripe.post("/api/v2/payments").token(&other).json(json!({"invoice_id": invoice_id, "method": "stripe"})).send().await.assert_problem(422, "validation");
        for bad in [json!({"invoice_id": invoice_id, "method": "cash", "amount_cents": 0}), json!({"invoice_id": invoice_id, "method": "cheque"}), json!({"invoice_id": "nope", "method": "cash"}), json!({"invoice_id": invoice_id})] {
            let res = app.post("/api/v2/payments").token(&s.admin).json(bad).send().await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        }
        assert_eq!(paid_and_due(&app, &s.admin, &invoice_id).await, (4000, 0));
    }
}

api_test! {
    async fn returned_goods_paid_online_are_refunded_through_stripe_and_a_refund_that_fails_later_is_given_back(app) {
        let (fake, base) = fake_stripe().await;
        let (stripe, webhook_url) = with_stripe(&app, &base, 5_000).await;
        fake.set_webhook(WebhookTarget { url: webhook_url, secret: WEBHOOK_SECRET.into() });
        let (_, admin) = stripe.admin().await;
        let (_, staff) = stripe.staff().await;
        let (client_id, client) = stripe.client().await;
        crate::inventory::product(&stripe, &admin, "WEB-1", 10, json!({"price_cents": 1500})).await;
        // Sold unpaid; the client pays the invoice online with a card whose refunds fail later.
        let sale = stripe.post("/api/v2/sales/retail").token(&staff).json(json!({"client_id": client_id, "lines": [{"sku": "WEB-1", "quantity": 2}]})).send().await.body;
        let invoice_id = sale["invoice_id"].as_str().unwrap().to_owned();
        let res = stripe.post("/api/v2/payments").token(&client).json(json!({"invoice_id": invoice_id, "method": "stripe"})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let payment_id = id(&res.body);
        let intent = res.body["client_secret"].as_str().unwrap().split("_secret_").next().unwrap().to_owned();
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_visa").await, reqwest::StatusCode::OK);
        eventually("the capture", || async { payment(&stripe, &admin, &payment_id).await["status"] == "succeeded" }).await;

        // One unit back: its 1500 is reserved at once and sent to Stripe by a job.
        let res = stripe.post(&format!("/api/v2/sales/{}/return", id(&sale))).token(&staff).json(json!({"lines": [{"sku": "WEB-1", "quantity": 1}]})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(payment(&stripe, &admin, &payment_id).await["refunded_cents"], 1500);
        stripe.drain().await;
        let refunds = stripe.get(&format!("/api/v2/payments/{payment_id}/refunds")).token(&admin).send().await.body;
        assert_eq!((refunds[0]["amount_cents"].as_i64(), refunds[0]["status"].as_str()), (Some(1500), Some("succeeded")), "{refunds}");
        let key = format!("salon-refund-{}", id(&refunds[0]));
        assert!(fake.requests().iter().any(|(m, p, k)| m == "POST" && p == "/v1/refunds" && k.as_deref() == Some(key.as_str())));
        let invoice = stripe.get(&format!("/api/v2/invoices/{invoice_id}")).token(&admin).send().await.body;
        assert_eq!(invoice["paid_cents"], 1500);

        // A second invoice paid with Stripe's refund-fail card: the refund succeeds, then fails.
        let sale = stripe.post("/api/v2/sales/retail").token(&staff).json(json!({"client_id": client_id, "lines": [{"sku": "WEB-1", "quantity": 1}]})).send().await.body;
        let res = stripe.post("/api/v2/payments").token(&client).json(json!({"invoice_id": sale["invoice_id"], "method": "stripe"})).send().await;
        let payment_id = id(&res.body);
        let intent = res.body["client_secret"].as_str().unwrap().split("_secret_").next().unwrap().to_owned();
        assert_eq!(pay_at_stripe(&base, &intent, "pm_card_refundFail").await, reqwest::StatusCode::OK);
        eventually("the capture", || async { payment(&stripe, &admin, &payment_id).await["status"] == "succeeded" }).await;
        let res = stripe.post("/api/v2/payments/refund").token(&admin).json(json!({"payment_id": payment_id, "reason": "changed mind"})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let refund_id = id(&res.body);
        eventually("the failure given back", || async { payment(&stripe, &admin, &payment_id).await["refunded_cents"] == 0 }).await;
        let refunds = stripe.get(&format!("/api/v2/payments/{payment_id}/refunds")).token(&admin).send().await.body;
        assert_eq!((id(&refunds[0]), refunds[0]["status"].as_str()), (refund_id, Some("failed")), "{refunds}");
        assert!(refunds[0]["failure_message"].as_str().unwrap().contains("expired_or_canceled_card"), "{refunds}");
        // What was given back can be refunded again.
        let again = stripe.post("/api/v2/payments/refund").token(&admin).json(json!({"payment_id": payment_id, "amount_cents": 100, "reason": "retry"})).send().await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    }
}
