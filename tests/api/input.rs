//! Bad input of every kind: a clear 4xx problem, never a 500, and nothing written.

use super::helpers::{JWT_SECRET, PASSWORD};
use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

api_test! {
    async fn malformed_json_is_a_400_problem(app) {
        let res = app.post("/api/v1/users/register").raw("application/json", "{\"email\": ").send().await;

        res.assert_problem(400, "malformed-request");
    }
}

api_test! {
    async fn a_body_that_is_not_json_is_a_415(app) {
        let res = app.post("/api/v1/users/register").raw("text/plain", "email=ana").send().await;
        let none = app.post("/api/v1/users/refresh").send().await;

        res.assert_problem(415, "unsupported-media-type");
        none.assert_problem(415, "unsupported-media-type");
    }
}

api_test! {
    async fn a_body_over_the_limit_is_a_413(app) {
        let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(salon::BODY_LIMIT_BYTES + 10));

        let res = app.post("/api/v1/users/register").raw("application/json", huge).send().await;

        res.assert_problem(413, "payload-too-large");
    }
}

api_test! {
    async fn unknown_routes_and_methods_are_problems(app) {
        app.get("/api/v1/nothing-here").send().await.assert_problem(404, "not-found");
        app.delete("/api/v1/settings").send().await.assert_problem(405, "method-not-allowed");
    }
}

api_test! {
    async fn wrong_types_and_missing_fields_are_422s_naming_the_field(app) {
        let wrong_type = app
            .post("/api/v1/users/register")
            .json(json!({"email": 42, "password": PASSWORD, "full_name": "X"}))
            .send()
            .await;
        let missing = app.post("/api/v1/users/register").json(json!({"email": "a@example.com"})).send().await;
        let not_object = app.post("/api/v1/users/register").json(json!([1, 2])).send().await;
        let (_, admin) = app.admin().await;
        let array_for_struct = app.patch(&format!("/api/v1/users/{}", uuid::Uuid::nil())).token(&admin).json(json!([null, null])).send().await;

        assert_eq!(wrong_type.assert_problem(422, "validation")["errors"][0]["field"], "email");
        missing.assert_problem(422, "validation");
        not_object.assert_problem(422, "validation");
        assert_eq!(array_for_struct.assert_problem(422, "validation")["errors"][0]["field"], "body");
    }
}

api_test! {
    async fn every_invalid_field_is_listed_at_once(app) {
        let res = app
            .post("/api/v1/users/register")
            .json(json!({"email": "not-an-email", "password": "short", "full_name": "", "phone": "call me"}))
            .send()
            .await;

        res.assert_problem(422, "validation");
        let mut fields = res.error_fields();
        fields.sort();
        fields.dedup();
        assert_eq!(fields, ["email", "full_name", "password", "phone"]);
    }
}

api_test! {
    async fn nul_bytes_and_huge_strings_are_rejected_and_nothing_is_written(app) {
        let (_, admin) = app.admin().await;

        let nul = app
            .post("/api/v1/users/register")
            .json(json!({"email": "nul@example.com", "password": PASSWORD, "full_name": "Nul\u{0}Byte"}))
            .send()
            .await;
        let huge = app
            .post("/api/v1/users/register")
            .json(json!({"email": "huge@example.com", "password": PASSWORD, "full_name": "x".repeat(60_000)}))
            .send()
            .await;
        let nul_query = app.get("/api/v1/users?q=a%00b").token(&admin).send().await;
        let nul_form = app.post("/api/v1/users/login").form(&[("username", "a\0b"), ("password", "x")]).send().await;

        assert_eq!(nul.assert_problem(422, "validation")["errors"][0]["field"], "full_name");
        assert_eq!(huge.assert_problem(422, "validation")["errors"][0]["field"], "full_name");
        nul_query.assert_problem(422, "validation");
        nul_form.assert_problem(422, "validation");
        let users = app.get("/api/v1/users").token(&admin).send().await;
        assert_eq!(users.body["total"], 1, "only the admin exists: {}", users.text);
    }
}

api_test! {
    async fn a_path_id_that_is_not_a_uuid_is_a_422(app) {
        let (_, admin) = app.admin().await;

        let res = app.patch("/api/v1/users/not-a-uuid").token(&admin).json(json!({"is_active": false})).send().await;

        res.assert_problem(422, "validation");
    }
}

api_test! {
    async fn a_trailing_slash_means_the_same_path(app) {
        let plain = app.get("/api/v1/settings").send().await;
        let slashed = app.get("/api/v1/settings/").send().await;

        assert_eq!(slashed.status, StatusCode::OK);
        assert_eq!(plain.body, slashed.body);
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    role: &'a str,
    iat: i64,
    exp: i64,
    typ: &'a str,
}

fn sign(claims: &Claims<'_>, secret: &str) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

api_test! {
    async fn forged_and_expired_tokens_are_401(app) {
        let (id, token) = app.client().await;
        let now = chrono::Utc::now().timestamp();
        let valid = Claims { sub: &id, role: "client", iat: now, exp: now + 600, typ: "access" };

        let wrong_key = sign(&valid, "another-secret-that-is-also-long-enough-000");
        let expired = sign(&Claims { iat: now - 7200, exp: now - 3600, ..valid }, JWT_SECRET);
        let not_access = sign(&Claims { typ: "refresh", ..valid }, JWT_SECRET);
        let unknown_user = sign(&Claims { sub: "00000000-0000-4000-8000-000000000000", ..valid }, JWT_SECRET);
        // Same signature, edited payload (role: admin).
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let edited_payload = {
            use base64::Engine;
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
            claims["role"] = json!("admin");
            engine.encode(serde_json::to_vec(&claims).unwrap())
        };
        parts[1] = edited_payload;
        let edited = parts.join(".");
        let alg_none = {
            use base64::Engine;
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = engine.encode(serde_json::to_vec(&json!({"sub": id, "role": "admin", "iat": now, "exp": now + 600, "typ": "access"})).unwrap());
            format!("{header}.{payload}.")
        };

        for (name, forged) in [("wrong key", wrong_key), ("expired", expired), ("not an access token", not_access),
            ("unknown user", unknown_user), ("edited claims", edited), ("alg none", alg_none), ("garbage", "abc.def".into())] {
            let res = app.get("/api/v1/users/profile").token(&forged).send().await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {}", res.text);
            assert_eq!(res.headers["www-authenticate"], "Bearer", "{name}");
        }
        assert_eq!(app.get("/api/v1/users/profile").token(&token).send().await.status, StatusCode::OK);
        app.get("/api/v1/users/profile").header("authorization", "Basic YWJjOmRlZg==").send().await.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn integral_numbers_fill_integer_fields_and_fractions_do_not(app) {
        let salon = app.salon().await;

        let whole = app.patch("/api/v1/settings").token(&salon.admin).json(json!({"min_lead_minutes": 30.0, "slot_interval_minutes": 15.0})).send().await;
        let fraction = app.patch("/api/v1/settings").token(&salon.admin).json(json!({"min_lead_minutes": 30.5})).send().await;

        assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
        assert_eq!((whole.body["min_lead_minutes"].as_i64(), whole.body["slot_interval_minutes"].as_i64()), (Some(30), Some(15)));
        fraction.assert_problem(422, "validation");
        assert_eq!(fraction.error_fields(), ["min_lead_minutes"]);
        assert_eq!(app.get("/api/v1/settings").send().await.body["min_lead_minutes"], 30);
    }
}

api_test! {
    async fn nul_is_refused_in_what_a_body_says_and_ignored_in_what_it_does_not_read(app) {
        let salon = app.salon().await;

        let unknown = app.post("/api/v2/voice/parse").token(&salon.admin).json(json!({"text": "a cut tomorrow", "x\u{0}": {"y": "\u{0}"}})).send().await;
        let known = app.post("/api/v2/voice/parse").token(&salon.admin).json(json!({"text": "a cut\u{0}"})).send().await;
        let inner_unknown = app.post("/api/v2/voice/dialogflow").token(&salon.admin).json(json!({"queryResult": {"queryText": "hi", "x": {"y": "\u{0}"}}})).send().await;
        let nested = app.post("/api/v2/voice/dialogflow").token(&salon.admin).json(json!({"queryResult": {"queryText": "hi", "parameters": {"k": ["\u{0}"]}}})).send().await;

        assert_eq!(unknown.status, StatusCode::OK, "{}", unknown.text);
        assert_eq!(inner_unknown.status, StatusCode::OK, "{}", inner_unknown.text);
        known.assert_problem(422, "validation");
        assert_eq!(known.error_fields(), ["text"]);
        nested.assert_problem(422, "validation");
        assert_eq!(nested.error_fields(), ["queryResult.parameters.k.0"]);
    }
}
