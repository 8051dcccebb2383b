//! The role x endpoint matrix: every endpoint, called as anonymous, client, staff and admin.

use super::helpers::{PASSWORD, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

const ROLES: [&str; 4] = ["anonymous", "client", "staff", "admin"];
const ADMIN_ONLY: [u16; 4] = [401, 403, 403, 200];

struct Case {
    method: Method,
    path: String,
    /// The path as the OpenAPI document names it.
    template: &'static str,
    body: Option<Value>,
    /// Expected status for anonymous, client, staff, admin.
    expect: [u16; 4],
}

fn case(
    method: Method,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    expect: [u16; 4],
) -> Case {
    Case { method, template, path: path.into(), body, expect }
}

/// Same path as template.
fn at(method: Method, path: &'static str, body: Option<Value>, expect: [u16; 4]) -> Case {
    case(method, path, path, body, expect)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The cases, with fresh data for each caller (a new email, a new refresh token, a new target).
async fn cases(app: &TestApp, admin: &str, n: usize) -> Vec<Case> {
    let email = format!("matrix{n}@example.com");
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let target = id(&app.register(&format!("target{n}@example.com")).await);
    let staff = id(&app.create_staff(admin, &format!("stylist{n}@example.com")).await);
    let leaving = id(&app.create_staff(admin, &format!("leaving{n}@example.com")).await);
    let time_off = id(&app
        .post(&format!("/api/v1/staff/{staff}/time-off"))
        .token(admin)
        .json(json!({"start_at": "2030-01-01T00:00:00Z", "end_at": "2030-01-02T00:00:00Z"}))
        .send()
        .await
        .body);
    let category = id(&app.create_category(admin, &format!("Category {n}")).await);
    let old_category = id(&app.create_category(admin, &format!("Old category {n}")).await);
    let service = id(&app.create_service(admin, &format!("Service {n}"), 30, 1000).await);
    let old_service = id(&app.create_service(admin, &format!("Old service {n}"), 30, 1000).await);
    let unassigned = id(&app.create_service(admin, &format!("Unassigned {n}"), 30, 1000).await);
    let assignment = id(&app.assign(admin, &staff, &service).await);
    let week = json!({"intervals": [{"weekday": 1, "start": "09:00", "end": "17:00"}]});
    let synonym = id(&app
        .post("/api/v2/voice/synonyms")
        .token(admin)
        .json(json!({"kind": "service", "target_id": service, "phrase": format!("old phrase {n}")}))
        .send()
        .await
        .body);
    // Bookings to act on, one day per caller so that nothing overlaps: pending ones (approval
    // required) and confirmed ones, all for `target`.
    let all_week: Vec<Value> =
        (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect();
    app.put(&format!("/api/v1/staff/{staff}/schedule"))
        .token(admin)
        .json(json!({"intervals": all_week}))
        .send()
        .await;
    app.patch("/api/v1/settings").token(admin).json(json!({"require_approval": true})).send().await;
    let day = (chrono::Utc::now() + chrono::Duration::days(7 + (n % 10) as i64)).date_naive();
    let hour_at = |hour: u32| format!("{day}T{hour:02}:00:00Z");
    // A job that cannot succeed (an unknown kind) is dead after one run: an admin may retry it.
    let dead = salon::jobs::store::NewJob {
        kind: "test.unknown",
        payload: json!({}),
        dedupe_key: Some(format!("matrix-dead-{n}")),
        ref_id: None,
        run_at: chrono::Utc::now(),
        max_attempts: 3,
    };
    salon::jobs::store::enqueue(&app.db, &[dead]).await.unwrap();
    app.drain().await;
    let dead_job = salon::jobs::store::list(&salon::jobs::store::JobFilter {
        status: Some("dead"),
        kind: Some("test.unknown".into()),
        ref_id: None,
    })
    .all(&app.db)
    .await
    .unwrap()
    .into_iter()
    .find(|j| j.dedupe_key.as_deref() == Some(&format!("matrix-dead-{n}")))
    .unwrap()
    .id;
    let mut booked = Vec::new();
    for hour in 9..15 {
        let body =
            json!({"service_id": service, "staff_id": staff, "client_id": target, "start_at": hour_at(hour)});
        let res = app.post("/api/v1/bookings").token(admin).json(body).send().await;
        assert_eq!(res.status.as_u16(), 201, "{}", res.text);
        booked.push(id(&res.body));
    }
    for confirmed in &booked[3..5] {
        app.post(&format!("/api/v1/bookings/{confirmed}/confirm")).token(admin).send().await;
    }
    let [to_read, to_move, to_confirm, to_complete, to_no_show, to_cancel] = booked.try_into().unwrap();
    let new_booking =
        json!({"service_id": service, "staff_id": staff, "client_id": target, "start_at": hour_at(16)});
    let explain = format!(
        "/api/v1/bookings/availability/explain?service_id={service}&staff_id={staff}&start_at={}",
        hour_at(16)
    );
    let off = json!({"start_at": "2031-01-01T00:00:00Z", "end_at": "2031-01-02T00:00:00Z"});
    // Inventory: a product to read, change and sell; one to deactivate; one whose alert is open.
    let new_product = |sku: String, stock: i64| json!({"sku": sku, "name": "Matrix product", "cost_cents": 100, "price_cents": 500, "initial_stock": stock});
    let sku = format!("MTX-{n}");
    let product =
        id(&app.post("/api/v2/products").token(admin).json(new_product(sku.clone(), 100)).send().await.body);
    let old_product = id(&app
        .post("/api/v2/products")
        .token(admin)
        .json(new_product(format!("DEL-{n}"), 0))
        .send()
        .await
        .body);
    let alerting = format!("ALR-{n}");
    app.post("/api/v2/products").token(admin).json(new_product(alerting.clone(), 1)).send().await;
    app.put(&format!("/api/v2/inventory/{alerting}/update_stock"))
        .token(admin)
        .json(json!({"delta": -1, "reason": "waste"}))
        .send()
        .await;
    let alerts = app.get("/api/v2/inventory/alerts?limit=200").token(admin).send().await.body;
    let alert =
        alerts["items"].as_array().unwrap().iter().find(|a| a["sku"] == alerting.as_str()).map(id).unwrap();
    // Two units: one comes back in the return case, and the other is still due for the payment case.
    let sold = app
        .post("/api/v2/sales/retail")
        .token(admin)
        .json(json!({"client_id": target, "lines": [{"sku": sku, "quantity": 2}]}))
        .send()
        .await
        .body;
    let (sale, invoice) = (id(&sold), sold["invoice_id"].as_str().unwrap().to_owned());
    let recipe = json!({"items": [{"product_id": product, "quantity": 1}]});
    // Payments: a service with a deposit; one booking whose deposit is due, one paid at the desk.
    let with_deposit = id(&app.create_service(admin, &format!("Deposit service {n}"), 30, 2000).await);
    app.assign(admin, &staff, &with_deposit).await;
    app.patch(&format!("/api/v1/services/{with_deposit}"))
        .token(admin)
        .json(json!({"deposit_cents": 500}))
        .send()
        .await;
    let deposit_booking = |at: String| {
        let body =
            json!({"service_id": with_deposit, "staff_id": staff, "client_id": target, "start_at": at});
        async move {
            let res = app.post("/api/v1/bookings").token(admin).json(body).send().await;
            assert_eq!(res.status.as_u16(), 201, "{}", res.text);
            id(&res.body)
        }
    };
    // A day of their own, past the other bookings' days.
    let deposit_day = day + chrono::Duration::days(20);
    let due = deposit_booking(format!("{deposit_day}T10:00:00Z")).await;
    let paid_booking = deposit_booking(format!("{deposit_day}T11:00:00Z")).await;
    let paid = app
        .post("/api/v2/payments/deposit")
        .token(admin)
        .json(json!({"booking_id": paid_booking, "method": "cash"}))
        .send()
        .await
        .body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    vec![
        at(
            Method::POST,
            "/api/v1/users/register",
            Some(json!({"email": format!("new{n}@example.com"), "password": PASSWORD, "full_name": "New"})),
            [201; 4],
        ),
        at(
            Method::POST,
            "/api/v1/users/login",
            Some(json!({"email": email, "password": PASSWORD})),
            [200; 4],
        ),
        at(
            Method::POST,
            "/api/v1/users/refresh",
            Some(json!({"refresh_token": tokens["refresh_token"]})),
            [200; 4],
        ),
        at(
            Method::POST,
            "/api/v1/users/logout",
            Some(json!({"refresh_token": tokens["refresh_token"]})),
            [204; 4],
        ),
        at(Method::GET, "/api/v1/users/profile", None, [401, 200, 200, 200]),
        at(
            Method::PATCH,
            "/api/v1/users/profile",
            Some(json!({"full_name": "Renamed"})),
            [401, 200, 200, 200],
        ),
        at(Method::GET, "/api/v1/users", None, [401, 403, 200, 200]),
        case(
            Method::PATCH,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{target}"),
            Some(json!({"is_active": true})),
            ADMIN_ONLY,
        ),
        at(Method::GET, "/api/v1/settings", None, [200; 4]),
        at(Method::PATCH, "/api/v1/settings", Some(json!({"name": "Matrix"})), ADMIN_ONLY),
        case(
            Method::GET,
            "/api/v1/bookings/availability",
            format!("/api/v1/bookings/availability?service_id={service}&date={day}"),
            None,
            [200; 4],
        ),
        case(Method::GET, "/api/v1/bookings/availability/explain", explain, None, [200; 4]),
        // Clients book for themselves only (403 for `target`); this staff account has no profile.
        at(Method::POST, "/api/v1/bookings", Some(new_booking), [401, 403, 201, 201]),
        at(Method::GET, "/api/v1/bookings", None, [401, 200, 200, 200]),
        // Someone else's booking: a 404 for a client and for staff who are not its staff member.
        case(
            Method::GET,
            "/api/v1/bookings/{id}",
            format!("/api/v1/bookings/{to_read}"),
            None,
            [401, 404, 404, 200],
        ),
        case(
            Method::PATCH,
            "/api/v1/bookings/{id}",
            format!("/api/v1/bookings/{to_move}"),
            Some(json!({"notes": "x"})),
            [401, 404, 404, 200],
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}/history",
            format!("/api/v1/bookings/{to_read}/history"),
            None,
            [401, 404, 404, 200],
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/confirm",
            format!("/api/v1/bookings/{to_confirm}/confirm"),
            None,
            [401, 403, 404, 200],
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/complete",
            format!("/api/v1/bookings/{to_complete}/complete"),
            None,
            [401, 403, 404, 200],
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/no-show",
            format!("/api/v1/bookings/{to_no_show}/no-show"),
            None,
            [401, 403, 404, 200],
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/cancel",
            format!("/api/v1/bookings/{to_cancel}/cancel"),
            None,
            [401, 404, 404, 200],
        ),
        at(Method::GET, "/api/v1/staff", None, [200; 4]),
        at(
            Method::POST,
            "/api/v1/staff",
            Some(json!({"email": format!("hired{n}@example.com"), "full_name": "Hired"})),
            [401, 403, 403, 201],
        ),
        case(Method::GET, "/api/v1/staff/{id}", format!("/api/v1/staff/{staff}"), None, [200; 4]),
        case(
            Method::PATCH,
            "/api/v1/staff/{id}",
            format!("/api/v1/staff/{staff}"),
            Some(json!({"bio": "New bio"})),
            ADMIN_ONLY,
        ),
        case(
            Method::DELETE,
            "/api/v1/staff/{id}",
            format!("/api/v1/staff/{leaving}"),
            None,
            [401, 403, 403, 204],
        ),
        case(
            Method::GET,
            "/api/v1/staff/{id}/schedule",
            format!("/api/v1/staff/{staff}/schedule"),
            None,
            [200; 4],
        ),
        case(
            Method::PUT,
            "/api/v1/staff/{id}/schedule",
            format!("/api/v1/staff/{staff}/schedule"),
            Some(week),
            ADMIN_ONLY,
        ),
        case(
            Method::GET,
            "/api/v1/staff/{id}/time-off",
            format!("/api/v1/staff/{staff}/time-off"),
            None,
            ADMIN_ONLY,
        ),
        case(
            Method::POST,
            "/api/v1/staff/{id}/time-off",
            format!("/api/v1/staff/{staff}/time-off"),
            Some(off),
            [401, 403, 403, 201],
        ),
        case(
            Method::DELETE,
            "/api/v1/staff/{id}/time-off/{time_off_id}",
            format!("/api/v1/staff/{staff}/time-off/{time_off}"),
            None,
            [401, 403, 403, 204],
        ),
        at(Method::GET, "/api/v1/services/categories", None, [200; 4]),
        at(
            Method::POST,
            "/api/v1/services/categories",
            Some(json!({"name": format!("Fresh {n}")})),
            [401, 403, 403, 201],
        ),
        case(
            Method::PATCH,
            "/api/v1/services/categories/{id}",
            format!("/api/v1/services/categories/{category}"),
            Some(json!({"description": "d"})),
            ADMIN_ONLY,
        ),
        case(
            Method::DELETE,
            "/api/v1/services/categories/{id}",
            format!("/api/v1/services/categories/{old_category}"),
            None,
            [401, 403, 403, 204],
        ),
        at(Method::GET, "/api/v1/services", None, [200; 4]),
        at(
            Method::POST,
            "/api/v1/services",
            Some(json!({"name": "Fresh", "duration_minutes": 30, "price_cents": 100})),
            [401, 403, 403, 201],
        ),
        case(Method::GET, "/api/v1/services/{id}", format!("/api/v1/services/{service}"), None, [200; 4]),
        case(
            Method::PATCH,
            "/api/v1/services/{id}",
            format!("/api/v1/services/{service}"),
            Some(json!({"price_cents": 1200})),
            ADMIN_ONLY,
        ),
        case(
            Method::DELETE,
            "/api/v1/services/{id}",
            format!("/api/v1/services/{old_service}"),
            None,
            [401, 403, 403, 204],
        ),
        at(Method::GET, "/api/v1/services/assignments", None, [200; 4]),
        at(
            Method::POST,
            "/api/v1/services/assignments",
            Some(json!({"staff_id": staff, "service_id": unassigned})),
            [401, 403, 403, 201],
        ),
        case(
            Method::DELETE,
            "/api/v1/services/assignments/{id}",
            format!("/api/v1/services/assignments/{assignment}"),
            None,
            [401, 403, 403, 204],
        ),
        at(Method::GET, "/api/v2/jobs", None, ADMIN_ONLY),
        case(Method::GET, "/api/v2/jobs/{id}", format!("/api/v2/jobs/{dead_job}"), None, ADMIN_ONLY),
        case(
            Method::POST,
            "/api/v2/jobs/{id}/retry",
            format!("/api/v2/jobs/{dead_job}/retry"),
            None,
            ADMIN_ONLY,
        ),
        at(Method::GET, "/api/v2/notifications", None, [401, 200, 200, 200]),
        at(Method::GET, "/api/v2/products", None, [401, 403, 200, 200]),
        at(Method::POST, "/api/v2/products", Some(new_product(format!("NEW-{n}"), 0)), [401, 403, 403, 201]),
        case(
            Method::GET,
            "/api/v2/products/{id}",
            format!("/api/v2/products/{product}"),
            None,
            [401, 403, 200, 200],
        ),
        case(
            Method::PATCH,
            "/api/v2/products/{id}",
            format!("/api/v2/products/{product}"),
            Some(json!({"price_cents": 550})),
            ADMIN_ONLY,
        ),
        case(
            Method::DELETE,
            "/api/v2/products/{id}",
            format!("/api/v2/products/{old_product}"),
            None,
            [401, 403, 403, 204],
        ),
        case(
            Method::PUT,
            "/api/v2/inventory/{sku}/update_stock",
            format!("/api/v2/inventory/{sku}/update_stock"),
            Some(json!({"delta": 1, "reason": "receive"})),
            [401, 403, 200, 200],
        ),
        at(Method::GET, "/api/v2/inventory", None, [401, 403, 200, 200]),
        case(
            Method::GET,
            "/api/v2/inventory/{sku}/movements",
            format!("/api/v2/inventory/{sku}/movements"),
            None,
            [401, 403, 200, 200],
        ),
        at(Method::GET, "/api/v2/inventory/alerts", None, [401, 403, 200, 200]),
        case(
            Method::POST,
            "/api/v2/inventory/alerts/{id}/acknowledge",
            format!("/api/v2/inventory/alerts/{alert}/acknowledge"),
            None,
            [401, 403, 200, 200],
        ),
        case(
            Method::GET,
            "/api/v2/services/{id}/products",
            format!("/api/v2/services/{service}/products"),
            None,
            [401, 403, 200, 200],
        ),
        case(
            Method::PUT,
            "/api/v2/services/{id}/products",
            format!("/api/v2/services/{service}/products"),
            Some(recipe),
            ADMIN_ONLY,
        ),
        at(
            Method::POST,
            "/api/v2/sales/retail",
            Some(json!({"lines": [{"sku": sku, "quantity": 1}]})),
            [401, 403, 201, 201],
        ),
        at(Method::GET, "/api/v2/sales", None, [401, 200, 200, 200]),
        // Sold to `target`: another client gets a 404.
        case(Method::GET, "/api/v2/sales/{id}", format!("/api/v2/sales/{sale}"), None, [401, 404, 200, 200]),
        case(
            Method::POST,
            "/api/v2/sales/{id}/return",
            format!("/api/v2/sales/{sale}/return"),
            Some(json!({"lines": [{"sku": sku, "quantity": 1}]})),
            [401, 403, 200, 200],
        ),
        // Desk deposits are recorded by staff; a client pays online (not configured here).
        at(
            Method::POST,
            "/api/v2/payments/deposit",
            Some(json!({"booking_id": due, "method": "cash"})),
            [401, 403, 201, 201],
        ),
        at(Method::GET, "/api/v2/payments", None, [401, 200, 200, 200]),
        // A cent of `target`'s unpaid sale, at the desk; a client pays online only.
        at(
            Method::POST,
            "/api/v2/payments",
            Some(json!({"invoice_id": invoice, "method": "cash", "amount_cents": 1})),
            [401, 403, 201, 201],
        ),
        // `target`'s payment: another client gets a 404.
        case(
            Method::GET,
            "/api/v2/payments/{id}",
            format!("/api/v2/payments/{paid}"),
            None,
            [401, 404, 200, 200],
        ),
        case(
            Method::GET,
            "/api/v2/payments/{id}/refunds",
            format!("/api/v2/payments/{paid}/refunds"),
            None,
            [401, 404, 200, 200],
        ),
        at(
            Method::POST,
            "/api/v2/payments/refund",
            Some(json!({"payment_id": paid, "amount_cents": 1, "reason": "matrix"})),
            [401, 403, 201, 201],
        ),
        // The signature is the authentication; without a configured secret it is off.
        at(Method::POST, "/api/v2/payments/webhooks/stripe", Some(json!({})), [404; 4]),
        at(Method::GET, "/api/v2/invoices", None, [401, 200, 200, 200]),
        // `target`'s invoice (of the sale): another client gets a 404.
        case(
            Method::GET,
            "/api/v2/invoices/{id}",
            format!("/api/v2/invoices/{invoice}"),
            None,
            [401, 404, 200, 200],
        ),
        // `target`'s recommendations: another client gets a 404.
        case(
            Method::GET,
            "/api/v2/recommendations/client/{id}",
            format!("/api/v2/recommendations/client/{target}"),
            None,
            [401, 404, 200, 200],
        ),
        at(Method::GET, "/api/v2/recommendations/due", None, [401, 403, 200, 200]),
        at(Method::POST, "/api/v2/recommendations/refresh", None, [401, 403, 403, 202]),
        at(
            Method::POST,
            "/api/v2/voice/parse",
            Some(json!({"text": "book a cut tomorrow at 3pm"})),
            [401, 200, 200, 200],
        ),
        // No service named and none to infer: a question back, for anyone signed in.
        at(
            Method::POST,
            "/api/v2/voice/booking",
            Some(json!({"text": "when is anyone free tomorrow?"})),
            [401, 200, 200, 200],
        ),
        at(
            Method::POST,
            "/api/v2/voice/dialogflow",
            Some(json!({"queryResult": {"queryText": "hello"}})),
            [401, 200, 200, 200],
        ),
        at(Method::GET, "/api/v2/voice/synonyms", None, [401, 403, 200, 200]),
        at(
            Method::POST,
            "/api/v2/voice/synonyms",
            Some(json!({"kind": "service", "target_id": service, "phrase": format!("matrix phrase {n}")})),
            [401, 403, 403, 201],
        ),
        case(
            Method::DELETE,
            "/api/v2/voice/synonyms/{id}",
            format!("/api/v2/voice/synonyms/{synonym}"),
            None,
            [401, 403, 403, 204],
        ),
        at(Method::GET, "/", None, [200; 4]),
        at(Method::GET, "/healthz", None, [200; 4]),
        at(Method::GET, "/readyz", None, [200; 4]),
        at(Method::GET, "/metrics", None, [200; 4]),
        at(Method::GET, "/openapi.json", None, [200; 4]),
        case(Method::GET, "docs", "/docs/", None, [200; 4]),
        case(Method::GET, "redoc", "/redoc", None, [200; 4]),
    ]
}

api_test! {
    async fn every_endpoint_enforces_its_roles(app) {
        let (_, client) = app.client().await;
        let (_, staff) = app.staff().await;
        let (_, admin) = app.admin().await;
        let tokens = [None, Some(client), Some(staff), Some(admin.clone())];

        let mut failures = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            for c in cases(&app, &admin, i).await {
                let mut req = app.request(c.method.clone(), &c.path);
                if let Some(body) = &c.body {
                    req = req.json(body.clone());
                }
                if let Some(t) = token {
                    req = req.token(t);
                }
                let res = req.send().await;
                if res.status.as_u16() != c.expect[i] {
                    failures.push(format!("{} {} as {}: expected {}, got {} {}", c.method, c.template, ROLES[i], c.expect[i], res.status, res.text));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

api_test! {
    async fn every_documented_operation_is_in_the_matrix(app) {
        // A new endpoint must be added to the matrix above: compare with the served spec.
        let (_, admin) = app.admin().await;
        let spec = app.get("/openapi.json").send().await.body;
        let mut documented: Vec<String> = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let covered: Vec<String> = cases(&app, &admin, 99).await.iter().map(|c| format!("{} {}", c.method, c.template)).collect();
        let missing: Vec<&String> = documented.iter().filter(|op| !covered.contains(op)).collect();
        assert!(missing.is_empty(), "operations without a role test: {missing:?}");
    }
}
