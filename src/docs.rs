//! The OpenAPI document and the two documentation UIs, all served from the binary itself
//! (no CDN): Swagger UI at `/docs`, Redoc at `/redoc`, the spec at `/openapi.json`.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
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
