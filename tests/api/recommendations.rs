//! Recommendations over HTTP: computed by the refresh job, read as stored; who may read them;
//! what is never recommended; the front desk's list of clients due.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::inventory::product;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Books `client_id` for the salon's service at 10:00 on `date`, and completes it.
async fn visit(app: &TestApp, s: &crate::helpers::Salon, client_id: &str, date: chrono::NaiveDate) {
    let at = format!("{date}T10:00:00Z");
    let res =
        app.book(&s.admin, json!({"service_id": s.service_id, "client_id": client_id, "start_at": at})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let done = app
        .post(&format!("/api/v1/bookings/{}/complete", id(&res.body)))
        .token(&s.staff_token)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
}

async fn refresh(app: &TestApp, admin: &str) {
    let res = app.post("/api/v2/recommendations/refresh").token(admin).send().await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    app.drain().await;
    let jobs = app
        .get(&format!("/api/v2/jobs?ref_id={}", res.body["ref_id"].as_str().unwrap()))
        .token(admin)
        .send()
        .await;
    assert_eq!(jobs.body["items"][0]["status"], "succeeded", "{}", jobs.text);
}

api_test! {
    async fn a_client_is_due_on_their_own_rhythm_and_offered_what_similar_clients_bought(app) {
        let s = app.salon().await;
        // The client comes every two weeks; another client had the same service and bought
        // the protect spray.
        for k in 0..3 {
            visit(&app, &s, &s.client_id, s.date + Duration::days(14 * k)).await;
        }
        let (other_id, _) = app.client().await;
        visit(&app, &s, &other_id, s.date + Duration::days(1)).await;
        let spray = product(&app, &s.admin, "SPRAY-1", 5, json!({"name": "Protect spray"})).await;
        let res = app.post("/api/v2/sales/retail").token(&s.staff_token).json(json!({"client_id": other_id, "lines": [{"sku": "SPRAY-1", "quantity": 1}]})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let (newcomer_id, newcomer) = app.client().await;

        // Before any refresh: nothing computed yet.
        let before = app.get(&format!("/api/v2/recommendations/client/{}", s.client_id)).token(&s.client).send().await;
        assert_eq!((before.status, before.body["generated_at"].clone()), (StatusCode::OK, Value::Null), "{}", before.text);
        refresh(&app, &s.admin).await;

        let path = format!("/api/v2/recommendations/client/{}", s.client_id);
        let recs = app.get(&path).token(&s.client).send().await;
        assert_eq!(recs.status, StatusCode::OK, "{}", recs.text);
        let next = &recs.body["next_service"];
        assert_eq!(next["service_id"].as_str(), Some(s.service_id.as_str()), "{}", recs.text);
        // Two intervals of 14 days, and the salon's rhythm (only this client has one) is 14.
        let last = s.date + Duration::days(28);
        assert_eq!(next["last_visit_on"].as_str(), Some(last.to_string().as_str()));
        assert_eq!(next["due_on"].as_str(), Some((last + Duration::days(14)).to_string().as_str()));
        let reason = next["reason"].as_str().unwrap();
        assert!(reason.starts_with("Last Cut on ") && reason.ends_with("you usually come every 2 weeks"), "{reason}");
        let products = recs.body["products"].as_array().unwrap();
        assert_eq!(products[0]["product_id"], spray["id"], "{}", recs.text);
        assert_eq!(products[0]["reason"], "1 of the 2 clients who book Cut also buy Protect spray");

        // Staff and admins read it; another client gets a 404, as for an unknown id.
        assert_eq!(app.get(&path).token(&s.staff_token).send().await.status, StatusCode::OK);
        app.get(&path).token(&newcomer).send().await.assert_problem(404, "not-found");
        app.get(&format!("/api/v2/recommendations/client/{}", uuid::Uuid::now_v7())).token(&s.admin).send().await.assert_problem(404, "not-found");
        app.get(&format!("/api/v2/recommendations/client/{}", s.staff_id)).token(&s.admin).send().await.assert_problem(404, "not-found");
        app.get(&path).send().await.assert_problem(401, "unauthorized");
        app.get(&path).token("not-a-token").send().await.assert_problem(401, "unauthorized");
        // Who is asking comes first, then what they ask for.
        app.get("/api/v2/recommendations/client/not-a-uuid").send().await.assert_problem(401, "unauthorized");
        app.get("/api/v2/recommendations/client/not-a-uuid").token(&s.admin).send().await.assert_problem(422, "validation");

        // A client without history: what is popular, and no next service.
        let fresh = app.get(&format!("/api/v2/recommendations/client/{newcomer_id}")).token(&newcomer).send().await;
        assert_eq!(fresh.body["next_service"], Value::Null, "{}", fresh.text);
        assert_eq!(fresh.body["services"][0]["service_id"].as_str(), Some(s.service_id.as_str()), "{}", fresh.text);
        assert!(fresh.body["services"][0]["reason"].as_str().unwrap().contains("booked 4 times"), "{}", fresh.text);

        // Out of stock: no longer offered, before the next refresh.
        let res = app.put("/api/v2/inventory/SPRAY-1/update_stock").token(&s.admin).json(json!({"count": 0})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let recs = app.get(&path).token(&s.client).send().await;
        assert!(recs.body["products"].as_array().unwrap().iter().all(|p| p["product_id"] != spray["id"]), "{}", recs.text);

        // The front desk's list: due within the next two months, without an upcoming booking.
        let until = s.date + Duration::days(60);
        let due = app.get(&format!("/api/v2/recommendations/due?before={until}")).token(&s.staff_token).send().await;
        assert_eq!(due.status, StatusCode::OK, "{}", due.text);
        let ids: Vec<&str> = due.body["items"].as_array().unwrap().iter().map(|d| d["client_id"].as_str().unwrap()).collect();
        assert!(ids.contains(&s.client_id.as_str()) && ids.contains(&other_id.as_str()) && !ids.contains(&newcomer_id.as_str()), "{}", due.text);
        // Booked again: off the list.
        let at = format!("{}T12:00:00Z", s.date + Duration::days(30));
        assert_eq!(app.book(&s.client, json!({"service_id": s.service_id, "start_at": at})).await.status, StatusCode::CREATED);
        let due = app.get(&format!("/api/v2/recommendations/due?before={until}")).token(&s.staff_token).send().await;
        assert!(due.body["items"].as_array().unwrap().iter().all(|d| d["client_id"] != s.client_id.as_str()), "{}", due.text);
        app.get("/api/v2/recommendations/due").token(&s.client).send().await.assert_problem(403, "forbidden");
        app.get("/api/v2/recommendations/due?before=soon").token(&s.staff_token).send().await.assert_problem(422, "validation");
    }
}

api_test! {
    async fn an_inactive_service_is_never_recommended(app) {
        let s = app.salon().await;
        visit(&app, &s, &s.client_id, s.date).await;
        visit(&app, &s, &s.client_id, s.date + Duration::days(7)).await;
        refresh(&app, &s.admin).await;
        let path = format!("/api/v2/recommendations/client/{}", s.client_id);
        assert!(app.get(&path).token(&s.client).send().await.body["next_service"].is_object());
        let res = app.delete(&format!("/api/v1/services/{}", s.service_id)).token(&s.admin).send().await;
        assert!(res.status.is_success(), "{}", res.text);
        let recs = app.get(&path).token(&s.client).send().await;
        assert_eq!(recs.body["next_service"], Value::Null, "{}", recs.text);
        assert!(recs.body["services"].as_array().unwrap().iter().all(|x| x["service_id"] != s.service_id.as_str()), "{}", recs.text);
        // And after a refresh.
        refresh(&app, &s.admin).await;
        let recs = app.get(&path).token(&s.client).send().await;
        assert_eq!(recs.body["next_service"], Value::Null, "{}", recs.text);
    }
}

api_test! {
    async fn a_kept_answer_revalidates_with_its_etag_and_any_process_sees_what_changed(app) {
        let s = app.salon().await;
        visit(&app, &s, &s.client_id, s.date).await;
        let (other_id, _) = app.client().await;
        visit(&app, &s, &other_id, s.date + Duration::days(1)).await;
        let spray = product(&app, &s.admin, "SPRAY-1", 3, json!({"name": "Protect spray"})).await;
        let sell = |client: String| {
            app.post("/api/v2/sales/retail").token(&s.staff_token)
                .json(json!({"client_id": client, "lines": [{"sku": "SPRAY-1", "quantity": 1}]})).send()
        };
        assert_eq!(sell(other_id.clone()).await.status, StatusCode::CREATED);
        refresh(&app, &s.admin).await;
        let path = format!("/api/v2/recommendations/client/{}", s.client_id);
        let offered = |r: &crate::helpers::TestResponse| {
            r.body["products"].as_array().unwrap().iter().any(|p| p["product_id"] == spray["id"])
        };

        let first = app.get(&path).token(&s.client).send().await;
        assert!(offered(&first), "{}", first.text);
        let etag = first.headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(first.headers["cache-control"], "private, no-cache");
        let same = app.get(&path).token(&s.client).header("if-none-match", &etag).send().await;
        assert_eq!((same.status, same.text.as_str()), (StatusCode::NOT_MODIFIED, ""));

        // Another process keeps its own copy; a sale that leaves stock changes nothing shown.
        let other = app.another_process().await;
        assert!(offered(&other.get(&path).token(&s.client).send().await));
        assert_eq!(sell(other_id.clone()).await.status, StatusCode::CREATED);
        let kept = other.get(&path).token(&s.client).header("if-none-match", &etag).send().await;
        assert_eq!(kept.status, StatusCode::NOT_MODIFIED, "{}", kept.text);

        // Renamed here: the other process shows the new name, with a new ETag.
        let spray_path = format!("/api/v2/products/{}", spray["id"].as_str().unwrap());
        let res = app.patch(&spray_path).token(&s.admin).json(json!({"name": "Colour spray"})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let renamed = other.get(&path).token(&s.client).header("if-none-match", &etag).send().await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        let shown = renamed.body["products"].as_array().unwrap().iter().find(|p| p["product_id"] == spray["id"]).cloned();
        assert_eq!(shown.map(|p| p["name"].clone()), Some(json!("Colour spray")), "{}", renamed.text);
        let etag = renamed.headers["etag"].to_str().unwrap().to_owned();

        // The last one sold here: gone from what the other process answers, with a new ETag.
        assert_eq!(sell(other_id.clone()).await.status, StatusCode::CREATED);
        let gone = other.get(&path).token(&s.client).header("if-none-match", &etag).send().await;
        assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
        assert!(!offered(&gone), "{}", gone.text);
        assert_ne!(gone.headers["etag"].to_str().unwrap(), etag);

        // Promoted to staff: no longer a client, in either process.
        let kept = other.get(&path).token(&s.staff_token).send().await;
        assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
        let res = app.patch(&format!("/api/v1/users/{}", s.client_id)).token(&s.admin).json(json!({"role": "staff"})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        other.get(&path).token(&s.staff_token).send().await.assert_problem(404, "not-found");
        app.get(&path).token(&s.staff_token).send().await.assert_problem(404, "not-found");

        // A caller deactivated a moment ago is turned away at once, whatever is kept.
        let (third_id, third) = app.client().await;
        let third_path = format!("/api/v2/recommendations/client/{third_id}");
        assert_eq!(other.get(&third_path).token(&third).send().await.status, StatusCode::OK);
        let res = app.patch(&format!("/api/v1/users/{third_id}")).token(&s.admin).json(json!({"is_active": false})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        other.get(&third_path).token(&third).send().await.assert_problem(401, "unauthorized");
    }
}
