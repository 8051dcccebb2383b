//! The payment gateway adapters. `in_salon` (cash, card terminal) needs no outside call: a
//! person took the money, and recording it is the capture. `stripe` talks to Stripe's REST
//! API (PaymentIntents, refunds) with reqwest: form-encoded requests, Bearer auth, and an
//! `Idempotency-Key` derived from our own payment or refund id on every call, so a retry after
//! a timeout returns the first result instead of charging again.

use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use crate::config::StripeConfig;

/// A PaymentIntent as far as we read it.
#[derive(Debug, Clone)]
pub struct Intent {
    pub id: String,
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `requires_capture`, `canceled` or `succeeded`.
    pub status: String,
    pub client_secret: Option<String>,
    pub amount_received: i64,
    /// Our payment id, from the intent's metadata.
    pub payment_id: Option<Uuid>,
}

impl Intent {
    pub fn from_json(v: &Value) -> Option<Self> {
        Some(Self {
            id: v.get("id")?.as_str()?.to_owned(),
            status: v.get("status").and_then(Value::as_str).unwrap_or_default().to_owned(),
            client_secret: v.get("client_secret").and_then(Value::as_str).map(str::to_owned),
            amount_received: v.get("amount_received").and_then(Value::as_i64).unwrap_or(0),
            payment_id: v
                .pointer("/metadata/payment_id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok()),
        })
    }
}

/// Why a gateway call did not give a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The card (or other method) was declined: a 402 `card_error`.
    Declined { code: Option<String>, message: String },
    /// No usable answer after every attempt: timeouts, connection errors, 429, 5xx.
    Unavailable(String),
    /// The gateway refused the request (4xx other than 402): our credentials, or a request
    /// it will not take (an intent in the wrong state, a refund beyond the charge).
    Rejected { status: u16, code: Option<String>, message: String },
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Declined { message, .. } => write!(f, "declined: {message}"),
            Self::Unavailable(e) => write!(f, "unavailable: {e}"),
            Self::Rejected { status, code, message } => {
                write!(f, "rejected ({status} {}): {message}", code.as_deref().unwrap_or("-"))
            }
        }
    }
}

/// A Stripe client for one account.
#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base: String,
    key: String,
    attempts: u32,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("base", &self.base).field("key", &"<redacted>").finish()
    }
}

impl Stripe {
    /// `None` when no secret key is configured.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (TLS roots).
    pub fn new(config: &StripeConfig) -> anyhow::Result<Option<Self>> {
        let Some(key) = &config.secret_key else { return Ok(None) };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(config.timeout_ms.clamp(1, 5_000)))
            .build()?;
        Ok(Some(Self {
            http,
            base: config.api_base.clone(),
            key: key.clone(),
            attempts: config.attempts.max(1),
        }))
    }

    /// Creates the PaymentIntent for our payment `payment_id`.
    ///
    /// # Errors
    /// [`GatewayError`].
    pub async fn create_intent(
        &self,
        payment_id: Uuid,
        amount: i64,
        currency: &str,
        description: &str,
        metadata: &[(&str, String)],
    ) -> Result<Intent, GatewayError> {
        let mut form = vec![
            ("amount".to_owned(), amount.to_string()),
            ("currency".to_owned(), currency.to_lowercase()),
            ("description".to_owned(), description.to_owned()),
            ("automatic_payment_methods[enabled]".to_owned(), "true".to_owned()),
            ("metadata[payment_id]".to_owned(), payment_id.to_string()),
        ];
        form.extend(metadata.iter().map(|(k, v)| (format!("metadata[{k}]"), v.clone())));
        let key = format!("salon-payment-{payment_id}");
        let v = self.call(reqwest::Method::POST, "/v1/payment_intents", &form, Some(&key)).await?;
        parse_intent(&v)
    }

    /// # Errors
    /// [`GatewayError`].
    pub async fn retrieve_intent(&self, intent_id: &str) -> Result<Intent, GatewayError> {
        let path = format!("/v1/payment_intents/{}", path_segment(intent_id)?);
        parse_intent(&self.call(reqwest::Method::GET, &path, &[], None).await?)
    }

    /// Cancels an intent that has not succeeded (an expired deposit hold).
    ///
    /// # Errors
    /// [`GatewayError`]; `Rejected` when the intent has succeeded meanwhile.
    pub async fn cancel_intent(&self, intent_id: &str, payment_id: Uuid) -> Result<Intent, GatewayError> {
        let path = format!("/v1/payment_intents/{}/cancel", path_segment(intent_id)?);
        let form = [("cancellation_reason".to_owned(), "abandoned".to_owned())];
        let key = format!("salon-cancel-{payment_id}");
        parse_intent(&self.call(reqwest::Method::POST, &path, &form, Some(&key)).await?)
    }

    /// Refunds `amount` of an intent's charge for our refund `refund_id`; returns Stripe's
    /// refund id and status (`succeeded`, `pending`, `failed`, ...).
    ///
    /// # Errors
    /// [`GatewayError`].
    pub async fn refund(
        &self,
        refund_id: Uuid,
        intent_id: &str,
        amount: i64,
    ) -> Result<(String, String), GatewayError> {
        let form = [
            ("payment_intent".to_owned(), intent_id.to_owned()),
            ("amount".to_owned(), amount.to_string()),
            ("metadata[refund_id]".to_owned(), refund_id.to_string()),
        ];
        let key = format!("salon-refund-{refund_id}");
        let v = self.call(reqwest::Method::POST, "/v1/refunds", &form, Some(&key)).await?;
        let id = v.get("id").and_then(Value::as_str).ok_or_else(|| malformed("refund"))?;
        let status = v.get("status").and_then(Value::as_str).unwrap_or("pending");
        Ok((id.to_owned(), status.to_owned()))
    }

    /// One API call, retried on timeouts, connection errors, 409 (a concurrent request with
    /// the same key), 429 and 5xx, with the same idempotency key each time.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, GatewayError> {
        let body = serde_urlencoded::to_string(form).map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let mut last = GatewayError::Unavailable("no attempt made".into());
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * (1 << attempt.min(5)))).await;
            }
            let mut req =
                self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.key);
            if method != reqwest::Method::GET {
                req = req.header("content-type", "application/x-www-form-urlencoded").body(body.clone());
            }
            if let Some(key) = idempotency_key {
                req = req.header("Idempotency-Key", key);
            }
            let response = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    // Without the URL: it is ours, and the message is enough.
                    let what = if e.is_timeout() { "timed out" } else { "could not connect" };
                    tracing::warn!(path, attempt, error = %e.without_url(), "stripe call failed");
                    last = GatewayError::Unavailable(format!("stripe {what}"));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let should_retry = response
                .headers()
                .get("stripe-should-retry")
                .and_then(|v| v.to_str().ok())
                .map(|v| v == "true");
            let v: Value = match response.json().await {
                Ok(v) => v,
                Err(_) if status >= 500 => {
                    last = GatewayError::Unavailable(format!("stripe answered {status}"));
                    continue;
                }
                Err(e) => {
                    last = GatewayError::Unavailable(format!(
                        "stripe answered {status} with a body that is not JSON"
                    ));
                    tracing::warn!(path, status, error = %e.without_url(), "stripe body unreadable");
                    if status < 300 {
                        return Err(last);
                    }
                    continue;
                }
            };
            if (200..300).contains(&status) {
                return Ok(v);
            }
            let code = v.pointer("/error/code").and_then(Value::as_str).map(str::to_owned);
            let message = v
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .chars()
                .take(300)
                .collect();
            let retryable = should_retry.unwrap_or(status == 409 || status == 429 || status >= 500);
            if status == 402 {
                return Err(GatewayError::Declined { code, message });
            }
            if retryable {
                last = GatewayError::Unavailable(format!("stripe answered {status}"));
                continue;
            }
            return Err(GatewayError::Rejected { status, code, message });
        }
        Err(last)
    }
}

fn parse_intent(v: &Value) -> Result<Intent, GatewayError> {
    Intent::from_json(v).ok_or_else(|| malformed("payment intent"))
}

fn malformed(what: &str) -> GatewayError {
    GatewayError::Unavailable(format!("stripe answered with a {what} we could not read"))
}

/// Gateway ids go into paths: only what Stripe's ids are made of.
fn path_segment(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(GatewayError::Rejected { status: 400, code: None, message: "malformed gateway id".into() })
    }
}
