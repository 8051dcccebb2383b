//! Login, refresh rotation with reuse detection, logout, and the failed-login limit.

use super::helpers::PASSWORD;
use axum::http::StatusCode;
use serde_json::json;

api_test! {
    async fn login_accepts_json_and_the_oauth2_password_form(app) {
        app.register("ana@example.com").await;

        let by_json = app.login("ana@example.com", PASSWORD).await;
        let by_form = app
            .post("/api/v1/users/login")
            .form(&[("grant_type", "password"), ("username", "ANA@example.com"), ("password", PASSWORD)])
            .send()
            .await;

        assert_eq!(by_json["token_type"], "bearer");
        assert_eq!(by_json["expires_in"], 900);
        assert_eq!(by_form.status, StatusCode::OK, "{}", by_form.text);
        let token = by_form.body["access_token"].as_str().unwrap();
        let me = app.get("/api/v1/users/profile").token(token).send().await;
        assert_eq!(me.body["email"], "ana@example.com");
    }
}

api_test! {
    async fn unknown_email_and_wrong_password_give_the_same_401(app) {
        app.register("ana@example.com").await;

        let wrong = app.post("/api/v1/users/login").json(json!({"email": "ana@example.com", "password": "nope-nope"})).send().await;
        let unknown = app.post("/api/v1/users/login").json(json!({"email": "who@example.com", "password": "nope-nope"})).send().await;

        wrong.assert_problem(401, "unauthorized");
        unknown.assert_problem(401, "unauthorized");
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(wrong.headers["www-authenticate"], "Bearer");
    }
}

api_test! {
    async fn repeated_failed_logins_are_rate_limited_with_retry_after(app) {
        app.register("ana@example.com").await;
        let attempt = || app.post("/api/v1/users/login").json(json!({"email": "ana@example.com", "password": "guess-guess"})).send();
        for _ in 0..5 {
            attempt().await.assert_problem(401, "unauthorized");
        }

        let limited = attempt().await;
        let correct = app.post("/api/v1/users/login").json(json!({"email": "Ana@Example.com", "password": PASSWORD})).send().await;
        let other_account = app.post("/api/v1/users/login").json(json!({"email": "bob@example.com", "password": "guess-guess"})).send().await;

        limited.assert_problem(429, "rate-limited");
        let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
        // Even the right password waits: otherwise the limit would not slow a guesser down.
        correct.assert_problem(429, "rate-limited");
        other_account.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn refresh_rotates_and_the_old_refresh_token_stops_working(app) {
        app.register("ana@example.com").await;
        let first = app.login("ana@example.com", PASSWORD).await;

        let rotated = app.post("/api/v1/users/refresh").json(json!({"refresh_token": first["refresh_token"]})).send().await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
        assert_ne!(rotated.body["refresh_token"], first["refresh_token"]);
        let me = app.get("/api/v1/users/profile").token(rotated.body["access_token"].as_str().unwrap()).send().await;
        assert_eq!(me.status, StatusCode::OK);

        let again = app.post("/api/v1/users/refresh").json(json!({"refresh_token": first["refresh_token"]})).send().await;
        again.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn reusing_a_refresh_token_revokes_the_whole_chain(app) {
        app.register("ana@example.com").await;
        let first = app.login("ana@example.com", PASSWORD).await;
        let second = app.post("/api/v1/users/refresh").json(json!({"refresh_token": first["refresh_token"]})).send().await.body;

        // An attacker replays the first token: the legitimate holder of the second loses it too.
        app.post("/api/v1/users/refresh").json(json!({"refresh_token": first["refresh_token"]})).send().await.assert_problem(401, "unauthorized");
        let legit = app.post("/api/v1/users/refresh").json(json!({"refresh_token": second["refresh_token"]})).send().await;

        legit.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn a_refresh_token_used_twice_at_once_succeeds_at_most_once(app) {
        app.register("ana@example.com").await;
        let first = app.login("ana@example.com", PASSWORD).await;
        let body = json!({"refresh_token": first["refresh_token"]});

        let (a, b) = tokio::join!(
            app.post("/api/v1/users/refresh").json(body.clone()).send(),
            app.post("/api/v1/users/refresh").json(body.clone()).send()
        );

        let ok = [&a, &b].iter().filter(|r| r.status == StatusCode::OK).count();
        assert!(ok <= 1, "both refreshes succeeded: {} / {}", a.text, b.text);
        assert!([&a, &b].iter().all(|r| r.status == StatusCode::OK || r.status == StatusCode::UNAUTHORIZED));
    }
}

api_test! {
    async fn logout_revokes_the_refresh_token(app) {
        app.register("ana@example.com").await;
        let tokens = app.login("ana@example.com", PASSWORD).await;

        let out = app.post("/api/v1/users/logout").json(json!({"refresh_token": tokens["refresh_token"]})).send().await;
        let again = app.post("/api/v1/users/logout").json(json!({"refresh_token": tokens["refresh_token"]})).send().await;
        let refresh = app.post("/api/v1/users/refresh").json(json!({"refresh_token": tokens["refresh_token"]})).send().await;

        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(again.status, StatusCode::NO_CONTENT, "logout is idempotent");
        refresh.assert_problem(401, "unauthorized");
    }
}
