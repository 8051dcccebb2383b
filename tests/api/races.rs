//! Concurrency is part of correctness: racing requests for one slot give one booking, on
//! both databases, from one process or from two sharing the database.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use super::helpers::{JWT_SECRET, Salon, TestApp};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

const RACERS: usize = 24;

/// Tokens of `n` fresh clients.
async fn clients(app: &TestApp, n: usize) -> Vec<String> {
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
async fn active_blocks(app: &TestApp, s: &Salon, buffer: i64) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
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

/// A `salon serve` process on the test's database, on a free port.
struct Server {
    child: Child,
    base: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(app: &TestApp) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_salon"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", JWT_SECRET)
            .env("SALON_PORT", "0")
            .env("RUST_LOG", "warn")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().trim_start_matches("http://").to_owned();
        Server { child, base, _stdout: stdout }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 POST; returns the status and body.
fn post(host: &str, path: &str, token: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
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
                std::thread::spawn(move || post(&host, "/api/v1/bookings", &token, &body))
            })
            .collect();
        let results: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(servers);

        assert_eq!(statuses(&results), (1, RACERS - 1), "{results:?}");
        assert_eq!(active_blocks(&app, &s, 10).await.len(), 1);
    }
}
