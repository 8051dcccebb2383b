//! The OpenAPI document and the two documentation UIs, all served from the binary itself
//! (no CDN): Swagger UI at `/docs`, Redoc at `/redoc`, the spec at `/openapi.json`.

use std::collections::BTreeMap;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi as Spec, RefOr, Response, ResponseBuilder};
use utoipa_redoc::{Redoc, Servable};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::Problem;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "salon",
        description = "Salon management backend: accounts, staff, services and appointments.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`). Authenticate with \
            `POST /api/v1/users/login` and send `Authorization: Bearer <access_token>`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem, crate::error::FieldError)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "users", description = "Accounts, sessions and profiles"),
        (name = "settings", description = "Salon-wide settings"),
        (name = "staff", description = "Staff profiles, working hours and time off"),
        (name = "services", description = "Service catalog and which staff member performs what"),
        (name = "bookings", description = "Availability, bookings, status changes and history"),
        (name = "jobs", description = "Background jobs (admin): the queue behind messages and maintenance"),
        (name = "notifications", description = "Every message sent by email or SMS"),
        (name = "inventory", description = "Products, the stock ledger and levels, alerts, and what services use"),
        (name = "sales", description = "Retail sales at the front desk, and returns"),
        (name = "payments", description = "Deposits, desk and Stripe payments, refunds, and Stripe's webhook"),
        (name = "recommendations", description = "The next service each client is due for, and what else they may like"),
        (name = "voice", description = "Booking in plain words, offline: parse a text, hold a conversation, or sit behind a Dialogflow agent"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// The name of the bearer scheme in `security(...)` attributes.
pub const BEARER: &str = "bearer";
/// The OAuth2 password flow, so that Swagger's Authorize button can log in.
pub const OAUTH2: &str = "oauth2";

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Spec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
        components.add_security_scheme(
            OAUTH2,
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/v1/users/login",
                Scopes::new(),
            ))])),
        );
    }
}

/// The document as served: the derived one, with the shared errors, the cross-field rules and
/// the links added.
pub fn finish(spec: Spec) -> Spec {
    with_links(with_rules(with_nul_free_strings(with_common_errors(spec))))
}

/// No string the API reads may hold NUL (`\u0000`; see `extract`): every text without a pattern,
/// format or list of values of its own gets [`NUL_FREE`] as its pattern, in the bodies and in
/// the query parameters.
pub fn with_nul_free_strings(mut spec: Spec) -> Spec {
    use utoipa::openapi::path::ParameterIn;
    if let Some(components) = spec.components.as_mut() {
        for schema in components.schemas.values_mut() {
            nul_free(schema);
        }
    }
    for item in spec.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
            .into_iter()
            .flatten()
        {
            for param in op.parameters.iter_mut().flatten().filter_map(|p| match p {
                RefOr::T(p) => Some(p),
                RefOr::Ref(_) => None,
            }) {
                if matches!(param.parameter_in, ParameterIn::Query)
                    && let Some(schema) = param.schema.as_mut()
                {
                    nul_free(schema);
                }
            }
            let bodies = op.request_body.iter_mut().filter_map(|b| match b {
                RefOr::T(b) => Some(b),
                RefOr::Ref(_) => None,
            });
            for content in bodies.flat_map(|b| b.content.values_mut()) {
                if let RefOr::T(content) = content
                    && let Some(schema) = content.schema.as_mut()
                {
                    nul_free(schema);
                }
            }
        }
    }
    spec
}

/// Any text without a NUL character.
pub const NUL_FREE: &str = "^[^\\x00]*$";

/// A format that says nothing about the characters (none, or `password`).
fn free_text(format: Option<&utoipa::openapi::SchemaFormat>) -> bool {
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    match format {
        None | Some(SchemaFormat::KnownFormat(KnownFormat::Password)) => true,
        Some(SchemaFormat::Custom(name)) => name == "password",
        Some(_) => false,
    }
}

fn nul_free(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let text = match &o.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if o.pattern.as_deref() == Some(r"\S") {
                o.pattern = Some(crate::model::NOT_BLANK_PATTERN.to_owned());
            } else if text && o.pattern.is_none() && free_text(o.format.as_ref()) && o.enum_values.is_none() {
                o.pattern = Some(NUL_FREE.to_owned());
            }
            o.properties.values_mut().for_each(nul_free);
            if let Some(extra) = o.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(extra) = extra
            {
                nul_free(extra);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                nul_free(items);
            }
        }
        Schema::OneOf(s) => s.items.iter_mut().for_each(nul_free),
        Schema::AnyOf(s) => s.items.iter_mut().for_each(nul_free),
        Schema::AllOf(s) => s.items.iter_mut().for_each(nul_free),
        _ => {}
    }
}

/// Adds the errors every endpoint shares, derived from what the operation declares: a body
/// can be malformed (400), too large (413), of the wrong type (415) or invalid (422); path
/// and query parameters can be invalid (422); a secured operation can be unauthenticated
/// (401) or forbidden (403); anything can fail inside (500) or find the database busy (503).
pub fn with_common_errors(mut spec: Spec) -> Spec {
    for item in spec.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
            .into_iter()
            .flatten()
        {
            let responses = &mut op.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses.entry(status.to_string()).or_insert_with(|| problem(description));
            };
            if op.request_body.is_some() {
                add("400", "Malformed request body");
                add("413", "Request body too large");
                add("415", "Unsupported content type");
                add("422", "Invalid input; `errors` lists every bad field");
            }
            if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                add("422", "Invalid input; `errors` lists every bad field");
            }
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add("401", "Missing, invalid or expired token, or inactive account");
                add("403", "Your role may not use this endpoint");
            }
            add("500", "Unexpected error (details are logged, never sent)");
            add("503", "The database is busy; retry shortly");
        }
    }
    spec
}

/// Rules across fields that the derived schemas cannot say, added beside them as `allOf`. Each
/// comes from the model it belongs to, next to the service code that enforces it.
pub fn with_rules(mut spec: Spec) -> Spec {
    use utoipa::openapi::schema::{AllOfBuilder, Schema};
    let deposits = || Schema::AnyOf(at_most_one_of("deposit_cents", "deposit_percent"));
    let rules = [
        ("UpdateStockRequest", Schema::OneOf(crate::inventory::model::update_stock_shapes())),
        ("UpdateProfileRequest", Schema::OneOf(crate::users::model::update_profile_shapes())),
        ("CreateServiceRequest", deposits()),
        ("UpdateServiceRequest", deposits()),
    ];
    let Some(components) = spec.components.as_mut() else { return spec };
    components.schemas.insert(NUL_FREE_JSON.to_owned(), RefOr::T(nul_free_json()));
    for (name, rule) in rules {
        if let Some(schema) = components.schemas.remove(name) {
            let combined = AllOfBuilder::new().item(schema).item(rule).build();
            components.schemas.insert(name.to_owned(), RefOr::T(Schema::AllOf(combined)));
        }
    }
    spec
}

/// The component for free-form JSON (Dialogflow's `parameters`): anything without NUL.
pub const NUL_FREE_JSON: &str = "NulFreeJson";

/// Any JSON value with no NUL character in a string or key, recursively.
fn nul_free_json() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
    let itself = || RefOr::Ref(utoipa::openapi::Ref::from_schema_name(NUL_FREE_JSON));
    let text = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).pattern(Some(NUL_FREE));
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(SchemaType::Array(vec![
                Type::Null,
                Type::Boolean,
                Type::Number,
            ])))
            .item(text())
            .item(ArrayBuilder::new().items(itself()))
            .item(ObjectBuilder::new().property_names(Some(text())).additional_properties(Some(itself())))
            .build(),
    )
}

/// A free-form JSON object (or `null`) whose keys and values hold no NUL character.
pub fn nul_free_object() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::Object, Type::Null]))
        .property_names(Some(
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).pattern(Some(NUL_FREE)),
        ))
        .additional_properties(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(NUL_FREE_JSON))))
        .build()
}

/// Not both `a` and `b` (left out or `null` counts as not given).
fn at_most_one_of(a: &str, b: &str) -> utoipa::openapi::schema::AnyOf {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, SchemaType, Type};
    let null = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null));
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().property(a, null()))
        .item(ObjectBuilder::new().property(b, null()))
        .build()
}

/// Links the table below cannot see from the paths: a create whose follow-ups live under another
/// path, or take the new id in their body. `(source, status, target, parameters, body)`, with
/// operations as `METHOD /path` and values as OpenAPI runtime expressions.
type ExtraLink =
    (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], Option<&'static str>);
const EXTRA_LINKS: &[ExtraLink] = &[
    (
        "POST /api/v1/services",
        "201",
        "GET /api/v2/services/{id}/products",
        &[("id", "$response.body#/id")],
        None,
    ),
    (
        "POST /api/v1/services",
        "201",
        "PUT /api/v2/services/{id}/products",
        &[("id", "$response.body#/id")],
        None,
    ),
    ("POST /api/v1/users/register", "201", "PATCH /api/v1/users/{id}", &[("id", "$response.body#/id")], None),
    (
        "POST /api/v1/users/register",
        "201",
        "GET /api/v2/recommendations/client/{id}",
        &[("id", "$response.body#/id")],
        None,
    ),
    (
        "POST /api/v2/products",
        "201",
        "GET /api/v2/inventory/{sku}/movements",
        &[("sku", "$response.body#/sku")],
        None,
    ),
    (
        "POST /api/v2/products",
        "201",
        "PUT /api/v2/inventory/{sku}/update_stock",
        &[("sku", "$response.body#/sku")],
        None,
    ),
    ("POST /api/v2/sales/retail", "201", "GET /api/v2/sales/{id}", &[("id", "$response.body#/id")], None),
    (
        "POST /api/v2/sales/retail",
        "201",
        "POST /api/v2/sales/{id}/return",
        &[("id", "$response.body#/id")],
        None,
    ),
    (
        "POST /api/v2/payments/deposit",
        "201",
        "GET /api/v2/payments/{id}",
        &[("id", "$response.body#/payment_id")],
        None,
    ),
    (
        "POST /api/v2/payments/deposit",
        "201",
        "GET /api/v2/payments/{id}/refunds",
        &[("id", "$response.body#/payment_id")],
        None,
    ),
    (
        "POST /api/v1/bookings",
        "201",
        "POST /api/v2/payments/deposit",
        &[],
        Some(r#"{"booking_id": "$response.body#/id"}"#),
    ),
    (
        "POST /api/v2/payments",
        "201",
        "POST /api/v2/payments/refund",
        &[],
        Some(r#"{"payment_id": "$response.body#/id"}"#),
    ),
];

/// One link to add: from a response of `source` to `target` (`METHOD /path` each).
struct PlannedLink {
    source: String,
    status: String,
    target: String,
    parameters: BTreeMap<String, serde_json::Value>,
    body: Option<serde_json::Value>,
}

/// OpenAPI `links` from each create to the reads, updates and actions on what it created, so
/// generated clients and stateful testers can chain calls. A `POST P` answering 201 links to
/// every operation under `P/{x}` (`x` from the new body's `id`, parameters already in `P` from
/// the request's path); [`EXTRA_LINKS`] adds the follow-ups elsewhere. Each link is named after
/// its target's `operationId` and points at it by `operationRef`.
pub fn with_links(mut spec: Spec) -> Spec {
    // Every operation as `METHOD /path`, with its operationId.
    let mut operations = BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let all = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in all {
            if let Some(op) = op {
                operations.insert(format!("{method} {path}"), op.operation_id.clone().unwrap_or_default());
            }
        }
    }
    let path_params = |path: &str| -> Vec<String> {
        path.split('/').filter_map(|s| Some(s.strip_prefix('{')?.strip_suffix('}')?.to_owned())).collect()
    };
    let mut planned = Vec::new();
    for source in operations.keys().filter_map(|op| op.strip_prefix("POST ")) {
        let inherited = path_params(source);
        let prefix = format!("{source}/{{");
        for target in operations.keys() {
            let Some((_, target_path)) = target.split_once(' ') else { continue };
            let Some(rest) = target_path.strip_prefix(&prefix) else { continue };
            let created = rest.split('}').next().unwrap_or_default();
            let parameters = path_params(target_path)
                .into_iter()
                .filter_map(|p| {
                    let value = if p == created {
                        "$response.body#/id".to_owned()
                    } else if inherited.contains(&p) {
                        format!("$request.path.{p}")
                    } else {
                        return None;
                    };
                    Some((p, serde_json::Value::String(value)))
                })
                .collect();
            planned.push(PlannedLink {
                source: format!("POST {source}"),
                status: "201".into(),
                target: target.clone(),
                parameters,
                body: None,
            });
        }
    }
    for (source, status, target, parameters, body) in EXTRA_LINKS {
        planned.push(PlannedLink {
            source: (*source).to_owned(),
            status: (*status).to_owned(),
            target: (*target).to_owned(),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
                .collect(),
            body: body.and_then(|b| serde_json::from_str(b).ok()),
        });
    }
    for link in planned {
        let (Some((method, path)), Some((target_method, target_path)), Some(name)) =
            (link.source.split_once(' '), link.target.split_once(' '), operations.get(&link.target))
        else {
            continue;
        };
        let op = spec.paths.paths.get_mut(path).and_then(|item| operation_mut(item, method));
        let Some(RefOr::T(response)) = op.and_then(|op| op.responses.responses.get_mut(&link.status)) else {
            continue;
        };
        let pointer = format!(
            "#/paths/{}/{}",
            target_path.replace('~', "~0").replace('/', "~1"),
            target_method.to_lowercase()
        );
        let built = link
            .parameters
            .into_iter()
            .fold(LinkBuilder::new().operation_ref(pointer), |b, (k, v)| b.parameter(k, v))
            .description(format!("`{}` on what this created", link.target))
            .request_body(link.body)
            .build();
        response.links.insert(name.clone(), RefOr::T(built));
    }
    spec
}

fn operation_mut<'a>(item: &'a mut PathItem, method: &str) -> Option<&'a mut Operation> {
    match method {
        "GET" => item.get.as_mut(),
        "POST" => item.post.as_mut(),
        "PUT" => item.put.as_mut(),
        "PATCH" => item.patch.as_mut(),
        "DELETE" => item.delete.as_mut(),
        _ => None,
    }
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem")))),
            )
            .build(),
    )
}

const REDOC_JS: &str = include_str!("../vendor/redoc/redoc.standalone.js");
const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <title>salon API reference</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <div id="redoc-container"></div>
    <script src="/redoc/redoc.standalone.js"></script>
    <script>
      Redoc.init($spec, $config, document.getElementById("redoc-container"));
    </script>
  </body>
</html>
"#;

/// `/openapi.json`, `/docs` and `/redoc`.
pub fn router(spec: Spec) -> Router<AppState> {
    let swagger = SwaggerUi::new("/docs")
        .url("/openapi.json", spec.clone())
        .config(utoipa_swagger_ui::Config::default().persist_authorization(true));
    Router::new().merge(swagger).merge(Redoc::with_url("/redoc", spec).custom_html(REDOC_HTML)).route(
        "/redoc/redoc.standalone.js",
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, "application/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                REDOC_JS,
            )
                .into_response()
        }),
    )
}
