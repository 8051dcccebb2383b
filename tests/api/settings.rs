//! `GET|PATCH /api/v1/settings`.

use axum::http::StatusCode;
use serde_json::json;

api_test! {
    async fn anyone_reads_the_default_settings(app) {
        let res = app.get("/api/v1/settings").send().await;

        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.body["timezone"], "UTC");
        assert_eq!(res.body["currency"], "USD");
        assert_eq!(res.body["slot_interval_minutes"], 15);
        assert_eq!(res.body["min_lead_minutes"], 60);
        assert_eq!(res.body["max_advance_days"], 90);
        assert_eq!(res.body["cancellation_window_hours"], 24);
        assert_eq!(res.body["require_approval"], false);
    }
}

api_test! {
    async fn an_admin_changes_some_settings_and_the_rest_stay(app) {
        let (_, admin) = app.admin().await;

        let res = app
            .patch("/api/v1/settings")
            .token(&admin)
            .json(json!({"name": "Tesoura", "timezone": "Europe/Lisbon", "currency": "EUR", "slot_interval_minutes": 30, "require_approval": true}))
            .send()
            .await;
        let read = app.get("/api/v1/settings").send().await;

        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(read.body["name"], "Tesoura");
        assert_eq!(read.body["timezone"], "Europe/Lisbon");
        assert_eq!(read.body["currency"], "EUR");
        assert_eq!(read.body["slot_interval_minutes"], 30);
        assert_eq!(read.body["require_approval"], true);
        assert_eq!(read.body["max_advance_days"], 90);
    }
}

api_test! {
    async fn invalid_settings_list_every_bad_field_and_change_nothing(app) {
        let (_, admin) = app.admin().await;
        let before = app.get("/api/v1/settings").send().await.body;

        let res = app
            .patch("/api/v1/settings")
            .token(&admin)
            .json(json!({
                "name": "   ",
                "timezone": "Mars/Olympus_Mons",
                "currency": "XYZ",
                "slot_interval_minutes": 7,
                "min_lead_minutes": -1,
                "max_advance_days": 0,
                "cancellation_window_hours": 100000
            }))
            .send()
            .await;

        res.assert_problem(422, "validation");
        let mut fields = res.error_fields();
        fields.sort();
        fields.dedup();
        assert_eq!(
            fields,
            ["cancellation_window_hours", "currency", "max_advance_days", "min_lead_minutes", "name", "slot_interval_minutes", "timezone"]
        );
        assert_eq!(app.get("/api/v1/settings").send().await.body, before);
    }
}
