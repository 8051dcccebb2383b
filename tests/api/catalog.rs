//! Categories, services and staff-service assignments.

use axum::http::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

api_test! {
    async fn categories_are_created_listed_renamed_and_deactivated(app) {
        let (_, admin) = app.admin().await;
        let hair = app.create_category(&admin, "Hair").await;
        app.create_category(&admin, "Colour").await;

        let duplicate = app.post("/api/v1/services/categories").token(&admin).json(json!({"name": "  HAIR "})).send().await;
        let renamed = app.patch(&format!("/api/v1/services/categories/{}", id(&hair))).token(&admin).json(json!({"name": "Cuts", "description": "All cuts"})).send().await;
        let clash = app.patch(&format!("/api/v1/services/categories/{}", id(&hair))).token(&admin).json(json!({"name": "colour"})).send().await;
        let deleted = app.delete(&format!("/api/v1/services/categories/{}", id(&hair))).token(&admin).send().await;
        let public = app.get("/api/v1/services/categories").send().await;
        let all = app.get("/api/v1/services/categories?active=false").token(&admin).send().await;

        duplicate.assert_problem(409, "category-exists");
        assert_eq!(renamed.body["name"], "Cuts");
        clash.assert_problem(409, "category-exists");
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(public.body["total"], 1);
        assert_eq!(public.body["items"][0]["name"], "Colour");
        assert_eq!(all.body["items"][0]["name"], "Cuts");
        assert_eq!(all.body["items"][0]["is_active"], false);
    }
}

api_test! {
    async fn services_are_created_filtered_updated_and_deactivated(app) {
        let (_, admin) = app.admin().await;
        let hair = app.create_category(&admin, "Hair").await;
        let cut = app
            .post("/api/v1/services")
            .token(&admin)
            .json(json!({"name": "Men's cut", "category_id": id(&hair), "duration_minutes": 30, "buffer_minutes": 5, "price_cents": 3500}))
            .send()
            .await;
        let shave = app.create_service(&admin, "Shave", 20, 1800).await;

        let in_hair = app.get(&format!("/api/v1/services?category_id={}", id(&hair))).send().await;
        let updated = app
            .patch(&format!("/api/v1/services/{}", id(&cut.body)))
            .token(&admin)
            .json(json!({"price_cents": 4000, "description": "Scissors and clipper", "category_id": null}))
            .send()
            .await;
        let deleted = app.delete(&format!("/api/v1/services/{}", id(&shave))).token(&admin).send().await;

        assert_eq!(cut.status, StatusCode::CREATED, "{}", cut.text);
        assert_eq!(cut.body["buffer_minutes"], 5);
        assert_eq!(in_hair.body["total"], 1);
        assert_eq!(updated.body["price_cents"], 4000);
        assert_eq!(updated.body["category_id"], Value::Null);
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/v1/services").send().await.body["total"], 1);
        app.get(&format!("/api/v1/services/{}", id(&shave))).send().await.assert_problem(404, "not-found");
        let for_admin = app.get(&format!("/api/v1/services/{}", id(&shave))).token(&admin).send().await;
        assert_eq!(for_admin.body["is_active"], false);
        assert_eq!(app.get("/api/v1/services?active=false").token(&admin).send().await.body["total"], 1);
    }
}

api_test! {
    async fn absurd_durations_and_prices_are_422s_naming_each_field(app) {
        let (_, admin) = app.admin().await;

        let res = app
            .post("/api/v1/services")
            .token(&admin)
            .json(json!({"name": "", "duration_minutes": -30, "buffer_minutes": 100000, "price_cents": -1}))
            .send()
            .await;
        let huge = app
            .post("/api/v1/services")
            .token(&admin)
            .json(json!({"name": "Forever", "duration_minutes": 100000, "price_cents": 99999999999999i64}))
            .send()
            .await;
        let overflow = app
            .post("/api/v1/services")
            .token(&admin)
            .json(json!({"name": "Overflow", "duration_minutes": 1e30, "price_cents": 100}))
            .send()
            .await;
        let unknown_category = app
            .post("/api/v1/services")
            .token(&admin)
            .json(json!({"name": "Lost", "category_id": "00000000-0000-4000-8000-000000000000", "duration_minutes": 30, "price_cents": 100}))
            .send()
            .await;

        res.assert_problem(422, "validation");
        let mut fields = res.error_fields();
        fields.sort();
        fields.dedup();
        assert_eq!(fields, ["buffer_minutes", "duration_minutes", "name", "price_cents"]);
        let mut fields = huge.error_fields();
        fields.sort();
        assert_eq!(fields, ["duration_minutes", "price_cents"]);
        overflow.assert_problem(422, "validation");
        assert_eq!(unknown_category.assert_problem(422, "validation")["errors"][0]["field"], "category_id");
        assert_eq!(app.get("/api/v1/services").token(&admin).send().await.body["total"], 0);
    }
}

api_test! {
    async fn assignments_carry_per_staff_price_and_duration(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "marco@salon.example").await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;

        let res = app
            .post("/api/v1/services/assignments")
            .token(&admin)
            .json(json!({"staff_id": id(&staff), "service_id": id(&cut), "price_cents": 4000, "duration_minutes": 25}))
            .send()
            .await;
        let by_staff = app.get(&format!("/api/v1/services/assignments?staff_id={}", id(&staff))).send().await;

        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["effective_price_cents"], 4000);
        assert_eq!(res.body["effective_duration_minutes"], 25);
        assert_eq!(by_staff.body["total"], 1);
        assert_eq!(by_staff.body["items"][0]["price_cents"], 4000);
        let plain = app.create_service(&admin, "Beard", 20, 1800).await;
        let inherited = app.assign(&admin, id(&staff), id(&plain)).await;
        assert_eq!(inherited["price_cents"], Value::Null);
        assert_eq!(inherited["effective_price_cents"], 1800);
        assert_eq!(inherited["effective_duration_minutes"], 20);
    }
}

api_test! {
    async fn a_duplicate_or_dangling_assignment_is_refused(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "marco@salon.example").await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;
        app.assign(&admin, id(&staff), id(&cut)).await;

        let duplicate = app.post("/api/v1/services/assignments").token(&admin).json(json!({"staff_id": id(&staff), "service_id": id(&cut)})).send().await;
        let dangling = app
            .post("/api/v1/services/assignments")
            .token(&admin)
            .json(json!({"staff_id": "00000000-0000-4000-8000-000000000000", "service_id": "00000000-0000-4000-8000-000000000001"}))
            .send()
            .await;
        let bad_override = app
            .post("/api/v1/services/assignments")
            .token(&admin)
            .json(json!({"staff_id": id(&staff), "service_id": id(&cut), "duration_minutes": 0, "price_cents": -5}))
            .send()
            .await;

        duplicate.assert_problem(409, "assignment-exists");
        dangling.assert_problem(422, "validation");
        assert_eq!(dangling.error_fields(), ["staff_id", "service_id"]);
        let mut fields = bad_override.error_fields();
        fields.sort();
        assert_eq!(fields, ["duration_minutes", "price_cents"]);
        assert_eq!(app.get("/api/v1/services/assignments").send().await.body["total"], 1);
    }
}

api_test! {
    async fn two_simultaneous_identical_assignments_give_one_201_and_one_409(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "marco@salon.example").await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;
        let body = json!({"staff_id": id(&staff), "service_id": id(&cut)});

        let (a, b) = tokio::join!(
            app.post("/api/v1/services/assignments").token(&admin).json(body.clone()).send(),
            app.post("/api/v1/services/assignments").token(&admin).json(body.clone()).send()
        );

        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "{} / {}", a.text, b.text);
    }
}

api_test! {
    async fn deactivated_staff_and_services_leave_public_lists_but_not_admin_ones(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "marco@salon.example").await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;
        let shave = app.create_service(&admin, "Shave", 20, 1800).await;
        app.assign(&admin, id(&staff), id(&cut)).await;
        app.assign(&admin, id(&staff), id(&shave)).await;

        app.delete(&format!("/api/v1/services/{}", id(&shave))).token(&admin).send().await;
        let public_staff = app.get(&format!("/api/v1/staff/{}", id(&staff))).send().await;
        let public_assignments = app.get("/api/v1/services/assignments").send().await;
        app.delete(&format!("/api/v1/staff/{}", id(&staff))).token(&admin).send().await;
        let after_staff_left = app.get("/api/v1/services/assignments").send().await;
        let admin_assignments = app.get("/api/v1/services/assignments").token(&admin).send().await;

        assert_eq!(public_staff.body["service_ids"], json!([id(&cut)]));
        assert_eq!(public_assignments.body["total"], 1);
        assert_eq!(after_staff_left.body["total"], 0);
        assert_eq!(admin_assignments.body["total"], 2);
    }
}

api_test! {
    async fn removing_an_assignment_is_a_204_then_a_404(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "marco@salon.example").await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;
        let assignment = app.assign(&admin, id(&staff), id(&cut)).await;
        let path = format!("/api/v1/services/assignments/{}", id(&assignment));

        let first = app.delete(&path).token(&admin).send().await;
        let second = app.delete(&path).token(&admin).send().await;

        assert_eq!(first.status, StatusCode::NO_CONTENT);
        second.assert_problem(404, "not-found");
    }
}

api_test! {
    async fn the_services_list_is_fresh_in_every_process_after_any_write_and_answers_304_when_unchanged(app) {
        use sea_orm::ConnectionTrait;
        let (_, admin) = app.admin().await;
        let cut = app.create_service(&admin, "Men's cut", 30, 3500).await;
        let other = app.another_process().await;

        let first = app.get("/api/v1/services").send().await;
        let etag = first.headers["etag"].to_str().unwrap().to_owned();
        let unchanged = app.get("/api/v1/services").header("If-None-Match", &etag).send().await;
        let seen_by_other = other.get("/api/v1/services").send().await;

        // A change through one process...
        app.patch(&format!("/api/v1/services/{}", id(&cut))).token(&admin).json(json!({"price_cents": 4000})).send().await;
        let other_after_patch = other.get("/api/v1/services").header("If-None-Match", &etag).send().await;
        // ...and one that bypasses the server entirely.
        app.db.execute_unprepared("UPDATE services SET name = 'Scissor cut'").await.unwrap();
        let after_sql = other.get("/api/v1/services").send().await;
        let admin_view = app.get("/api/v1/services?active=false").token(&admin).send().await;
        app.delete(&format!("/api/v1/services/{}", id(&cut))).token(&admin).send().await;
        let public_after_delete = other.get("/api/v1/services").send().await;
        let admin_after_delete = other.get("/api/v1/services?active=false").token(&admin).send().await;

        assert_eq!(first.status, StatusCode::OK);
        assert!(etag.starts_with("W/\""), "{etag}");
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
        assert_eq!(unchanged.text, "");
        assert_eq!(unchanged.headers["etag"], etag.as_str());
        assert_eq!(first.headers["vary"], "authorization");
        assert_eq!(first.headers["cache-control"], "private, no-cache");
        assert_eq!(seen_by_other.body["items"][0]["price_cents"], 3500);
        assert_eq!(other_after_patch.status, StatusCode::OK, "a stale ETag gets the new page");
        assert_eq!(other_after_patch.body["items"][0]["price_cents"], 4000);
        assert_ne!(other_after_patch.headers["etag"], etag.as_str());
        assert_eq!(after_sql.body["items"][0]["name"], "Scissor cut");
        assert_eq!(admin_view.body["total"], 0, "admins asking for deactivated services get their own page");
        assert_eq!(public_after_delete.body["total"], 0);
        assert_eq!(admin_after_delete.body["items"][0]["name"], "Scissor cut");
    }
}
