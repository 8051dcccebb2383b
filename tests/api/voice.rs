//! Booking in plain words over HTTP: a sentence that books through the booking rules, a
//! conversation over several turns (also across processes), moving and cancelling, synonyms,
//! who may act for whom, the Dialogflow format, and texts that must never break anything.

use axum::http::StatusCode;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Salon, Server, TestApp, http_post};

struct Voice {
    s: Salon,
    jane: String,
    mens: String,
    balayage: String,
    /// The test date in words: "December 10".
    day: String,
}

async fn setup(app: &TestApp) -> Voice {
    let s = app.salon().await;
    let res = app
        .post("/api/v1/staff")
        .token(&s.admin)
        .json(json!({"email": "jane@salon.example", "full_name": "Jane Doe", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let jane = res.body["id"].as_str().unwrap().to_owned();
    let week: Vec<Value> = (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect();
    let res = app
        .put(&format!("/api/v1/staff/{jane}/schedule"))
        .token(&s.admin)
        .json(json!({"intervals": week}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mens =
        app.create_service(&s.admin, "Men's Haircut", 30, 3000).await["id"].as_str().unwrap().to_owned();
    let balayage =
        app.create_service(&s.admin, "Balayage", 90, 12000).await["id"].as_str().unwrap().to_owned();
    app.assign(&s.admin, &jane, &mens).await;
    app.assign(&s.admin, &jane, &balayage).await;
    let day = s.date.format("%B %-d").to_string();
    Voice { s, jane, mens, balayage, day }
}

async fn say(app: &TestApp, token: &str, body: Value) -> crate::helpers::TestResponse {
    app.post("/api/v2/voice/booking").token(token).json(body).send().await
}

api_test! {
    async fn one_sentence_books_through_the_booking_rules_and_history_says_voice(app) {
        let v = setup(&app).await;
        let text = format!("Book a men's haircut with Jane on {} at 3pm", v.day);
        let res = say(&app, &v.s.client, json!({"text": text})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["status"], "booked");
        let booking = &res.body["booking"];
        assert_eq!(booking["start_at"], v.s.at("15:00"));
        assert_eq!(booking["staff_id"], v.jane);
        assert_eq!(booking["service_id"], v.mens);
        assert_eq!(booking["client_id"], v.s.client_id);
        let message = res.body["message"].as_str().unwrap();
        assert!(message.contains("Men's Haircut") && message.contains("Jane Doe") && message.contains("15:00"), "{message}");
        // What was understood, with the words it came from.
        let parsed = &res.body["parsed"];
        assert_eq!(parsed["intent"], "book");
        assert_eq!(parsed["date"], v.s.date.to_string());
        assert_eq!(parsed["time"], "15:00");
        let slots = parsed["slots"].as_array().unwrap();
        let slot = |name: &str| slots.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name} in {slots:?}"));
        assert_eq!(slot("time")["text"], "3pm");
        assert_eq!(slot("staff")["value"], "Jane Doe");
        let start = slot("date")["start"].as_u64().unwrap() as usize;
        let end = slot("date")["end"].as_u64().unwrap() as usize;
        assert_eq!(text.chars().skip(start).take(end - start).collect::<String>(), slot("date")["text"].as_str().unwrap());

        let id = booking["id"].as_str().unwrap();
        let history = app.get(&format!("/api/v1/bookings/{id}/history")).token(&v.s.client).send().await;
        assert_eq!(history.body["items"][0]["kind"], "created");
        assert_eq!(history.body["items"][0]["channel"], "voice");
        // The same slot again: taken, so a question with the nearest free times instead.
        let (_, other) = app.client().await;
        let res = say(&app, &other, json!({"text": text})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "needs_input");
        assert_eq!(res.body["missing"], json!(["time"]));
        let times: Vec<&str> = res.body["suggestions"].as_array().unwrap().iter().map(|s| s["time"].as_str().unwrap()).collect();
        // A 30-minute cut and its 10-minute buffer on the 15-minute grid: the nearest starts
        // that do not overlap 15:00-15:40.
        assert_eq!(times, ["14:00", "14:15", "15:45"], "{}", res.text);
    }
}

api_test! {
    async fn a_conversation_offers_free_slots_and_books_the_one_chosen(app) {
        let v = setup(&app).await;
        // Jane is busy early in the afternoon.
        let res = app
            .book(&v.s.admin, json!({"service_id": v.mens, "staff_id": v.jane, "client_id": v.s.client_id, "start_at": v.s.at("12:00")}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let (_, client) = app.client().await;
        let res = say(&app, &client, json!({"text": format!("can I get a balayage on {} in the afternoon?", v.day)})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "needs_input", "{}", res.text);
        assert_eq!(res.body["missing"], json!(["time"]));
        assert_eq!(res.body["parsed"]["part_of_day"], "afternoon");
        let offered = res.body["suggestions"].as_array().unwrap().clone();
        assert_eq!(offered.len(), 3, "{}", res.text);
        let times: Vec<&str> = offered.iter().map(|s| s["time"].as_str().unwrap()).collect();
        // The first afternoon starts on the 15-minute grid after 12:00-12:40.
        assert_eq!(times, ["12:45", "13:00", "13:15"], "{}", res.text);
        let question = res.body["question"].as_str().unwrap();
        assert!(question.contains("Jane Doe is free at 12:45, 13:00 and 13:15 on"), "{question}");
        let session = res.body["session_id"].as_str().unwrap().to_owned();

        let res = say(&app, &client, json!({"text": "the later one", "session_id": session})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["status"], "booked");
        assert_eq!(res.body["booking"]["start_at"], offered[2]["start_at"]);
        assert_eq!(res.body["booking"]["service_id"], v.balayage);
        assert_eq!(res.body["session_id"], session.as_str());

        // The same conversation goes on: "move it" means the booking just made.
        let res = say(&app, &client, json!({"text": "actually, move my appointment to 4pm", "session_id": session})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "needs_input", "a 90-minute balayage at 16:00 ends after 17:00: {}", res.text);
        let res = say(&app, &client, json!({"text": "3pm then", "session_id": session})).await;
        assert_eq!(res.body["status"], "rescheduled", "{}", res.text);
        assert_eq!(res.body["booking"]["start_at"], v.s.at("15:00"));
        let id = res.body["booking"]["id"].as_str().unwrap();
        let history = app.get(&format!("/api/v1/bookings/{id}/history")).token(&client).send().await;
        let last = history.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["kind"].as_str(), last["channel"].as_str()), (Some("rescheduled"), Some("voice")));

        // Cancelling asks first; "no" keeps it, "yes" cancels it.
        let res = say(&app, &client, json!({"text": "cancel my appointment", "session_id": session})).await;
        assert_eq!(res.body["status"], "needs_input", "{}", res.text);
        assert_eq!(res.body["missing"], json!(["confirmation"]));
        // A no that holds a yes-word is still a no.
        let res = say(&app, &client, json!({"text": "no, that's not ok", "session_id": session})).await;
        assert_eq!(res.body["status"], "unchanged", "{}", res.text);
        let res = say(&app, &client, json!({"text": "please cancel my balayage", "session_id": session})).await;
        assert_eq!(res.body["missing"], json!(["confirmation"]), "{}", res.text);
        let res = say(&app, &client, json!({"text": "yes", "session_id": session})).await;
        assert_eq!(res.body["status"], "cancelled", "{}", res.text);
        assert_eq!(res.body["booking"]["status"], "cancelled");
        let history = app.get(&format!("/api/v1/bookings/{id}/history")).token(&client).send().await;
        let last = history.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["kind"].as_str(), last["channel"].as_str()), (Some("cancelled"), Some("voice")));
    }
}

api_test! {
    async fn when_is_someone_free_answers_with_slots_and_a_pick_books(app) {
        let v = setup(&app).await;
        let res = say(&app, &v.s.client, json!({"text": format!("when is Jane free on {} morning?", v.day)})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "available", "{}", res.text);
        assert_eq!(res.body["parsed"]["intent"], "availability");
        // Jane's shortest service, in the morning.
        let times: Vec<&str> = res.body["suggestions"].as_array().unwrap().iter().map(|s| s["time"].as_str().unwrap()).collect();
        assert_eq!(times, ["09:00", "09:15", "09:30"], "{}", res.text);
        assert!(res.body["message"].as_str().unwrap().contains("Men's Haircut"), "{}", res.text);
        let session = res.body["session_id"].as_str().unwrap();
        let res = say(&app, &v.s.client, json!({"text": "9:30 please", "session_id": session})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["booking"]["start_at"], v.s.at("09:30"));
        assert_eq!(res.body["booking"]["staff_id"], v.jane);
    }
}

api_test! {
    async fn missing_things_are_asked_for_one_at_a_time(app) {
        let v = setup(&app).await;
        let res = say(&app, &v.s.client, json!({"text": "I'd like to book an appointment"})).await;
        assert_eq!(res.body["status"], "needs_input", "{}", res.text);
        assert_eq!(res.body["missing"], json!(["service"]));
        let session = res.body["session_id"].as_str().unwrap().to_owned();
        let res = say(&app, &v.s.client, json!({"text": "a balayage", "session_id": session})).await;
        assert_eq!(res.body["missing"], json!(["date"]), "{}", res.text);
        assert!(!res.body["suggestions"].as_array().unwrap().is_empty());
        let res = say(&app, &v.s.client, json!({"text": format!("{} please", v.day), "session_id": session})).await;
        assert_eq!(res.body["missing"], json!(["time"]), "{}", res.text);
        let res = say(&app, &v.s.client, json!({"text": "half past ten", "session_id": session})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["booking"]["start_at"], v.s.at("10:30"));

        // While booking, "another time?" offers other times and moves no existing booking;
        // a yes to several offers asks which; a year no salon books in asks for a day.
        let res = say(&app, &v.s.client, json!({"text": format!("book a men's haircut on {} in the afternoon", v.day)})).await;
        assert_eq!(res.body["missing"], json!(["time"]), "{}", res.text);
        let session = res.body["session_id"].as_str().unwrap().to_owned();
        let res = say(&app, &v.s.client, json!({"text": "yes", "session_id": session})).await;
        assert_eq!(res.body["missing"], json!(["time"]), "{}", res.text);
        assert!(res.body["question"].as_str().unwrap().starts_with("Which one: "), "{}", res.text);
        let res = say(&app, &v.s.client, json!({"text": "do you have a different time?", "session_id": session})).await;
        assert_eq!(res.body["status"], "needs_input", "{}", res.text);
        assert!(res.body["booking"].is_null());
        let res = say(&app, &v.s.client, json!({"text": "book a balayage on 3000-01-01 at 3pm"})).await;
        assert_eq!(res.body["missing"], json!(["date"]), "{}", res.text);
        let mine = app.get("/api/v1/bookings?limit=5").token(&v.s.client).send().await;
        assert_eq!(mine.body["total"], 1, "{}", mine.text);
        assert_eq!(mine.body["items"][0]["start_at"], v.s.at("10:30"));

        // Gibberish and emoji: understood as nothing, asked again, nothing booked.
        for text in ["🙂🙂🙂", "asdf qwerty", "\u{202e}\u{200b}"] {
            let res = say(&app, &v.s.client, json!({"text": text})).await;
            assert_eq!(res.status, StatusCode::OK, "{text}: {}", res.text);
            assert_eq!(res.body["status"], "not_understood", "{text}: {}", res.text);
            assert!(res.body["booking"].is_null());
        }
    }
}

api_test! {
    async fn synonyms_teach_the_parser_and_only_admins_change_them(app) {
        let v = setup(&app).await;
        let parse = |text: &str| app.post("/api/v2/voice/parse").token(&v.s.client).json(json!({"text": text, "now": "2026-12-02T10:00:00Z"})).send();
        let res = parse("a skin fade tomorrow at noon").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(res.body["service"].is_null() || res.body["service"]["id"] != v.mens.as_str(), "{}", res.text);
        assert_eq!(res.body["date"], "2026-12-03");
        assert_eq!(res.body["time"], "12:00");

        let body = json!({"kind": "service", "target_id": v.mens, "phrase": "Skin Fade"});
        let res = app.post("/api/v2/voice/synonyms").token(&v.s.staff_token).json(body.clone()).send().await;
        res.assert_problem(403, "forbidden");
        let res = app.post("/api/v2/voice/synonyms").token(&v.s.admin).json(body.clone()).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["target_name"], "Men's Haircut");
        let id = res.body["id"].as_str().unwrap().to_owned();
        let res = parse("a skin fade tomorrow at noon").await;
        assert_eq!(res.body["service"]["id"], v.mens.as_str(), "{}", res.text);
        assert_eq!(res.body["service"]["name"], "Men's Haircut");

        // The same phrase twice, a phrase without letters, an unknown target.
        let res = app.post("/api/v2/voice/synonyms").token(&v.s.admin).json(json!({"kind": "service", "target_id": v.balayage, "phrase": "skin  fade!"})).send().await;
        res.assert_problem(409, "synonym-exists");
        let res = app.post("/api/v2/voice/synonyms").token(&v.s.admin).json(json!({"kind": "service", "target_id": v.mens, "phrase": "!!!"})).send().await;
        res.assert_problem(422, "validation");
        let res = app.post("/api/v2/voice/synonyms").token(&v.s.admin).json(json!({"kind": "staff", "target_id": v.mens, "phrase": "boss"})).send().await;
        res.assert_problem(422, "validation");

        let list = app.get("/api/v2/voice/synonyms?kind=service").token(&v.s.staff_token).send().await;
        assert_eq!(list.body["total"], 1, "{}", list.text);
        assert_eq!(list.body["items"][0]["phrase"], "Skin Fade");
        let res = app.delete(&format!("/api/v2/voice/synonyms/{id}")).token(&v.s.admin).send().await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        let res = app.delete(&format!("/api/v2/voice/synonyms/{id}")).token(&v.s.admin).send().await;
        res.assert_problem(404, "not-found");
    }
}

api_test! {
    async fn voice_follows_the_booking_roles(app) {
        let v = setup(&app).await;
        let text = format!("book a balayage on {} at 10am", v.day);
        // A client books for themselves only.
        let (other_id, other) = app.client().await;
        let res = say(&app, &v.s.client, json!({"text": text, "client_id": other_id})).await;
        res.assert_problem(403, "forbidden");
        // Staff need to say for whom; then the booking is the client's.
        let res = say(&app, &v.s.staff_token, json!({"text": text})).await;
        res.assert_problem(422, "validation");
        let res = say(&app, &v.s.staff_token, json!({"text": text, "client_id": other_id})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["booking"]["client_id"], other_id.as_str());
        // Another user's conversation is not found, nor is one that expired.
        let session = res.body["session_id"].as_str().unwrap().to_owned();
        let res = say(&app, &other, json!({"text": "cancel it", "session_id": session})).await;
        res.assert_problem(404, "not-found");
        // A client moves or cancels only their own: the other client's booking is not theirs.
        let res = say(&app, &v.s.client, json!({"text": "cancel my appointment"})).await;
        assert_eq!(res.body["status"], "unchanged", "{}", res.text);
        // A staff member acts only on their own appointments (as in v1): it is Jane's.
        let res = say(&app, &v.s.staff_token, json!({"text": "cancel my appointment", "client_id": other_id})).await;
        assert_eq!(res.body["status"], "unchanged", "{}", res.text);
        // An admin asks for the other client; a yes sent for another client cancels nothing.
        let res = say(&app, &v.s.admin, json!({"text": "cancel my appointment", "client_id": other_id})).await;
        assert_eq!(res.body["missing"], json!(["confirmation"]), "{}", res.text);
        let admin_session = res.body["session_id"].as_str().unwrap().to_owned();
        let res = say(&app, &v.s.admin, json!({"text": "yes", "session_id": admin_session, "client_id": v.s.client_id})).await;
        assert_ne!(res.body["status"], "cancelled", "{}", res.text);
        let mine = app.get("/api/v1/bookings?limit=5").token(&other).send().await;
        assert_eq!(mine.body["items"][0]["status"], "confirmed", "{}", mine.text);
        let res = say(&app, &other, json!({"text": "cancel my appointment"})).await;
        assert_eq!(res.body["missing"], json!(["confirmation"]), "{}", res.text);
        let mine = res.body["session_id"].as_str().unwrap().to_owned();
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        salon::entity::voice_sessions::Entity::update_many()
            .col_expr(salon::entity::voice_sessions::Column::ExpiresAt, sea_orm::sea_query::Expr::value(past))
            .filter(salon::entity::voice_sessions::Column::Id.eq(uuid::Uuid::parse_str(&mine).unwrap()))
            .exec(&app.db)
            .await
            .unwrap();
        let res = say(&app, &other, json!({"text": "yes", "session_id": mine})).await;
        res.assert_problem(404, "not-found");
    }
}

api_test! {
    async fn a_conversation_continues_in_another_process(app) {
        let v = setup(&app).await;
        let servers = [Server::start(&app), Server::start(&app)];
        let client = v.s.client.clone();
        let day = v.day.clone();
        let (first, second) = tokio::task::spawn_blocking(move || {
            let (status, body) = http_post(&servers[0].base, "/api/v2/voice/booking", &client, &json!({"text": format!("balayage on {day}")}));
            let first: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            assert_eq!(status, 200, "{body}");
            let session = first["session_id"].clone();
            let (status, body) = http_post(&servers[1].base, "/api/v2/voice/booking", &client, &json!({"text": "the first one", "session_id": session}));
            assert_eq!(status, 201, "{body}");
            (first, serde_json::from_str::<Value>(&body).unwrap())
        })
        .await
        .unwrap();
        assert_eq!(second["booking"]["start_at"], first["suggestions"][0]["start_at"]);
        assert_eq!(second["booking"]["service_id"], v.balayage);
    }
}

api_test! {
    async fn dialogflow_es_and_cx_requests_get_answers_in_their_own_format(app) {
        let v = setup(&app).await;
        let es = json!({
            "responseId": "r1",
            "session": "projects/salon/agent/sessions/call-1",
            "queryResult": {"queryText": format!("book a men's haircut with Jane on {} at 11am", v.day), "parameters": {"client_id": v.s.client_id}},
        });
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.staff_token).json(es).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let text = res.body["fulfillmentText"].as_str().unwrap();
        assert!(text.starts_with("Booked: Men's Haircut with Jane Doe"), "{text}");
        assert_eq!(res.body["fulfillmentMessages"][0]["text"]["text"][0], text);
        assert_eq!(res.body["payload"]["salon"]["booking"]["start_at"], v.s.at("11:00"));
        assert_eq!(res.body["payload"]["salon"]["booking"]["client_id"], v.s.client_id.as_str());

        // CX: two turns under one session path; the agent's own parameters fill the service.
        let cx = |text: &str| json!({
            "detectIntentResponseId": "d1",
            "sessionInfo": {"session": "projects/p/locations/l/agents/a/sessions/call-2", "parameters": {"service": "balayage"}},
            "text": text,
        });
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(cx(&format!("is there anything on {} in the afternoon", v.day))).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(res.body.get("fulfillmentText").is_none());
        let said = res.body["fulfillmentResponse"]["messages"][0]["text"]["text"][0].as_str().unwrap();
        assert!(said.contains("Jane Doe is free at"), "{said}");
        let first = res.body["sessionInfo"]["parameters"]["salon_session_id"].clone();
        let offered = res.body["payload"]["salon"]["suggestions"][1]["start_at"].clone();
        // "The 2nd one" picks an offer; it is not the 2nd of a month.
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(cx("the 2nd one")).send().await;
        assert_eq!(res.body["sessionInfo"]["parameters"]["salon_status"], "booked", "{}", res.text);
        assert_eq!(res.body["payload"]["salon"]["booking"]["service_id"], v.balayage);
        assert_eq!(res.body["payload"]["salon"]["booking"]["start_at"], offered);
        // Both turns were one conversation.
        assert!(first.is_string());
        assert_eq!(res.body["sessionInfo"]["parameters"]["salon_session_id"], first);
        // A turn the booking rules refuse is still a 200, with a sentence: a cancellation
        // inside the cancellation window.
        let res = app.patch("/api/v1/settings").token(&v.s.admin).json(json!({"cancellation_window_hours": 720})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(cx("cancel my appointment")).send().await;
        assert_eq!(res.body["sessionInfo"]["parameters"]["salon_status"], "needs_input", "{}", res.text);
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(cx("yes")).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["payload"]["salon"]["problem"]["type"], "/problems/cancellation-window", "{}", res.text);
        let said = res.body["fulfillmentResponse"]["messages"][0]["text"]["text"][0].as_str().unwrap();
        assert!(said.starts_with("Sorry, that cannot be done"), "{said}");
        // Dialogflow's own date object fills the day the text leaves out.
        let es = |text: &str| json!({"session": "projects/salon/agent/sessions/call-3", "queryResult": {"queryText": text, "parameters": {"date": {"year": 2026, "month": 12, "day": 1}}}});
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(es("book a balayage at 3pm")).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        // The date object was read (a day in the past): a question, not a booking.
        assert_eq!(res.body["payload"]["salon"]["parsed"]["intent"], "book", "{}", res.text);
        assert_eq!(res.body["payload"]["salon"]["status"], "needs_input", "{}", res.text);
        assert!(res.body["fulfillmentText"].as_str().unwrap().contains("has passed"), "{}", res.text);

        // A call with no text (an event, silence) is asked what to book; too long a text is a 422;
        // a nested object given as an array is refused.
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(json!({"queryResult": {}})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(res.body["fulfillmentText"].as_str().unwrap().starts_with("What would you like to book?"), "{}", res.text);
        let long = "a".repeat(2001);
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(json!({"text": "", "transcript": long})).send().await;
        res.assert_problem(422, "validation");
        let res = app.post("/api/v2/voice/dialogflow").token(&v.s.client).json(json!({"sessionInfo": [null]})).send().await;
        res.assert_problem(422, "validation");
        // An empty session_id starts a conversation, as an omitted one does.
        let res = app.post("/api/v2/voice/booking").token(&v.s.client).json(json!({"text": "hello", "session_id": ""})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
}

api_test! {
    async fn no_text_breaks_the_parser_or_the_conversation(app) {
        let v = setup(&app).await;
        // 100 kB is beyond any request body: 413.
        let long = json!({"text": "a".repeat(100_000)});
        let res = app.post("/api/v2/voice/parse").token(&v.s.client).json(long.clone()).send().await;
        res.assert_problem(413, "payload-too-large");
        say(&app, &v.s.client, long).await.assert_problem(413, "payload-too-large");
        // Empty, too long, and NUL: 422 before anything runs.
        for text in [String::new(), "a".repeat(2001), "book\u{0}".into()] {
            let res = app.post("/api/v2/voice/parse").token(&v.s.client).json(json!({"text": text})).send().await;
            res.assert_problem(422, "validation");
            let res = say(&app, &v.s.client, json!({"text": text})).await;
            res.assert_problem(422, "validation");
        }
        // Arbitrary Unicode (proptest's strings: any scalar values, control characters and
        // all), the longest allowed, and only emoji: a documented shape, never a 5xx.
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strings = proptest::string::string_regex("(?s).{1,300}").unwrap();
        let mut texts: Vec<String> = (0..48).map(|_| strings.new_tree(&mut runner).unwrap().current()).collect();
        texts.push("🙂".repeat(500));
        texts.push("book a balayage tomorrow at 3pm ".repeat(62));
        for text in texts {
            let res = app.post("/api/v2/voice/parse").token(&v.s.client).json(json!({"text": text})).send().await;
            let has_nul = text.contains('\0');
            if has_nul || text.chars().count() > 2000 {
                res.assert_problem(422, "validation");
                continue;
            }
            assert_eq!(res.status, StatusCode::OK, "{text:?}: {}", res.text);
            assert!(res.body["intent"].is_string() && res.body["slots"].is_array(), "{}", res.text);
            let res = say(&app, &v.s.client, json!({"text": text})).await;
            assert!(res.status == StatusCode::OK || res.status == StatusCode::CREATED, "{text:?}: {}", res.text);
            let status = res.body["status"].as_str().unwrap();
            assert!(["booked", "needs_input", "not_understood", "available", "unchanged", "rescheduled", "cancelled"].contains(&status), "{}", res.text);
        }
    }
}

api_test! {
    async fn a_service_with_a_deposit_is_held_and_the_reply_says_for_how_much(app) {
        let v = setup(&app).await;
        let res = app.patch(&format!("/api/v1/services/{}", v.balayage)).token(&v.s.admin).json(json!({"deposit_cents": 2000})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let res = say(&app, &v.s.client, json!({"text": format!("book a balayage with Jane on {} at 10am", v.day)})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["booking"]["status"], "pending");
        let message = res.body["message"].as_str().unwrap();
        assert!(message.contains("for a deposit of 20.00 "), "{message}");
    }
}
