//! Concurrency is part of correctness: racing requests for one slot give one booking, on
//! both databases, from one process or from two sharing the database.

use super::helpers::{Salon, Server, TestApp, http_post};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

const RACERS: usize = 24;

/// Tokens of `n` fresh clients.
pub async fn clients(app: &TestApp, n: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..n {
        tokens.push(app.client().await.1);
    }
    tokens
}

fn statuses(results: &[(u16, String)]) -> (usize, usize) {
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    let conflicts = results.iter().filter(|(s, body)| *s == 409 && body.contains("slot-unavailable")).count();
    (created, conflicts)
}

/// Active bookings of the staff member, as (start, end + buffer) spans.
pub async fn active_blocks(app: &TestApp, s: &Salon, buffer: i64) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let list =
        app.get(&format!("/api/v1/bookings?staff_id={}&limit=200", s.staff_id)).token(&s.admin).send().await;
    let mut spans: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "confirmed" || b["status"] == "pending")
        .map(|b| {
            let start: DateTime<Utc> = b["start_at"].as_str().unwrap().parse().unwrap();
            let end: DateTime<Utc> = b["end_at"].as_str().unwrap().parse().unwrap();
            (start, end + Duration::minutes(buffer))
        })
        .collect();
    spans.sort();
    spans
}

api_test! {
    async fn twenty_four_clients_racing_for_one_slot_get_one_booking(app) {
        let s = app.salon().await;
        let tokens = clients(&app, RACERS).await;
        let body = json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at("10:00")});

        let tasks: Vec<_> = tokens.iter().map(|t| app.post("/api/v1/bookings").token(t).json(body.clone()).spawn()).collect();
        let mut results = Vec::new();
        for task in tasks {
            let res = task.await.unwrap();
            results.push((res.status.as_u16(), res.text));
        }

        assert_eq!(statuses(&results), (1, RACERS - 1), "{results:?}");
        assert_eq!(active_blocks(&app, &s, 10).await.len(), 1);
    }
}

api_test! {
    async fn racing_near_miss_starts_never_leave_an_overlap(app) {
        let s = app.salon().await;
        let tokens = clients(&app, RACERS).await;

        // Starts every 15 minutes from 10:00: each 40-minute block overlaps its neighbours.
        let tasks: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let start = s.at(&format!("{:02}:{:02}", 10 + (i * 15) / 60, (i * 15) % 60));
                app.post("/api/v1/bookings").token(t).json(json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": start})).spawn()
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            let res = task.await.unwrap();
            assert!(res.status == StatusCode::CREATED || res.status == StatusCode::CONFLICT, "{}", res.text);
            results.push(res.status);
        }

        let blocks = active_blocks(&app, &s, 10).await;
        assert!(!blocks.is_empty());
        assert_eq!(blocks.len(), results.iter().filter(|s| **s == StatusCode::CREATED).count());
        for pair in blocks.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlap: {pair:?}");
        }
    }
}

api_test! {
    async fn two_server_processes_sharing_the_database_still_book_a_slot_once(app) {
        let s = app.salon().await;
        let tokens = clients(&app, RACERS).await;
        let servers = [Server::start(&app), Server::start(&app)];
        let body = json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at("11:00")});

        let threads: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let host = servers[i % 2].base.clone();
                let body = body.clone();
                std::thread::spawn(move || http_post(&host, "/api/v1/bookings", &token, &body))
            })
            .collect();
        let results: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(servers);

        assert_eq!(statuses(&results), (1, RACERS - 1), "{results:?}");
        assert_eq!(active_blocks(&app, &s, 10).await.len(), 1);
    }
}
