//! Health, readiness, metrics, request ids and the documentation.

use axum::http::StatusCode;

api_test! {
    async fn health_and_readiness_answer(app) {
        let health = app.get("/healthz").send().await;
        let ready = app.get("/readyz").send().await;

        assert_eq!(health.body["status"], "ok");
        assert_eq!(ready.body["status"], "ok");
    }
}

api_test! {
    async fn the_landing_page_links_the_docs_and_says_what_the_first_run_needs(app) {
        let fresh = app.get("/").send().await;

        assert_eq!(fresh.status, StatusCode::OK);
        assert!(fresh.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        for needle in [r#"href="/docs""#, r#"href="/redoc""#, r#"href="/openapi.json""#, "create-admin --email", "seed-demo"] {
            assert!(fresh.text.contains(needle), "{needle} missing: {}", fresh.text);
        }
        let name = app.get("/api/v1/settings").send().await.body["name"].as_str().unwrap().to_owned();
        assert!(fresh.text.contains(&format!(r#"<h1 id="salon-name">{name}</h1>"#)), "{}", fresh.text);

        let salon = app.salon().await;
        app.patch("/api/v1/settings").token(&salon.admin).json(serde_json::json!({"name": "Cuts <& Co>"})).send().await;
        let ready = app.get("/").send().await;

        assert!(ready.text.contains("Cuts &lt;&amp; Co&gt;"), "{}", ready.text);
        assert!(!ready.text.contains("create-admin") && !ready.text.contains("seed-demo"), "{}", ready.text);
        assert!(ready.text.contains(r#"id="ready""#), "{}", ready.text);
    }
}

api_test! {
    async fn the_openapi_document_states_the_rules_and_links_creates_to_what_follows(app) {
        let spec = app.get("/openapi.json").send().await.body;
        let schemas = &spec["components"]["schemas"];

        // Unique operation ids (generated clients name their methods after them).
        let mut ids: Vec<&str> = spec["paths"].as_object().unwrap().values()
            .flat_map(|item| item.as_object().unwrap().values().filter_map(|op| op["operationId"].as_str()))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operationIds");

        // Links from a create to what follows it, by operationRef, with the new id.
        let links = &spec["paths"]["/api/v1/bookings"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["get_booking"]["operationRef"], "#/paths/~1api~1v1~1bookings~1{id}/get");
        assert_eq!(links["get_booking"]["parameters"]["id"], "$response.body#/id");
        assert_eq!(links["deposit"]["requestBody"]["booking_id"], "$response.body#/id");
        let time_off = &spec["paths"]["/api/v1/staff/{id}/time-off"]["post"]["responses"]["201"]["links"];
        let delete = time_off.as_object().unwrap().values().find(|l| l["operationRef"].as_str().unwrap().ends_with("/delete")).unwrap();
        assert_eq!(delete["parameters"], serde_json::json!({"id": "$request.path.id", "time_off_id": "$response.body#/id"}));

        // The rules the validators enforce, from the same code.
        assert_eq!(schemas["RegisterRequest"]["properties"]["phone"]["pattern"], salon::model::PHONE_PATTERN);
        assert_eq!(schemas["UpdateProfileRequest"]["allOf"][0]["properties"]["full_name"]["pattern"], salon::model::NOT_BLANK_PATTERN);
        let grid: Vec<i64> = schemas["UpdateSettingsRequest"]["properties"]["slot_interval_minutes"]["enum"].as_array().unwrap().iter().filter_map(|v| v.as_i64()).collect();
        assert_eq!(grid, salon::settings::model::slot_intervals().map(i64::from).collect::<Vec<_>>());
        assert!(grid.contains(&15) && !grid.contains(&7));
        assert_eq!(schemas["UpdateStockRequest"]["allOf"][1]["oneOf"].as_array().unwrap().len(), 3);
        assert_eq!(schemas["CreateCategoryRequest"]["properties"]["description"]["pattern"], "^[^\\x00]*$");
    }
}

api_test! {
    async fn every_response_carries_a_request_id_and_keeps_a_given_one(app) {
        let fresh = app.get("/healthz").send().await;
        let given = app.get("/nope").header("x-request-id", "abc-123").send().await;

        assert_eq!(fresh.headers["x-request-id"].len(), 36);
        assert_eq!(given.headers["x-request-id"], "abc-123");
    }
}

api_test! {
    async fn metrics_count_requests_by_route_and_status(app) {
        app.get("/api/v1/settings").send().await;
        app.get("/api/v1/users/profile").send().await;

        let metrics = app.get("/metrics").send().await;

        assert!(metrics.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
        assert!(metrics.text.contains(r#"http_requests_total{method="GET",route="/api/v1/settings",status="200"} 1"#), "{}", metrics.text);
        assert!(metrics.text.contains(r#"route="/api/v1/users/profile",status="401""#), "{}", metrics.text);
        assert!(metrics.text.contains("http_request_duration_seconds_bucket"), "{}", metrics.text);
    }
}

api_test! {
    async fn the_openapi_document_lists_security_errors_and_schemas(app) {
        let spec = app.get("/openapi.json").send().await.body;

        assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
        let schemes = &spec["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["oauth2"]["flows"]["password"]["tokenUrl"], "/api/v1/users/login");
        let patch_settings = &spec["paths"]["/api/v1/settings"]["patch"];
        assert!(patch_settings["security"].as_array().is_some_and(|s| !s.is_empty()));
        for status in ["401", "403", "422", "400", "413", "415"] {
            assert_eq!(
                patch_settings["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "PATCH /api/v1/settings should document {status}"
            );
        }
        let login = &spec["paths"]["/api/v1/users/login"]["post"];
        assert!(login["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
        assert!(login["responses"]["429"].is_object());
        assert!(spec["paths"]["/api/v1/settings"]["get"]["security"].is_null(), "reading settings is public");
    }
}

api_test! {
    async fn the_docs_work_without_the_internet(app) {
        let swagger = app.get("/docs/").send().await;
        let redoc = app.get("/redoc").send().await;
        let redoc_js = app.get("/redoc/redoc.standalone.js").send().await;

        assert_eq!(swagger.status, StatusCode::OK);
        assert_eq!(redoc.status, StatusCode::OK);
        assert_eq!(redoc_js.status, StatusCode::OK);
        assert!(redoc_js.text.len() > 500_000, "the vendored Redoc bundle is served");
        for page in [&swagger.text, &redoc.text] {
            assert!(!page.contains("https://cdn") && !page.contains("fonts.googleapis"), "{page}");
        }
        assert!(redoc.text.contains("/redoc/redoc.standalone.js"));
    }
}
