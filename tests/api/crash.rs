//! Crash safety: kill -9 the server while clients book, restart it, and every booking that
//! was answered 201 is there, whole (booking, busy block and history event), and nothing is
//! half-written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::helpers::{Server, http_post};
use super::races::clients;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn count(app: &super::helpers::TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app.db.query_one_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

api_test! {
    async fn bookings_acknowledged_before_a_kill_9_survive_it_whole(app) {
        let s = app.salon().await;
        let tokens = clients(&app, 6).await;
        let server = Server::start(&app);
        let host = server.base.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));

        // Each client books its own times (a week of 45-minute steps), so only the kill stops them.
        let threads: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let (host, stop, answered) = (host.clone(), stop.clone(), answered.clone());
                let (service, staff) = (s.service_id.clone(), s.staff_id.clone());
                let first = s.date;
                std::thread::spawn(move || {
                    let mut acknowledged = Vec::new();
                    let mut tried = 0;
                    for k in 0.. {
                        let slot = i + 6 * k;
                        let (day, step) = (slot / 10, slot % 10);
                        if stop.load(Ordering::SeqCst) || day >= 30 {
                            break;
                        }
                        let minutes = 9 * 60 + step * 45;
                        let start = format!("{}T{:02}:{:02}:00Z", first + chrono::Duration::days(day as i64), minutes / 60, minutes % 60);
                        tried += 1;
                        let (status, body) = http_post(&host, "/api/v1/bookings", &token, &json!({"service_id": service, "staff_id": staff, "start_at": start}));
                        match status {
                            201 => {
                                acknowledged.push(serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_str().unwrap().to_owned());
                                answered.fetch_add(1, Ordering::SeqCst);
                            }
                            0 => break,
                            other => panic!("unexpected {other}: {body}"),
                        }
                    }
                    (acknowledged, tried)
                })
            })
            .collect();
        // Kill in mid-stream: once a few bookings are through (however loaded the machine is),
        // with the clients still sending.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while answered.load(Ordering::SeqCst) < 12 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        let mut server = server;
        server.child.kill().unwrap(); // SIGKILL: no graceful shutdown
        server.child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        let mut acknowledged = Vec::new();
        let mut tried = 0;
        for t in threads {
            let (ids, n) = t.join().unwrap();
            acknowledged.extend(ids);
            tried += n;
        }

        let restarted = Server::start(&app);
        drop(restarted);
        assert!(!acknowledged.is_empty(), "the clients booked nothing before the kill");
        assert!(tried > acknowledged.len(), "the kill landed after the clients had finished");
        eprintln!("crash safety: {tried} requests tried, {} acknowledged", acknowledged.len());
        for id in &acknowledged {
            let res = app.get(&format!("/api/v1/bookings/{id}")).token(&s.admin).send().await;
            assert_eq!(res.body["status"], "confirmed", "acknowledged booking {id} lost: {}", res.text);
        }
        let bookings = count(&app, "SELECT COUNT(*) FROM bookings").await;
        assert!(bookings >= acknowledged.len() as i64);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM booking_blocks").await, bookings, "a booking without its block");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM booking_events WHERE kind = 'created'").await, bookings, "a booking without its history");
    }
}
