//! Extractors whose every rejection comes back as the API's problem+json, and which validate
//! what they parse (garde) so handlers only ever see valid input.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON body, parsed and validated. Malformed JSON is a 400, a body of the wrong type a 415,
/// an oversized one a 413, and wrong types, missing fields, NUL characters or rule violations
/// a 422 naming the fields.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !has_content_type(req.headers(), is_json) {
            return Err(ApiError::UnsupportedMediaType("expected Content-Type: application/json".into()));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body that may be left out entirely (no body, no `Content-Type`): then `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()> + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let has_type = req.headers().get(header::CONTENT_TYPE).is_some();
        if has_type && !has_content_type(req.headers(), is_json) {
            return Err(ApiError::UnsupportedMediaType("expected Content-Type: application/json".into()));
        }
        let bytes = read_body(req, state).await?;
        let text = std::str::from_utf8(&bytes).unwrap_or("-").trim();
        // No body at all, an empty one, or JSON `null`: the defaults.
        if text.is_empty() || (has_type && text == "null") {
            return Ok(OptionalJson(T::default()));
        }
        if !has_type {
            return Err(ApiError::UnsupportedMediaType("expected Content-Type: application/json".into()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// A JSON body or an OAuth2 form (`application/x-www-form-urlencoded`), as the login endpoint
/// accepts both; `F` converts into `T`.
pub struct JsonOrForm<T>(pub T);

impl<S, T> FromRequest<S> for JsonOrForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()> + FormInput,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if has_content_type(req.headers(), is_json) {
            let bytes = read_body(req, state).await?;
            return parse_json(&bytes).map(JsonOrForm);
        }
        if has_content_type(req.headers(), |m| m == "application/x-www-form-urlencoded") {
            let bytes = read_body(req, state).await?;
            if bytes.contains(&0) || contains_encoded_nul(&bytes) {
                return Err(ApiError::field("body", "must not contain NUL characters"));
            }
            let form: T::Form = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| ApiError::Validation(vec![FieldError::new("body", e.to_string())]))?;
            let value = T::from_form(form);
            validate(&value)?;
            return Ok(JsonOrForm(value));
        }
        Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: application/json or application/x-www-form-urlencoded".into(),
        ))
    }
}

/// A body type that can also arrive as a urlencoded form of another shape.
pub trait FormInput {
    type Form: DeserializeOwned;
    fn from_form(form: Self::Form) -> Self;
}

/// Query parameters, parsed and validated; anything wrong is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        if contains_encoded_nul(raw.as_bytes()) {
            return Err(ApiError::field("query", "must not contain NUL characters"));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = match e.path().to_string() {
                p if p == "." => "query".to_string(),
                p => p,
            };
            ApiError::Validation(vec![FieldError::new(field, e.into_inner().to_string())])
        })?;
        validate(&value)?;
        Ok(Query(value))
    }
}

/// A path parameter; a malformed id (not a UUID) is a 422 naming it.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rejection) => Err(ApiError::Validation(vec![FieldError::new(
                "path",
                format!("invalid path parameter: {}", rejection.body_text()),
            )])),
        }
    }
}

fn has_content_type(headers: &axum::http::HeaderMap, accept: impl Fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| accept(m.trim().to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

fn is_json(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })
}

fn parse_json<T>(bytes: &[u8]) -> Result<T, ApiError>
where
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    // Every body of this API is an object; serde would also read a struct from an array.
    if !value.is_object() {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    integral_numbers_as_integers(&mut value);
    // Fields the body type does not read are ignored, whatever they hold; serde_ignored names them.
    let mut ignored = std::collections::HashSet::new();
    let mut note = |path: serde_ignored::Path| {
        ignored.insert(segments(&path));
    };
    let parsed: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&value, &mut note));
    let parsed = parsed.map_err(|e| {
        let field = match e.path().to_string() {
            p if p == "." => "body".to_string(),
            p => p,
        };
        ApiError::Validation(vec![FieldError::new(field, e.into_inner().to_string())])
    })?;
    let mut nul_fields = Vec::new();
    find_nul_strings(&value, &mut Vec::new(), &ignored, &mut nul_fields);
    if !nul_fields.is_empty() {
        return Err(ApiError::Validation(
            nul_fields.into_iter().map(|f| FieldError::new(f, "must not contain NUL characters")).collect(),
        ));
    }
    validate(&parsed)?;
    Ok(parsed)
}

/// Runs the garde rules and lists every failing field.
pub fn validate<T: garde::Validate<Context = ()>>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|report| {
        ApiError::Validation(
            report
                .iter()
                .map(|(path, error)| {
                    let field = path.to_string();
                    FieldError::new(if field.is_empty() { "body".into() } else { field }, error.message())
                })
                .collect(),
        )
    })
}

/// Where serde_ignored found an ignored field: its keys and indices from the body's root.
fn segments(path: &serde_ignored::Path) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut s = segments(parent);
            s.push(index.to_string());
            s
        }
        Path::Map { parent, key } => {
            let mut s = segments(parent);
            s.push(key.clone());
            s
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            segments(parent)
        }
    }
}

/// NUL is legal JSON (`\u0000`) but no text column should hold it (PostgreSQL refuses it): every
/// string the body type reads, and every key it reads, must be free of it (the schema says so
/// with a pattern on each string). What it ignores is not looked at.
fn find_nul_strings(
    value: &serde_json::Value,
    at: &mut Vec<String>,
    ignored: &std::collections::HashSet<Vec<String>>,
    out: &mut Vec<String>,
) {
    if ignored.contains(at) {
        return;
    }
    let name = |at: &[String]| if at.is_empty() { "body".to_owned() } else { at.join(".") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => out.push(name(at)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(i.to_string());
                find_nul_strings(item, at, ignored, out);
                at.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                at.push(key.clone());
                if key.contains('\0') && !ignored.contains(at) {
                    out.push(name(&at[..at.len() - 1]));
                }
                find_nul_strings(item, at, ignored, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// JSON (and the OpenAPI's JSON Schema) has one number type: `30.0` is the integer 30, so an
/// integer field takes it. serde reads `30.0` only into a float, so every number with no
/// fractional part that an `i64` or `u64` holds is turned into that integer first (a float field
/// still reads an integer).
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return };
            if f.fract() != 0.0 || !f.is_finite() {
                return;
            }
            // The bounds are exact powers of two, so the casts below cannot wrap or saturate.
            if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                *value = serde_json::Value::from(f as i64);
            } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                *value = serde_json::Value::from(f as u64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

fn contains_encoded_nul(raw: &[u8]) -> bool {
    raw.windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible ASCII characters.
///
/// # Errors
/// 422 for an empty, overlong or non-ASCII key.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200);
    key.map(|k| Some(k.to_owned()))
        .ok_or_else(|| ApiError::field("Idempotency-Key", "must be 1 to 200 visible ASCII characters"))
}
