//! The role x endpoint matrix: every endpoint, called as anonymous, client, staff and admin.

use super::helpers::{PASSWORD, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

const ROLES: [&str; 4] = ["anonymous", "client", "staff", "admin"];

struct Case {
    method: Method,
    path: String,
    /// The path as the OpenAPI document names it.
    template: String,
    body: Option<Value>,
    /// Expected status for anonymous, client, staff, admin.
    expect: [u16; 4],
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>, expect: [u16; 4]) -> Case {
    let path = path.into();
    Case { method, template: path.clone(), path, body, expect }
}

/// The cases, with fresh data for each caller (a new email, a new refresh token, a new target).
async fn cases(app: &TestApp, n: usize) -> Vec<Case> {
    let email = format!("matrix{n}@example.com");
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let other = app.register(&format!("target{n}@example.com")).await;
    let target = other["id"].as_str().unwrap().to_owned();
    let fresh = format!("new{n}@example.com");
    vec![
        case(
            Method::POST,
            "/api/v1/users/register",
            Some(json!({"email": fresh, "password": PASSWORD, "full_name": "New"})),
            [201; 4],
        ),
        case(
            Method::POST,
            "/api/v1/users/login",
            Some(json!({"email": email, "password": PASSWORD})),
            [200; 4],
        ),
        case(
            Method::POST,
            "/api/v1/users/refresh",
            Some(json!({"refresh_token": tokens["refresh_token"]})),
            [200; 4],
        ),
        case(
            Method::POST,
            "/api/v1/users/logout",
            Some(json!({"refresh_token": tokens["refresh_token"]})),
            [204; 4],
        ),
        case(Method::GET, "/api/v1/users/profile", None, [401, 200, 200, 200]),
        case(
            Method::PATCH,
            "/api/v1/users/profile",
            Some(json!({"full_name": "Renamed"})),
            [401, 200, 200, 200],
        ),
        case(Method::GET, "/api/v1/users", None, [401, 403, 200, 200]),
        Case {
            template: "/api/v1/users/{id}".into(),
            ..case(
                Method::PATCH,
                format!("/api/v1/users/{target}"),
                Some(json!({"is_active": true})),
                [401, 403, 403, 200],
            )
        },
        case(Method::GET, "/api/v1/settings", None, [200; 4]),
        case(Method::PATCH, "/api/v1/settings", Some(json!({"name": "Matrix"})), [401, 403, 403, 200]),
        case(Method::GET, "/healthz", None, [200; 4]),
        case(Method::GET, "/readyz", None, [200; 4]),
        case(Method::GET, "/metrics", None, [200; 4]),
        case(Method::GET, "/openapi.json", None, [200; 4]),
        Case { template: "docs".into(), ..case(Method::GET, "/docs/", None, [200; 4]) },
        case(Method::GET, "/redoc", None, [200; 4]),
    ]
}

api_test! {
    async fn every_endpoint_enforces_its_roles(app) {
        let (_, client) = app.client().await;
        let (_, staff) = app.staff().await;
        let (_, admin) = app.admin().await;
        let tokens = [None, Some(client), Some(staff), Some(admin)];

        let mut failures = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            for c in cases(&app, i).await {
                let mut req = app.request(c.method.clone(), &c.path);
                if let Some(body) = &c.body {
                    req = req.json(body.clone());
                }
                if let Some(t) = token {
                    req = req.token(t);
                }
                let res = req.send().await;
                if res.status.as_u16() != c.expect[i] {
                    failures.push(format!("{} {} as {}: expected {}, got {} {}", c.method, c.path, ROLES[i], c.expect[i], res.status, res.text));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

api_test! {
    async fn every_documented_operation_is_in_the_matrix(app) {
        // A new endpoint must be added to the matrix above: compare with the served spec.
        let spec = app.get("/openapi.json").send().await.body;
        let mut documented: Vec<String> = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let covered: Vec<String> = cases(&app, 99)
            .await
            .iter()
            .map(|c| format!("{} {}", c.method, c.template))
            .collect();
        let missing: Vec<&String> = documented.iter().filter(|op| !covered.contains(op)).collect();
        assert!(missing.is_empty(), "operations without a role test: {missing:?}");
    }
}
