//! Availability, explain, bookings, status changes, history and idempotency.

use super::helpers::Salon;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn starts(res: &Value) -> Vec<String> {
    res["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_at"].as_str().unwrap()[11..16].to_owned())
        .collect()
}

fn booking(s: &Salon, hhmm: &str) -> Value {
    json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at(hhmm)})
}

api_test! {
    async fn availability_lists_grid_slots_inside_hours_and_respects_buffers(app) {
        let s = app.salon().await;
        let path = format!("/api/v1/bookings/availability?service_id={}&date={}", s.service_id, s.date);

        let before = app.get(&path).send().await;
        let booked = app.book(&s.client, booking(&s, "10:00")).await;
        let after = app.get(&path).send().await;

        assert_eq!(before.status, StatusCode::OK, "{}", before.text);
        assert_eq!(before.body["timezone"], "UTC");
        let all = starts(&before.body);
        assert_eq!(all.first().unwrap(), "09:00");
        // 30 minutes + 10 minutes buffer must end by 17:00: the last start is 16:15.
        assert_eq!(all.last().unwrap(), "16:15");
        assert_eq!(all.len(), 30);
        assert_eq!(before.body["slots"][0]["end_at"], s.at("09:30"));
        assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
        let left = starts(&after.body);
        // 10:00-10:40 is taken with its buffer; 09:30 would run into it (09:30-10:10).
        for gone in ["09:30", "09:45", "10:00", "10:15", "10:30"] {
            assert!(!left.contains(&gone.to_string()), "{gone} should be taken: {left:?}");
        }
        assert!(left.contains(&"09:15".to_string()) && left.contains(&"10:45".to_string()), "{left:?}");
    }
}

api_test! {
    async fn availability_spans_several_days_and_one_or_all_staff(app) {
        let s = app.salon().await;
        let other = app.create_staff(&s.admin, "second@salon.example").await;
        let other_id = other["id"].as_str().unwrap();
        app.put(&format!("/api/v1/staff/{other_id}/schedule"))
            .token(&s.admin)
            .json(json!({"intervals": [{"weekday": 1, "start": "10:00", "end": "11:00"}, {"weekday": 2, "start": "10:00", "end": "11:00"},
                {"weekday": 3, "start": "10:00", "end": "11:00"}, {"weekday": 4, "start": "10:00", "end": "11:00"},
                {"weekday": 5, "start": "10:00", "end": "11:00"}, {"weekday": 6, "start": "10:00", "end": "11:00"},
                {"weekday": 7, "start": "10:00", "end": "11:00"}]}))
            .send()
            .await;
        app.assign(&s.admin, other_id, &s.service_id).await;

        let three_days = app.get(&format!("/api/v1/bookings/availability?service_id={}&date={}&days=3", s.service_id, s.date)).send().await;
        let one_staff = app.get(&format!("/api/v1/bookings/availability?service_id={}&date={}&staff_id={other_id}", s.service_id, s.date)).send().await;
        let too_many_days = app.get(&format!("/api/v1/bookings/availability?service_id={}&date={}&days=32", s.service_id, s.date)).send().await;
        let bad_date = app.get(&format!("/api/v1/bookings/availability?service_id={}&date=2026-02-30", s.service_id)).send().await;
        let unknown_service = app.get(&format!("/api/v1/bookings/availability?service_id=00000000-0000-4000-8000-000000000000&date={}", s.date)).send().await;

        let slots = three_days.body["slots"].as_array().unwrap();
        // Per day: 30 slots for the first, 2 (10:00, 10:15) for the second staff member.
        assert_eq!(slots.len(), 3 * 32, "{}", three_days.text);
        let keys: Vec<(String, String)> = slots.iter().map(|s| (s["start_at"].as_str().unwrap().into(), s["staff_id"].as_str().unwrap().into())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "sorted by start, then staff");
        assert_eq!(starts(&one_staff.body), ["10:00", "10:15"]);
        assert_eq!(too_many_days.assert_problem(422, "validation")["errors"][0]["field"], "days");
        assert_eq!(bad_date.assert_problem(422, "validation")["errors"][0]["field"], "date");
        assert_eq!(unknown_service.assert_problem(422, "validation")["errors"][0]["field"], "service_id");
    }
}

api_test! {
    async fn explain_gives_every_reason_a_time_is_not_bookable(app) {
        let s = app.salon().await;
        app.put(&format!("/api/v1/staff/{}/schedule", s.staff_id))
            .token(&s.admin)
            .json(json!({"intervals": (1..=7).flat_map(|d| [json!({"weekday": d, "start": "09:00", "end": "12:00"}), json!({"weekday": d, "start": "13:00", "end": "17:00"})]).collect::<Vec<_>>()}))
            .send()
            .await;
        app.post(&format!("/api/v1/staff/{}/time-off", s.staff_id))
            .token(&s.admin)
            .json(json!({"start_at": s.at("15:00"), "end_at": s.at("16:00")}))
            .send()
            .await;
        app.book(&s.client, booking(&s, "10:00")).await;
        let unqualified = app.create_staff(&s.admin, "junior@salon.example").await;
        let explain = |staff: &str, start: String| {
            let path = format!("/api/v1/bookings/availability/explain?service_id={}&staff_id={staff}&start_at={}", s.service_id, start.replace('+', "%2B"));
            app.get(&path).send()
        };

        let free = explain(&s.staff_id, s.at("09:00")).await;
        let cases = [
            (s.at("10:15"), "booked"),
            (s.at("11:45"), "break"),
            (s.at("16:45"), "outside_working_hours"),
            (s.at("15:30"), "time_off"),
            (s.at("09:05"), "off_grid"),
            ((chrono::Utc::now() + chrono::Duration::days(400)).format("%Y-%m-%dT10:00:00Z").to_string(), "beyond_horizon"),
        ];

        assert_eq!(free.body["bookable"], true, "{}", free.text);
        assert_eq!(free.body["reasons"], json!([]));
        assert_eq!(free.body["end_at"], s.at("09:30"));
        for (start, reason) in cases {
            let res = explain(&s.staff_id, start.clone()).await;
            assert_eq!(res.body["bookable"], false, "{start}: {}", res.text);
            assert!(res.body["reasons"].as_array().unwrap().contains(&json!(reason)), "{start} should be {reason}: {}", res.text);
        }
        let now_ish = (chrono::Utc::now() + chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:00:00Z").to_string();
        assert!(explain(&s.staff_id, now_ish).await.body["reasons"].as_array().unwrap().contains(&json!("inside_lead_time")));
        let res = explain(unqualified["id"].as_str().unwrap(), s.at("09:00")).await;
        assert_eq!(res.body["reasons"][0], "not_qualified", "{}", res.text);
    }
}

api_test! {
    async fn a_client_books_for_themself_at_the_staff_members_price(app) {
        let s = app.salon().await;

        let res = app.book(&s.client, json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": format!("{}T12:00:00+02:00", s.date), "notes": "Short please"})).await;

        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["status"], "confirmed");
        assert_eq!(res.body["client_id"], s.client_id);
        assert_eq!(res.body["price_cents"], 4000);
        assert_eq!(res.body["start_at"], s.at("10:00"), "any offset in, UTC out");
        assert_eq!(res.body["end_at"], s.at("10:30"), "end_at excludes the buffer");
        assert_eq!(res.body["notes"], "Short please");
    }
}

api_test! {
    async fn clients_book_only_for_themselves_and_staff_book_for_clients(app) {
        let s = app.salon().await;
        let (other_client, _) = app.client().await;

        let for_other = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("10:00"), "client_id": other_client})).await;
        let staff_without_client = app.book(&s.staff_token, booking(&s, "10:00")).await;
        let staff_for_client = app.book(&s.staff_token, json!({"service_id": s.service_id, "start_at": s.at("10:00"), "client_id": other_client})).await;

        for_other.assert_problem(403, "forbidden");
        assert_eq!(staff_without_client.assert_problem(422, "validation")["errors"][0]["field"], "client_id");
        assert_eq!(staff_for_client.status, StatusCode::CREATED, "{}", staff_for_client.text);
        assert_eq!(staff_for_client.body["client_id"], other_client);
        assert_eq!(staff_for_client.body["staff_id"], s.staff_id, "picked the only qualified staff member");
    }
}

api_test! {
    async fn staff_book_only_for_an_existing_active_client_and_change_nothing_otherwise(app) {
        let s = app.salon().await;
        let (gone_client, _) = app.client().await;
        app.patch(&format!("/api/v1/users/{gone_client}")).token(&s.admin).json(json!({"is_active": false})).send().await;
        let nobody = uuid::Uuid::new_v4().to_string();
        let body = |client: &str, service: &str| json!({"service_id": service, "start_at": s.at("10:00"), "client_id": client});

        let unknown = app.book(&s.staff_token, body(&nobody, &s.service_id)).await;
        let inactive = app.book(&s.admin, body(&gone_client, &s.service_id)).await;
        let both_wrong = app.book(&s.staff_token, body(&nobody, &nobody)).await;
        let no_service = app.book(&s.staff_token, body(&s.client_id, &nobody)).await;
        let listed = app.get("/api/v1/bookings").token(&s.admin).send().await;

        for res in [&unknown, &inactive, &both_wrong] {
            assert_eq!(res.assert_problem(422, "validation")["errors"][0]["field"], "client_id", "{}", res.text);
        }
        assert_eq!(no_service.assert_problem(422, "validation")["errors"][0]["field"], "service_id");
        assert_eq!(listed.body["total"], 0);
    }
}

api_test! {
    async fn a_taken_or_invalid_time_is_a_409_with_reasons(app) {
        let s = app.salon().await;
        let (_, other) = app.client().await;
        app.book(&s.client, booking(&s, "10:00")).await;

        let taken = app.book(&other, booking(&s, "10:15")).await;
        let off_grid = app.book(&other, booking(&s, "11:07")).await;
        let early = app.book(&other, booking(&s, "07:00")).await;
        let client_overlap = app.book(&s.client, booking(&s, "10:30")).await;

        assert_eq!(taken.assert_problem(409, "slot-unavailable")["reasons"], json!(["booked"]));
        assert_eq!(off_grid.assert_problem(409, "slot-unavailable")["reasons"], json!(["off_grid"]));
        assert_eq!(early.assert_problem(409, "slot-unavailable")["reasons"], json!(["outside_working_hours"]));
        client_overlap.assert_problem(409, "slot-unavailable");
        let list = app.get("/api/v1/bookings").token(&s.admin).send().await;
        assert_eq!(list.body["total"], 1);
    }
}

api_test! {
    async fn a_client_cannot_hold_two_overlapping_bookings_with_different_staff(app) {
        let s = app.salon().await;
        let second = app.create_staff(&s.admin, "second@salon.example").await;
        let second_id = second["id"].as_str().unwrap();
        app.put(&format!("/api/v1/staff/{second_id}/schedule"))
            .token(&s.admin)
            .json(json!({"intervals": (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect::<Vec<_>>()}))
            .send()
            .await;
        app.assign(&s.admin, second_id, &s.service_id).await;
        app.book(&s.client, booking(&s, "10:00")).await;

        let res = app.book(&s.client, json!({"service_id": s.service_id, "staff_id": second_id, "start_at": s.at("10:15")})).await;
        let after = app.book(&s.client, json!({"service_id": s.service_id, "staff_id": second_id, "start_at": s.at("10:30")})).await;

        res.assert_problem(409, "slot-unavailable");
        assert_eq!(after.status, StatusCode::CREATED, "the client's own buffer is not theirs to keep: {}", after.text);
    }
}

api_test! {
    async fn without_a_staff_member_the_server_picks_a_free_qualified_one(app) {
        let s = app.salon().await;
        let second = app.create_staff(&s.admin, "second@salon.example").await;
        let second_id = second["id"].as_str().unwrap().to_owned();
        app.put(&format!("/api/v1/staff/{second_id}/schedule"))
            .token(&s.admin)
            .json(json!({"intervals": (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect::<Vec<_>>()}))
            .send()
            .await;
        app.assign(&s.admin, &second_id, &s.service_id).await;
        let (_, other) = app.client().await;
        let (_, third) = app.client().await;

        let first = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("10:00")})).await;
        let second_booking = app.book(&other, json!({"service_id": s.service_id, "start_at": s.at("10:00")})).await;
        let none_left = app.book(&third, json!({"service_id": s.service_id, "start_at": s.at("10:00")})).await;

        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(second_booking.status, StatusCode::CREATED, "{}", second_booking.text);
        assert_ne!(first.body["staff_id"], second_booking.body["staff_id"]);
        none_left.assert_problem(409, "slot-unavailable");
    }
}

api_test! {
    async fn the_server_picks_the_staff_member_least_busy_that_local_day_not_the_next(app) {
        let s = app.salon().await;
        let night = app.create_staff(&s.admin, "night@salon.example").await;
        let night_id = night["id"].as_str().unwrap().to_owned();
        let week: Vec<Value> = (1..=7)
            .flat_map(|d| [json!({"weekday": d, "start": "00:00", "end": "03:00"}), json!({"weekday": d, "start": "09:00", "end": "17:00"})])
            .collect();
        let res = app.put(&format!("/api/v1/staff/{night_id}/schedule")).token(&s.admin).json(json!({"intervals": week})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        app.assign(&s.admin, &night_id, &s.service_id).await;
        let next_day = s.date.succ_opt().unwrap();
        // The day stylist has one booking that day; the night stylist two, early the next day.
        let day_booking = app.book(&s.client, booking(&s, "14:00")).await;
        let mut night_bookings = Vec::new();
        for hhmm in ["00:00", "01:00"] {
            let at = format!("{next_day}T{hhmm}:00Z");
            night_bookings.push(app.book(&s.client, json!({"service_id": s.service_id, "staff_id": night_id, "start_at": at})).await);
        }

        let (_, other) = app.client().await;
        let picked = app.book(&other, json!({"service_id": s.service_id, "start_at": s.at("10:00")})).await;

        assert_eq!(day_booking.status, StatusCode::CREATED, "{}", day_booking.text);
        for res in &night_bookings {
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        }
        assert_eq!(picked.status, StatusCode::CREATED, "{}", picked.text);
        assert_eq!(picked.body["staff_id"], night_id.as_str(), "nothing booked that day, so the night stylist");
    }
}

api_test! {
    async fn an_idempotency_key_makes_a_retry_return_the_first_booking(app) {
        let s = app.salon().await;
        let body = booking(&s, "10:00");

        let first = app.post("/api/v1/bookings").token(&s.client).header("idempotency-key", "abc-1").json(body.clone()).send().await;
        let retry = app.post("/api/v1/bookings").token(&s.client).header("idempotency-key", "abc-1").json(body.clone()).send().await;
        let different = app.post("/api/v1/bookings").token(&s.client).header("idempotency-key", "abc-1").json(booking(&s, "11:00")).send().await;

        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.text);
        assert_eq!(first.headers["idempotent-replayed"], "false");
        assert_eq!(retry.headers["idempotent-replayed"], "true");
        assert_eq!(retry.body, first.body);
        assert_eq!(different.assert_problem(422, "validation")["errors"][0]["field"], "Idempotency-Key");
        assert_eq!(app.get("/api/v1/bookings").token(&s.client).send().await.body["total"], 1);
    }
}

api_test! {
    async fn simultaneous_retries_with_one_idempotency_key_book_once(app) {
        let s = app.salon().await;
        let body = booking(&s, "10:00");

        let mut tasks = Vec::new();
        for _ in 0..6 {
            let req = app.post("/api/v1/bookings").token(&s.client).header("idempotency-key", "same").json(body.clone());
            tasks.push(req.spawn());
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }

        let ids: Vec<&Value> = results.iter().map(|r| &r.body["id"]).collect();
        assert!(results.iter().all(|r| r.status == StatusCode::CREATED), "{:?}", results.iter().map(|r| &r.text).collect::<Vec<_>>());
        assert_eq!(results.iter().filter(|r| r.headers["idempotent-replayed"] == "false").count(), 1);
        assert!(ids.iter().all(|id| *id == ids[0]));
        assert_eq!(app.get("/api/v1/bookings").token(&s.client).send().await.body["total"], 1);
    }
}

api_test! {
    async fn bookings_are_listed_and_read_by_role(app) {
        let s = app.salon().await;
        let (_, other) = app.client().await;
        let mine = app.book(&s.client, booking(&s, "10:00")).await.body;
        let theirs = app.book(&other, booking(&s, "11:00")).await.body;
        let (_, unrelated_staff) = app.staff().await;

        let client_list = app.get("/api/v1/bookings").token(&s.client).send().await;
        let staff_list = app.get("/api/v1/bookings").token(&s.staff_token).send().await;
        let unrelated = app.get("/api/v1/bookings").token(&unrelated_staff).send().await;
        let admin_filtered = app.get(&format!("/api/v1/bookings?client_id={}&status=confirmed", s.client_id)).token(&s.admin).send().await;
        let others = app.get(&format!("/api/v1/bookings/{}", theirs["id"].as_str().unwrap())).token(&s.client).send().await;
        let own = app.get(&format!("/api/v1/bookings/{}", mine["id"].as_str().unwrap())).token(&s.client).send().await;
        let window = app.get(&format!("/api/v1/bookings?from={}&to={}", s.at("10:45"), s.at("12:00"))).token(&s.admin).send().await;

        assert_eq!(client_list.body["total"], 1);
        assert_eq!(staff_list.body["total"], 2);
        assert_eq!(unrelated.body["total"], 0);
        assert_eq!(admin_filtered.body["total"], 1);
        others.assert_problem(404, "not-found");
        assert_eq!(own.body["id"], mine["id"]);
        assert_eq!(window.body["total"], 1);
        assert_eq!(window.body["items"][0]["id"], theirs["id"]);
    }
}

api_test! {
    async fn a_reschedule_moves_the_booking_frees_the_old_slot_and_is_in_the_history(app) {
        let s = app.salon().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;
        let id = b["id"].as_str().unwrap();

        let moved = app.patch(&format!("/api/v1/bookings/{id}")).token(&s.client).json(json!({"start_at": s.at("14:00")})).send().await;
        let (_, other) = app.client().await;
        let old_slot = app.book(&other, booking(&s, "10:00")).await;
        let onto_taken = app.patch(&format!("/api/v1/bookings/{id}")).token(&s.client).json(json!({"start_at": s.at("10:15")})).send().await;
        let history = app.get(&format!("/api/v1/bookings/{id}/history")).token(&s.client).send().await;

        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
        assert_eq!(moved.body["start_at"], s.at("14:00"));
        assert_eq!(moved.body["end_at"], s.at("14:30"));
        assert_eq!(old_slot.status, StatusCode::CREATED, "{}", old_slot.text);
        assert_eq!(onto_taken.assert_problem(409, "slot-unavailable")["reasons"], json!(["booked"]));
        let events = history.body["items"].as_array().unwrap();
        assert_eq!(events.len(), 2, "{}", history.text);
        assert_eq!(events[0]["kind"], "created");
        assert_eq!(events[1]["kind"], "rescheduled");
        assert_eq!(events[1]["old"]["start_at"], s.at("10:00"));
        assert_eq!(events[1]["new"]["start_at"], s.at("14:00"));
        assert_eq!(events[1]["actor_id"], s.client_id);
    }
}

api_test! {
    async fn a_booking_moves_within_its_own_time_without_conflicting_with_itself(app) {
        let s = app.salon().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;

        let res = app.patch(&format!("/api/v1/bookings/{}", b["id"].as_str().unwrap())).token(&s.staff_token).json(json!({"start_at": s.at("10:15"), "notes": "Moved by 15"})).send().await;

        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["start_at"], s.at("10:15"));
        assert_eq!(res.body["notes"], "Moved by 15");
    }
}

api_test! {
    async fn status_changes_follow_the_state_machine_and_roles(app) {
        let s = app.salon().await;
        app.patch("/api/v1/settings").token(&s.admin).json(json!({"require_approval": true})).send().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;
        let id = b["id"].as_str().unwrap();
        let action = |name: &str, token: &str| app.post(&format!("/api/v1/bookings/{id}/{name}")).token(token).json(json!({"reason": format!("{name} test")})).send();

        assert_eq!(b["status"], "pending");
        action("confirm", &s.client).await.assert_problem(403, "forbidden");
        action("complete", &s.client).await.assert_problem(403, "forbidden");
        action("complete", &s.staff_token).await.assert_problem(409, "invalid-transition");
        let confirmed = app.post(&format!("/api/v1/bookings/{id}/confirm")).token(&s.staff_token).raw("application/json", "null").send().await;
        assert_eq!(confirmed.body["status"], "confirmed", "{}", confirmed.text);
        action("confirm", &s.admin).await.assert_problem(409, "invalid-transition");
        let done = action("no-show", &s.admin).await;
        assert_eq!(done.body["status"], "no_show", "{}", done.text);
        action("cancel", &s.admin).await.assert_problem(409, "invalid-transition");

        let history = app.get(&format!("/api/v1/bookings/{id}/history")).token(&s.admin).send().await;
        let kinds: Vec<&str> = history.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "confirmed", "no_show"]);
        assert_eq!(history.body["items"][2]["reason"], "no-show test");
        assert_eq!(history.body["items"][2]["old"]["status"], "confirmed");
    }
}

api_test! {
    async fn cancelling_frees_the_slot_and_completing_a_cancelled_booking_is_a_409(app) {
        let s = app.salon().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;
        let id = b["id"].as_str().unwrap();

        let cancelled = app.post(&format!("/api/v1/bookings/{id}/cancel")).token(&s.client).send().await;
        let (_, other) = app.client().await;
        let rebooked = app.book(&other, booking(&s, "10:00")).await;
        let complete = app.post(&format!("/api/v1/bookings/{id}/complete")).token(&s.admin).send().await;
        let reschedule = app.patch(&format!("/api/v1/bookings/{id}")).token(&s.admin).json(json!({"start_at": s.at("12:00")})).send().await;

        assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
        assert_eq!(rebooked.status, StatusCode::CREATED, "{}", rebooked.text);
        complete.assert_problem(409, "invalid-transition");
        reschedule.assert_problem(409, "invalid-transition");
    }
}

api_test! {
    async fn a_client_cannot_cancel_or_move_inside_the_cancellation_window(app) {
        let s = app.salon().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;
        let id = b["id"].as_str().unwrap();
        // A week ahead is inside a 200-hour window.
        app.patch("/api/v1/settings").token(&s.admin).json(json!({"cancellation_window_hours": 200})).send().await;

        let cancel = app.post(&format!("/api/v1/bookings/{id}/cancel")).token(&s.client).send().await;
        let moved = app.patch(&format!("/api/v1/bookings/{id}")).token(&s.client).json(json!({"start_at": s.at("12:00")})).send().await;
        let by_staff = app.post(&format!("/api/v1/bookings/{id}/cancel")).token(&s.staff_token).send().await;

        cancel.assert_problem(409, "cancellation-window");
        moved.assert_problem(409, "cancellation-window");
        assert_eq!(by_staff.body["status"], "cancelled", "{}", by_staff.text);
    }
}

api_test! {
    async fn deactivating_a_staff_member_with_future_bookings_is_a_409(app) {
        let s = app.salon().await;
        let b = app.book(&s.client, booking(&s, "10:00")).await.body;

        let refused = app.delete(&format!("/api/v1/staff/{}", s.staff_id)).token(&s.admin).send().await;
        app.post(&format!("/api/v1/bookings/{}/cancel", b["id"].as_str().unwrap())).token(&s.admin).send().await;
        let allowed = app.delete(&format!("/api/v1/staff/{}", s.staff_id)).token(&s.admin).send().await;

        refused.assert_problem(409, "staff-has-bookings");
        assert_eq!(allowed.status, StatusCode::NO_CONTENT, "{}", allowed.text);
    }
}

api_test! {
    async fn bad_booking_input_is_a_422_and_books_nothing(app) {
        let s = app.salon().await;

        let no_offset = app.book(&s.client, json!({"service_id": s.service_id, "start_at": format!("{}T10:00:00", s.date)})).await;
        let bad_service = app.book(&s.client, json!({"service_id": "nope", "start_at": s.at("10:00")})).await;
        let unknown_service = app.book(&s.client, json!({"service_id": "00000000-0000-4000-8000-000000000000", "start_at": s.at("10:00")})).await;
        let unqualified = app.book(&s.client, json!({"service_id": s.service_id, "staff_id": "00000000-0000-4000-8000-000000000000", "start_at": s.at("10:00")})).await;
        let long_notes = app.book(&s.client, json!({"service_id": s.service_id, "start_at": s.at("10:00"), "notes": "x".repeat(3000)})).await;
        let far_future = app.book(&s.client, json!({"service_id": s.service_id, "start_at": "9999-12-31T23:45:00Z"})).await;
        let far_availability = app.get(&format!("/api/v1/bookings/availability?service_id={}&date=9999-12-31&days=31", s.service_id)).send().await;
        let bad_key = app.post("/api/v1/bookings").token(&s.client).header("idempotency-key", &"k".repeat(201)).json(booking(&s, "10:00")).send().await;

        assert_eq!(no_offset.assert_problem(422, "validation")["errors"][0]["field"], "start_at");
        assert_eq!(bad_service.assert_problem(422, "validation")["errors"][0]["field"], "service_id");
        assert_eq!(unknown_service.assert_problem(422, "validation")["errors"][0]["field"], "service_id");
        assert_eq!(unqualified.assert_problem(422, "validation")["errors"][0]["field"], "staff_id");
        assert_eq!(long_notes.assert_problem(422, "validation")["errors"][0]["field"], "notes");
        bad_key.assert_problem(422, "validation");
        assert_eq!(far_future.assert_problem(422, "validation")["errors"][0]["field"], "start_at");
        assert_eq!(far_availability.assert_problem(422, "validation")["errors"][0]["field"], "date");
        assert_eq!(app.get("/api/v1/bookings").token(&s.admin).send().await.body["total"], 0);
    }
}
