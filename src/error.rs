//! The one place where HTTP statuses are decided: every failure becomes an RFC 9457 problem
//! (`application/problem+json`). Internal details are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`email`, `intervals[2].start`, or a query parameter).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// RFC 9457 problem details, as every error response of this API is shaped.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "/problems/validation", "title": "Validation failed", "status": 422,
    "detail": "2 fields are invalid", "errors": [{"field": "email", "message": "not a valid email address"}]}))]
pub struct Problem {
    /// A relative URI naming the kind of problem (`/problems/<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For `slot-unavailable`: why the time cannot be booked (see the availability explain
    /// endpoint for the list of reasons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<crate::booking::engine::Reason>>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A state conflict; `slug` names it (`email-taken`, `slot-unavailable`, ...).
    #[error("conflict {slug}: {detail}")]
    Conflict { slug: &'static str, detail: String },
    /// The requested time cannot be booked; `reasons` says why (empty when another request
    /// took it first).
    #[error("slot unavailable: {detail}")]
    SlotUnavailable { detail: String, reasons: Vec<crate::booking::engine::Reason> },
    /// A stock movement (or a sale's line) would take a product below zero; `errors` names
    /// the lines.
    #[error("insufficient stock: {detail}")]
    InsufficientStock { detail: String, errors: Vec<FieldError> },
    /// The payment gateway declined the payment (a card declined); nothing was charged.
    #[error("payment declined: {detail}")]
    PaymentDeclined { detail: String },
    /// The payment gateway did not answer, or not usefully (timeouts, 5xx, a refused request);
    /// `detail` is ours, never the gateway's raw text.
    #[error("payment gateway: {detail}")]
    Gateway { detail: String },
    /// A webhook whose signature does not verify.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("rate limited for {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// The database is momentarily unable to take the request (busy, pool exhausted).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn conflict(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { slug, detail: detail.into() }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::InvalidSignature(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::SlotUnavailable { .. } | Self::InsufficientStock { .. } => {
                StatusCode::CONFLICT
            }
            Self::PaymentDeclined { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Gateway { .. } => StatusCode::BAD_GATEWAY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn problem(&self) -> Problem {
        if let Self::SlotUnavailable { detail, reasons } = self {
            return Problem {
                kind: "/problems/slot-unavailable".into(),
                title: "Slot unavailable".into(),
                status: 409,
                detail: detail.clone(),
                errors: None,
                reasons: Some(reasons.clone()),
            };
        }
        let (slug, title, detail, errors) = match self {
            Self::BadRequest(d) => ("malformed-request", "Malformed request", d.clone(), None),
            Self::Unauthorized(d) => ("unauthorized", "Authentication required", d.to_string(), None),
            Self::Forbidden(d) => ("forbidden", "Not allowed", d.to_string(), None),
            Self::NotFound(what) => ("not-found", "Not found", format!("{what} not found"), None),
            Self::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                "this path does not accept that method".into(),
                None,
            ),
            Self::Conflict { slug, detail } => (*slug, "Conflict", detail.clone(), None),
            Self::InsufficientStock { detail, errors } => {
                ("insufficient-stock", "Insufficient stock", detail.clone(), Some(errors.clone()))
            }
            Self::SlotUnavailable { detail, .. } => {
                ("slot-unavailable", "Slot unavailable", detail.clone(), None)
            }
            Self::InvalidSignature(d) => ("invalid-signature", "Invalid signature", d.to_string(), None),
            Self::PaymentDeclined { detail } => {
                ("payment-declined", "Payment declined", detail.clone(), None)
            }
            Self::Gateway { detail } => ("gateway-error", "Payment gateway error", detail.clone(), None),
            Self::PayloadTooLarge => (
                "payload-too-large",
                "Payload too large",
                format!("request bodies are limited to {} bytes", crate::BODY_LIMIT_BYTES),
                None,
            ),
            Self::UnsupportedMediaType(d) => {
                ("unsupported-media-type", "Unsupported media type", d.clone(), None)
            }
            Self::Validation(errors) => {
                let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                fields.sort_unstable();
                fields.dedup();
                let detail = match fields.len() {
                    1 => "1 field is invalid".to_string(),
                    n => format!("{n} fields are invalid"),
                };
                ("validation", "Validation failed", detail, Some(errors.clone()))
            }
            Self::RateLimited { retry_after_secs } => (
                "rate-limited",
                "Too many requests",
                format!("try again in {retry_after_secs} seconds"),
                None,
            ),
            Self::Unavailable(_) => {
                ("unavailable", "Temporarily unavailable", "the server is busy; retry shortly".into(), None)
            }
            Self::Internal(_) => {
                ("internal", "Internal server error", "an unexpected error occurred".into(), None)
            }
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.into(),
            status: self.status().as_u16(),
            detail,
            errors,
            reasons: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Self::Unavailable(e) => tracing::warn!(error = %e, "service unavailable"),
            Self::Gateway { detail } => tracing::warn!(error = %detail, "payment gateway error"),
            _ => tracing::debug!(error = %self, "request rejected"),
        }
        let mut response = problem_response(self.status(), &self.problem());
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], body)
        .into_response()
}

/// Database errors: a constraint named in `constraints` becomes its conflict; a busy or
/// exhausted database becomes a 503; anything else is internal (logged, never sent).
pub fn on_constraint(err: DbErr, constraints: &[(&str, &'static str, &str)]) -> ApiError {
    if let Some(SqlErr::UniqueConstraintViolation(msg) | SqlErr::ForeignKeyConstraintViolation(msg)) =
        err.sql_err()
    {
        for (needle, slug, detail) in constraints {
            if msg.contains(needle) {
                return ApiError::conflict(slug, *detail);
            }
        }
    }
    ApiError::from(err)
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        let text = err.to_string();
        // SQLite's single writer and an exhausted pool are load, not bugs: ask for a retry.
        if text.contains("database is locked")
            || text.contains("pool timed out")
            || text.contains("PoolTimedOut")
        {
            return ApiError::Unavailable(text);
        }
        ApiError::Internal(anyhow::Error::new(err))
    }
}
