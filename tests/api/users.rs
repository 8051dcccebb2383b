//! Registration, profiles and account administration.

use super::helpers::PASSWORD;
use axum::http::StatusCode;
use serde_json::json;

api_test! {
    async fn registering_creates_a_client_and_never_shows_the_password_hash(app) {
        let res = app
            .post("/api/v1/users/register")
            .json(json!({"email": " Ana@Example.COM ", "password": PASSWORD, "full_name": "Ana Lima", "phone": "+1 555 0100"}))
            .send()
            .await;

        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["email"], "ana@example.com");
        assert_eq!(res.body["role"], "client");
        assert_eq!(res.body["phone"], "+1 555 0100");
        assert!(!res.text.contains("argon2") && !res.text.contains("password"), "{}", res.text);
    }
}

api_test! {
    async fn emails_are_unique_regardless_of_case(app) {
        app.register("ana@example.com").await;

        let again = app
            .post("/api/v1/users/register")
            .json(json!({"email": "ANA@example.com", "password": PASSWORD, "full_name": "Other Ana"}))
            .send()
            .await;

        again.assert_problem(409, "email-taken");
    }
}

api_test! {
    async fn two_simultaneous_registrations_of_one_email_give_one_201_and_one_409(app) {
        let body = json!({"email": "race@example.com", "password": PASSWORD, "full_name": "Racer"});

        let (a, b) = tokio::join!(
            app.post("/api/v1/users/register").json(body.clone()).send(),
            app.post("/api/v1/users/register").json(body.clone()).send()
        );

        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "{} / {}", a.text, b.text);
    }
}

api_test! {
    async fn registration_cannot_choose_a_role(app) {
        let res = app
            .post("/api/v1/users/register")
            .json(json!({"email": "sneaky@example.com", "password": PASSWORD, "full_name": "Sneaky", "role": "admin"}))
            .send()
            .await;

        res.assert_problem(422, "validation");
        let (_, admin) = app.admin().await;
        let users = app.get("/api/v1/users?q=sneaky").token(&admin).send().await;
        assert_eq!(users.body["total"], 0);
    }
}

api_test! {
    async fn a_user_reads_and_updates_their_profile(app) {
        let (_, token) = app.client().await;

        let updated = app
            .patch("/api/v1/users/profile")
            .token(&token)
            .json(json!({"full_name": "  New Name ", "phone": "+44 20 7946 0000"}))
            .send()
            .await;
        let cleared = app.patch("/api/v1/users/profile").token(&token).json(json!({"phone": null})).send().await;
        let read = app.get("/api/v1/users/profile").token(&token).send().await;

        assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
        assert_eq!(updated.body["full_name"], "New Name");
        assert_eq!(updated.body["phone"], "+44 20 7946 0000");
        assert_eq!(cleared.body["phone"], serde_json::Value::Null);
        assert_eq!(read.body["full_name"], "New Name");
    }
}

api_test! {
    async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(app) {
        let user = app.register("ana@example.com").await;
        let tokens = app.login("ana@example.com", PASSWORD).await;
        let access = tokens["access_token"].as_str().unwrap();

        let missing = app.patch("/api/v1/users/profile").token(access).json(json!({"password": "brand new pass"})).send().await;
        let wrong = app
            .patch("/api/v1/users/profile")
            .token(access)
            .json(json!({"password": "brand new pass", "current_password": "not it at all"}))
            .send()
            .await;
        let changed = app
            .patch("/api/v1/users/profile")
            .token(access)
            .json(json!({"password": "brand new pass", "current_password": PASSWORD}))
            .send()
            .await;

        assert_eq!(missing.assert_problem(422, "validation")["errors"][0]["field"], "current_password");
        assert_eq!(wrong.assert_problem(422, "validation")["errors"][0]["field"], "current_password");
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
        assert_eq!(changed.body["id"], user["id"]);
        app.post("/api/v1/users/login").json(json!({"email": "ana@example.com", "password": PASSWORD})).send().await.assert_problem(401, "unauthorized");
        app.login("ana@example.com", "brand new pass").await;
        app.post("/api/v1/users/refresh").json(json!({"refresh_token": tokens["refresh_token"]})).send().await.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn admins_list_everyone_and_staff_see_only_clients(app) {
        let (_, admin) = app.admin().await;
        let (_, staff) = app.staff().await;
        app.client().await;
        app.client().await;

        let all = app.get("/api/v1/users").token(&admin).send().await;
        let by_staff = app.get("/api/v1/users").token(&staff).send().await;
        let staff_asking_for_admins = app.get("/api/v1/users?role=admin").token(&staff).send().await;
        let admins_only = app.get("/api/v1/users?role=admin").token(&admin).send().await;

        assert_eq!(all.body["total"], 4, "{}", all.text);
        assert_eq!(all.body["limit"], 50);
        assert_eq!(all.body["offset"], 0);
        assert_eq!(by_staff.body["total"], 2);
        assert!(by_staff.body["items"].as_array().unwrap().iter().all(|u| u["role"] == "client"));
        assert_eq!(staff_asking_for_admins.body["total"], 0);
        assert_eq!(admins_only.body["total"], 1);
    }
}

api_test! {
    async fn the_user_list_pages_and_searches(app) {
        let (_, admin) = app.admin().await;
        for name in ["alpha", "bravo", "charlie"] {
            app.register(&format!("{name}@example.com")).await;
        }

        let page = app.get("/api/v1/users?role=client&limit=2&offset=1").token(&admin).send().await;
        let search = app.get("/api/v1/users?q=BRAV").token(&admin).send().await;
        let full_page = app.get("/api/v1/users?role=client&limit=2").token(&admin).send().await;
        let past_the_end = app.get("/api/v1/users?role=client&offset=10").token(&admin).send().await;
        let too_many = app.get("/api/v1/users?limit=201").token(&admin).send().await;
        let not_a_number = app.get("/api/v1/users?limit=lots").token(&admin).send().await;

        assert_eq!(page.body["total"], 3);
        assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(page.body["items"][0]["email"], "bravo@example.com");
        assert_eq!(search.body["total"], 1);
        assert_eq!((full_page.body["total"].clone(), full_page.body["items"].as_array().unwrap().len()), (json!(3), 2));
        assert_eq!((past_the_end.body["total"].clone(), past_the_end.body["items"].as_array().unwrap().len()), (json!(3), 0));
        assert_eq!(too_many.assert_problem(422, "validation")["errors"][0]["field"], "limit");
        assert_eq!(not_a_number.assert_problem(422, "validation")["errors"][0]["field"], "limit");
    }
}

api_test! {
    async fn a_role_change_applies_to_tokens_already_issued(app) {
        let (_, admin) = app.admin().await;
        let (client_id, client) = app.client().await;
        app.get("/api/v1/users").token(&client).send().await.assert_problem(403, "forbidden");

        let promoted = app.patch(&format!("/api/v1/users/{client_id}")).token(&admin).json(json!({"role": "staff"})).send().await;

        assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.text);
        assert_eq!(promoted.body["role"], "staff");
        assert_eq!(app.get("/api/v1/users").token(&client).send().await.status, StatusCode::OK);
    }
}

api_test! {
    async fn a_deactivated_users_tokens_stop_working_at_once(app) {
        let (_, admin) = app.admin().await;
        let user = app.register("ana@example.com").await;
        let tokens = app.login("ana@example.com", PASSWORD).await;

        let res = app.patch(&format!("/api/v1/users/{}", user["id"].as_str().unwrap())).token(&admin).json(json!({"is_active": false})).send().await;

        assert_eq!(res.body["is_active"], false, "{}", res.text);
        app.get("/api/v1/users/profile").token(tokens["access_token"].as_str().unwrap()).send().await.assert_problem(401, "unauthorized");
        app.post("/api/v1/users/refresh").json(json!({"refresh_token": tokens["refresh_token"]})).send().await.assert_problem(401, "unauthorized");
        app.post("/api/v1/users/login").json(json!({"email": "ana@example.com", "password": PASSWORD})).send().await.assert_problem(401, "unauthorized");
    }
}

api_test! {
    async fn the_last_active_admin_cannot_be_demoted_or_deactivated(app) {
        let (admin_id, admin) = app.admin().await;

        let demote = app.patch(&format!("/api/v1/users/{admin_id}")).token(&admin).json(json!({"role": "client"})).send().await;
        let deactivate = app.patch(&format!("/api/v1/users/{admin_id}")).token(&admin).json(json!({"is_active": false})).send().await;
        let (_, _second) = app.admin().await;
        let now_allowed = app.patch(&format!("/api/v1/users/{admin_id}")).token(&admin).json(json!({"role": "staff"})).send().await;

        demote.assert_problem(409, "last-admin");
        deactivate.assert_problem(409, "last-admin");
        assert_eq!(now_allowed.status, StatusCode::OK, "{}", now_allowed.text);
    }
}

api_test! {
    async fn updating_an_unknown_user_is_a_404(app) {
        let (_, admin) = app.admin().await;

        let res = app
            .patch("/api/v1/users/00000000-0000-4000-8000-000000000000")
            .token(&admin)
            .json(json!({"is_active": false}))
            .send()
            .await;

        res.assert_problem(404, "not-found");
    }
}
