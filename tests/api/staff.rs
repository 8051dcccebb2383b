//! Staff profiles, weekly schedules and time off.

use super::helpers::PASSWORD;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

api_test! {
    async fn an_admin_creates_a_staff_member_with_account_and_profile_in_one_call(app) {
        let (_, admin) = app.admin().await;

        let created = app
            .post("/api/v1/staff")
            .token(&admin)
            .json(json!({"email": "Jane@Salon.example", "full_name": "Jane Moreau", "display_name": "Jane", "bio": "Colour", "phone": "+33 1 23 45 67 89"}))
            .send()
            .await;

        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.body["display_name"], "Jane");
        assert_eq!(created.body["contact"]["email"], "jane@salon.example");
        let password = created.body["initial_password"].as_str().expect("a generated password is shown once");
        let tokens = app.login("jane@salon.example", password).await;
        let me = app.get("/api/v1/users/profile").token(tokens["access_token"].as_str().unwrap()).send().await;
        assert_eq!(me.body["role"], "staff");
        let read = app.get(&format!("/api/v1/staff/{}", id(&created.body))).token(&admin).send().await;
        assert!(read.body.get("initial_password").is_none(), "shown only once");
    }
}

api_test! {
    async fn the_public_sees_what_a_booking_page_needs_and_no_contact_details(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "jane@salon.example").await;
        let service = app.create_service(&admin, "Cut", 30, 3000).await;
        app.assign(&admin, id(&staff), id(&service)).await;

        let public_list = app.get("/api/v1/staff").send().await;
        let public_one = app.get(&format!("/api/v1/staff/{}", id(&staff))).send().await;
        let admin_one = app.get(&format!("/api/v1/staff/{}", id(&staff))).token(&admin).send().await;

        let listed = &public_list.body["items"][0];
        assert_eq!(listed["display_name"], "Staff Member");
        assert_eq!(listed["service_ids"], json!([id(&service)]));
        for view in [listed, &public_one.body] {
            assert!(view.get("contact").is_none(), "{view}");
            assert!(!view.to_string().contains("jane@salon.example"));
        }
        assert_eq!(admin_one.body["contact"]["email"], "jane@salon.example");
    }
}

api_test! {
    async fn creating_staff_with_a_taken_email_is_a_409_and_writes_nothing(app) {
        let (_, admin) = app.admin().await;
        app.register("taken@example.com").await;

        let res = app.post("/api/v1/staff").token(&admin).json(json!({"email": "TAKEN@example.com", "full_name": "Dup"})).send().await;

        res.assert_problem(409, "email-taken");
        assert_eq!(app.get("/api/v1/staff").token(&admin).send().await.body["total"], 0);
    }
}

api_test! {
    async fn staff_edit_only_their_own_bio(app) {
        let (_, admin) = app.admin().await;
        let mine = app.create_staff(&admin, "me@salon.example").await;
        let other = app.create_staff(&admin, "other@salon.example").await;
        let token = app.login("me@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();

        let own_bio = app.patch(&format!("/api/v1/staff/{}", id(&mine))).token(&token).json(json!({"bio": "Balayage"})).send().await;
        let own_name = app.patch(&format!("/api/v1/staff/{}", id(&mine))).token(&token).json(json!({"display_name": "Boss"})).send().await;
        let others_bio = app.patch(&format!("/api/v1/staff/{}", id(&other))).token(&token).json(json!({"bio": "Hacked"})).send().await;
        let by_admin = app
            .patch(&format!("/api/v1/staff/{}", id(&other)))
            .token(&admin)
            .json(json!({"display_name": "Olga", "bio": null, "phone": "+1 555 0199"}))
            .send()
            .await;

        assert_eq!(own_bio.status, StatusCode::OK, "{}", own_bio.text);
        assert_eq!(own_bio.body["bio"], "Balayage");
        own_name.assert_problem(403, "forbidden");
        others_bio.assert_problem(403, "forbidden");
        assert_eq!(by_admin.body["display_name"], "Olga");
        assert_eq!(by_admin.body["bio"], Value::Null);
        assert_eq!(by_admin.body["contact"]["phone"], "+1 555 0199");
    }
}

api_test! {
    async fn deleting_a_staff_member_deactivates_them_and_keeps_them_for_admins(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "leaving@salon.example").await;
        let token = app.login("leaving@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();

        let deleted = app.delete(&format!("/api/v1/staff/{}", id(&staff))).token(&admin).send().await;

        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/v1/staff").send().await.body["total"], 0);
        app.get(&format!("/api/v1/staff/{}", id(&staff))).send().await.assert_problem(404, "not-found");
        let for_admin = app.get(&format!("/api/v1/staff/{}", id(&staff))).token(&admin).send().await;
        assert_eq!(for_admin.body["is_active"], false);
        let inactive = app.get("/api/v1/staff?active=false").token(&admin).send().await;
        assert_eq!(inactive.body["total"], 1);
        assert_eq!(app.get("/api/v1/staff?active=false").send().await.body["total"], 0);
        app.get("/api/v1/users/profile").token(&token).send().await.assert_problem(401, "unauthorized");

        let back = app.patch(&format!("/api/v1/staff/{}", id(&staff))).token(&admin).json(json!({"is_active": true})).send().await;
        assert_eq!(back.body["is_active"], true);
        app.login("leaving@salon.example", PASSWORD).await;
    }
}

api_test! {
    async fn a_weekly_schedule_with_breaks_is_replaced_as_a_whole(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "jane@salon.example").await;
        let path = format!("/api/v1/staff/{}/schedule", id(&staff));
        let token = app.login("jane@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();

        let first = app
            .put(&path)
            .token(&admin)
            .json(json!({"intervals": [
                {"weekday": 2, "start": "14:00", "end": "18:00"},
                {"weekday": 2, "start": "09:00", "end": "13:00"},
                {"weekday": 6, "start": "10:00", "end": "24:00"}
            ]}))
            .send()
            .await;
        let by_self = app.put(&path).token(&token).json(json!({"intervals": [{"weekday": 1, "start": "08:30", "end": "12:00"}]})).send().await;
        let public = app.get(&path).send().await;

        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(first.body["intervals"][0], json!({"weekday": 2, "start": "09:00", "end": "13:00"}));
        assert_eq!(first.body["intervals"][2]["end"], "24:00");
        assert_eq!(by_self.status, StatusCode::OK, "{}", by_self.text);
        assert_eq!(public.body["intervals"], json!([{"weekday": 1, "start": "08:30", "end": "12:00"}]));
    }
}

api_test! {
    async fn a_bad_schedule_names_every_bad_interval_and_changes_nothing(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "jane@salon.example").await;
        let path = format!("/api/v1/staff/{}/schedule", id(&staff));
        app.put(&path).token(&admin).json(json!({"intervals": [{"weekday": 1, "start": "09:00", "end": "17:00"}]})).send().await;

        let res = app
            .put(&path)
            .token(&admin)
            .json(json!({"intervals": [
                {"weekday": 0, "start": "09:00", "end": "10:00"},
                {"weekday": 8, "start": "09:00", "end": "10:00"},
                {"weekday": 2, "start": "12:00", "end": "11:00"},
                {"weekday": 3, "start": "9:00", "end": "25:00"},
                {"weekday": 4, "start": "09:00", "end": "13:00"},
                {"weekday": 4, "start": "12:00", "end": "15:00"}
            ]}))
            .send()
            .await;
        let wrong_type = app.put(&path).token(&admin).json(json!({"intervals": [{"weekday": "monday", "start": "09:00", "end": "10:00"}]})).send().await;

        res.assert_problem(422, "validation");
        assert_eq!(
            res.error_fields(),
            ["intervals[0].weekday", "intervals[1].weekday", "intervals[2].end", "intervals[3].start", "intervals[3].end", "intervals[5]"]
        );
        wrong_type.assert_problem(422, "validation");
        assert_eq!(app.get(&path).send().await.body["intervals"], json!([{"weekday": 1, "start": "09:00", "end": "17:00"}]));
    }
}

api_test! {
    async fn time_off_is_added_listed_and_deleted(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "jane@salon.example").await;
        let token = app.login("jane@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/staff/{}/time-off", id(&staff));

        let added = app
            .post(&path)
            .token(&token)
            .json(json!({"start_at": "2030-12-24T09:00:00+01:00", "end_at": "2030-12-27T00:00:00+01:00", "reason": "Holidays"}))
            .send()
            .await;
        let second = app.post(&path).token(&admin).json(json!({"start_at": "2031-02-01T00:00:00Z", "end_at": "2031-02-02T00:00:00Z"})).send().await;
        let all = app.get(&path).token(&admin).send().await;
        let window = app.get(&format!("{path}?from=2031-01-01T00:00:00Z")).token(&admin).send().await;
        let deleted = app.delete(&format!("{path}/{}", id(&added.body))).token(&token).send().await;
        let again = app.delete(&format!("{path}/{}", id(&added.body))).token(&token).send().await;

        assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
        assert_eq!(added.body["start_at"], "2030-12-24T08:00:00Z", "stored and shown in UTC");
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(all.body["total"], 2);
        assert_eq!(window.body["total"], 1);
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        again.assert_problem(404, "not-found");
    }
}

api_test! {
    async fn bad_time_off_is_a_422_and_another_staff_members_is_off_limits(app) {
        let (_, admin) = app.admin().await;
        let staff = app.create_staff(&admin, "jane@salon.example").await;
        app.create_staff(&admin, "other@salon.example").await;
        let other = app.login("other@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/staff/{}/time-off", id(&staff));

        let reversed = app.post(&path).token(&admin).json(json!({"start_at": "2030-01-02T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"})).send().await;
        let no_offset = app.post(&path).token(&admin).json(json!({"start_at": "2030-01-01T00:00:00", "end_at": "2030-01-02T00:00:00Z"})).send().await;
        let too_long = app.post(&path).token(&admin).json(json!({"start_at": "2030-01-01T00:00:00Z", "end_at": "2032-01-02T00:00:00Z"})).send().await;
        let foreign = app.post(&path).token(&other).json(json!({"start_at": "2030-01-01T00:00:00Z", "end_at": "2030-01-02T00:00:00Z"})).send().await;
        let unknown = app
            .post("/api/v1/staff/00000000-0000-4000-8000-000000000000/time-off")
            .token(&admin)
            .json(json!({"start_at": "2030-01-01T00:00:00Z", "end_at": "2030-01-02T00:00:00Z"}))
            .send()
            .await;

        assert_eq!(reversed.assert_problem(422, "validation")["errors"][0]["field"], "end_at");
        assert_eq!(no_offset.assert_problem(422, "validation")["errors"][0]["field"], "start_at");
        too_long.assert_problem(422, "validation");
        foreign.assert_problem(403, "forbidden");
        unknown.assert_problem(404, "not-found");
        assert_eq!(app.get(&path).token(&admin).send().await.body["total"], 0);
    }
}
