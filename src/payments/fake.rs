//! A local stand-in for the part of Stripe's API salon uses, answering as Stripe documents it:
//! PaymentIntents (create, retrieve, list, confirm, cancel) and refunds, Bearer `sk_...` keys,
//! idempotency keys (a repeated key replays the first answer, with `Idempotent-Replayed: true`;
//! the same key with other parameters is a 400 `idempotency_error`), and signed webhooks to one
//! endpoint. `salon fake-stripe` runs it for demos; tests start it in-process.
//!
//! To stand in for the customer's browser, `POST /v1/payment_intents/{id}/confirm` takes
//! Stripe's test payment methods: `pm_card_visa` (the default) succeeds,
//! `pm_card_chargeDeclined` is declined (402 `card_declined`); each sends its webhook. A charge
//! paid with `pm_card_refundFail` refunds as `succeeded`, then the refund fails
//! (`charge.refund.updated` with status `failed`), as Stripe's test card of that name does.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::webhook;

/// Where the fake sends its events.
#[derive(Clone, Debug)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

#[derive(Default)]
struct Inner {
    next: u64,
    intents: BTreeMap<String, Value>,
    charges: HashMap<String, Value>,
    /// Idempotency key -> (request fingerprint, status, body).
    replies: HashMap<String, (String, u16, Value)>,
    webhook: Option<WebhookTarget>,
    /// Every request that reached the fake, for tests: (method, path, idempotency key).
    log: Vec<(String, String, Option<String>)>,
}

/// One fake Stripe account.
#[derive(Clone, Default)]
pub struct FakeStripe {
    inner: Arc<Mutex<Inner>>,
    http: reqwest::Client,
}

impl FakeStripe {
    pub fn new(webhook: Option<WebhookTarget>) -> Self {
        let fake = Self::default();
        fake.inner.lock().expect("fake state").webhook = webhook;
        fake
    }

    pub fn set_webhook(&self, target: WebhookTarget) {
        self.inner.lock().expect("fake state").webhook = Some(target);
    }

    /// Every request so far: (method, path, idempotency key).
    pub fn requests(&self) -> Vec<(String, String, Option<String>)> {
        self.inner.lock().expect("fake state").log.clone()
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/payment_intents", post(create_intent).get(list_intents))
            .route("/v1/payment_intents/{id}", get(retrieve_intent))
            .route("/v1/payment_intents/{id}/confirm", post(confirm_intent))
            .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
            .route("/v1/refunds", post(create_refund))
            .with_state(self.clone())
    }

    fn id(&self, inner: &mut Inner, prefix: &str) -> String {
        inner.next += 1;
        format!("{prefix}_fake{:06}", inner.next)
    }

    /// Sends `object` as a `kind` event, signed, in the background (three tries).
    fn send(&self, inner: &mut Inner, kind: &str, object: Value) {
        let Some(target) = inner.webhook.clone() else { return };
        let event = json!({
            "id": self.id(inner, "evt"),
            "object": "event",
            "type": kind,
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
            "data": {"object": object},
        });
        let http = self.http.clone();
        tokio::spawn(async move {
            let body = event.to_string();
            for attempt in 0..3u64 {
                let signature =
                    webhook::sign(&target.secret, chrono::Utc::now().timestamp(), body.as_bytes());
                let sent = http
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .header("stripe-signature", signature)
                    .body(body.clone())
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
            }
            tracing::warn!(url = %target.url, "fake stripe: webhook not delivered");
        });
    }
}

type Reply = (StatusCode, Value);

fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Reply {
    let mut err = json!({"type": kind, "message": message});
    if let Some(code) = code {
        err["code"] = json!(code);
    }
    (status, json!({"error": err}))
}

fn form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn metadata(params: &BTreeMap<String, String>) -> Value {
    let map: serde_json::Map<String, Value> = params
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("metadata[")?.strip_suffix(']')?.to_owned(), json!(v))))
        .collect();
    Value::Object(map)
}

/// The key from `Bearer <key>`, or from Basic auth with the key as the user (`curl -u sk_...:`),
/// both of which Stripe accepts.
fn api_key(header: &str) -> Option<String> {
    use base64::Engine as _;
    if let Some(key) = header.strip_prefix("Bearer ") {
        return Some(key.to_owned());
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(header.strip_prefix("Basic ")?).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split(':').next()?.to_owned())
}

/// Authentication, the request log, and idempotency around each handler.
fn handle(
    fake: &FakeStripe,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    run: impl FnOnce(&FakeStripe, &mut Inner, BTreeMap<String, String>) -> Reply,
) -> Response {
    let mut inner = fake.inner.lock().expect("fake state");
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    inner.log.push((method.to_string(), uri.path().to_owned(), key.clone()));
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(api_key)
        .is_some_and(|k| k.starts_with("sk_"));
    if !authorized {
        let (status, body) =
            error(StatusCode::UNAUTHORIZED, "invalid_request_error", None, "Invalid API Key provided");
        return (status, axum::Json(body)).into_response();
    }
    let fingerprint = format!("{} {} {}", method, uri.path(), String::from_utf8_lossy(body));
    if let Some(key) = &key
        && *method == Method::POST
        && let Some((seen, status, reply)) = inner.replies.get(key).cloned()
    {
        if seen != fingerprint {
            let (status, body) = error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                None,
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
            return (status, axum::Json(body)).into_response();
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return (status, [("idempotent-replayed", "true")], axum::Json(reply)).into_response();
    }
    let (status, reply) = run(fake, &mut inner, form(body));
    if let Some(key) = key
        && *method == Method::POST
    {
        inner.replies.insert(key, (fingerprint, status.as_u16(), reply.clone()));
    }
    (status, axum::Json(reply)).into_response()
}

async fn create_intent(
    State(fake): State<FakeStripe>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&fake, &method, &uri, &headers, &body, |fake, inner, params| {
        let Some(amount) = params.get("amount").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a > 0) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_missing"),
                "Missing required param: amount.",
            );
        };
        let Some(currency) = params.get("currency").filter(|c| c.len() == 3) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_missing"),
                "Missing required param: currency.",
            );
        };
        let id = fake.id(inner, "pi");
        let intent = json!({
            "id": id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "status": "requires_payment_method",
            "client_secret": format!("{id}_secret_{:016x}", rand::random::<u64>()),
            "description": params.get("description"),
            "metadata": metadata(&params),
            "latest_charge": null,
            "last_payment_error": null,
            "livemode": false,
        });
        inner.intents.insert(id, intent.clone());
        (StatusCode::OK, intent)
    })
}

async fn list_intents(
    State(fake): State<FakeStripe>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    handle(&fake, &method, &uri, &headers, b"", |_, inner, _| {
        let data: Vec<Value> = inner.intents.values().rev().cloned().collect();
        (
            StatusCode::OK,
            json!({"object": "list", "url": "/v1/payment_intents", "has_more": false, "data": data}),
        )
    })
}

fn no_such(id: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such payment_intent: '{id}'"),
    )
}

async fn retrieve_intent(
    State(fake): State<FakeStripe>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    handle(&fake, &method, &uri, &headers, b"", |_, inner, _| match inner.intents.get(&id) {
        Some(intent) => (StatusCode::OK, intent.clone()),
        None => no_such(&id),
    })
}

async fn confirm_intent(
    State(fake): State<FakeStripe>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&fake, &method, &uri, &headers, &body, |fake, inner, params| {
        let Some(mut intent) = inner.intents.get(&id).cloned() else { return no_such(&id) };
        if !matches!(intent["status"].as_str(), Some("requires_payment_method" | "requires_confirmation")) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                &format!("This PaymentIntent's status is {}.", intent["status"].as_str().unwrap_or("?")),
            );
        }
        let pm = params.get("payment_method").map_or("pm_card_visa", String::as_str);
        if pm.contains("Declined") || pm.contains("declined") {
            let err = json!({"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."});
            intent["last_payment_error"] = err.clone();
            intent["status"] = json!("requires_payment_method");
            inner.intents.insert(id.clone(), intent.clone());
            fake.send(inner, "payment_intent.payment_failed", intent.clone());
            let mut body = json!({"error": err});
            body["error"]["payment_intent"] = intent;
            return (StatusCode::PAYMENT_REQUIRED, body);
        }
        let charge_id = fake.id(inner, "ch");
        let amount = intent["amount"].as_i64().unwrap_or(0);
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(amount);
        intent["latest_charge"] = json!(charge_id);
        intent["last_payment_error"] = Value::Null;
        inner.intents.insert(id.clone(), intent.clone());
        let charge = json!({
            "id": charge_id, "object": "charge", "amount": amount, "amount_refunded": 0,
            "currency": intent["currency"], "payment_intent": id, "refunded": false,
            "refunds": {"object": "list", "data": []}, "payment_method": pm,
        });
        inner.charges.insert(charge_id, charge);
        fake.send(inner, "payment_intent.succeeded", intent.clone());
        (StatusCode::OK, intent)
    })
}

async fn cancel_intent(
    State(fake): State<FakeStripe>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&fake, &method, &uri, &headers, &body, |fake, inner, params| {
        let Some(mut intent) = inner.intents.get(&id).cloned() else { return no_such(&id) };
        if matches!(intent["status"].as_str(), Some("succeeded" | "canceled")) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                &format!(
                    "You cannot cancel this PaymentIntent because it has a status of {}.",
                    intent["status"].as_str().unwrap_or("?")
                ),
            );
        }
        intent["status"] = json!("canceled");
        intent["cancellation_reason"] = json!(params.get("cancellation_reason"));
        inner.intents.insert(id.clone(), intent.clone());
        fake.send(inner, "payment_intent.canceled", intent.clone());
        (StatusCode::OK, intent)
    })
}

async fn create_refund(
    State(fake): State<FakeStripe>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&fake, &method, &uri, &headers, &body, |fake, inner, params| {
        let Some(intent_id) = params.get("payment_intent") else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_missing"),
                "Missing required param: payment_intent.",
            );
        };
        let Some(intent) = inner.intents.get(intent_id).cloned() else { return no_such(intent_id) };
        let Some(charge_id) = intent["latest_charge"].as_str().map(str::to_owned) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("charge_not_found"),
                "This PaymentIntent has no successful charge to refund.",
            );
        };
        let mut charge = inner.charges.get(&charge_id).cloned().unwrap_or_default();
        let captured = charge["amount"].as_i64().unwrap_or(0);
        let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
        let amount = params.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(captured - refunded);
        if amount <= 0 || refunded + amount > captured {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("charge_already_refunded"),
                &format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({}).",
                    captured - refunded
                ),
            );
        }
        let refund = json!({
            "id": fake.id(inner, "re"), "object": "refund", "amount": amount, "charge": charge_id,
            "payment_intent": intent_id, "status": "succeeded", "currency": intent["currency"],
            "metadata": metadata(&params),
        });
        charge["amount_refunded"] = json!(refunded + amount);
        charge["refunded"] = json!(refunded + amount == captured);
        if let Some(list) = charge.pointer_mut("/refunds/data").and_then(Value::as_array_mut) {
            list.insert(0, refund.clone());
        }
        inner.charges.insert(charge_id.clone(), charge.clone());
        fake.send(inner, "charge.refunded", charge.clone());
        // Stripe's test card for a refund that succeeds, then fails later.
        if charge["payment_method"] == "pm_card_refundFail" {
            let mut failed = refund.clone();
            failed["status"] = json!("failed");
            failed["failure_reason"] = json!("expired_or_canceled_card");
            charge["amount_refunded"] = json!(refunded);
            charge["refunded"] = json!(false);
            if let Some(first) = charge.pointer_mut("/refunds/data/0") {
                *first = failed.clone();
            }
            inner.charges.insert(charge_id, charge);
            fake.send(inner, "charge.refund.updated", failed);
        }
        (StatusCode::OK, refund)
    })
}

/// Serves the fake on `listener` until the process ends.
///
/// # Errors
/// When serving fails.
pub async fn serve(listener: tokio::net::TcpListener, fake: FakeStripe) -> std::io::Result<()> {
    axum::serve(listener, fake.router()).await
}
