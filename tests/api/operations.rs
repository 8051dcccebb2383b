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
