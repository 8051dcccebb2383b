//! Background jobs and notifications: the outbox, delivery through real SMTP and an SMS API,
//! retries and `dead`, leases, recurring schedules, Redis, and the admin API.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Salon, TestApp};
use crate::smtp_sink::{SmtpSink, free_port};

async fn jobs(app: &TestApp, admin: &str, query: &str) -> Value {
    let res = app.get(&format!("/api/v2/jobs?{query}")).token(admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn notifications(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get(&format!("/api/v2/notifications?{query}")).token(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn book_at(app: &TestApp, s: &Salon, token: &str, hhmm: &str) -> Value {
    let res = app
        .book(token, json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at(hhmm)}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// Lets a retry's backoff (a few milliseconds in these tests) pass.
async fn after_backoff() {
    tokio::time::sleep(Duration::from_millis(120)).await;
}

api_test! {
    async fn a_committed_booking_has_its_jobs_and_a_refused_one_enqueues_nothing(app) {
        let s = app.salon().await;
        let booking = book_at(&app, &s, &s.client, "10:00").await;
        let mine = jobs(&app, &s.admin, &format!("ref_id={}", id(&booking))).await;
        let kinds: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|j| j["kind"].as_str().unwrap()).collect();
        assert_eq!(mine["total"], 2, "{mine}");
        assert!(kinds.contains(&"booking.confirmation") && kinds.contains(&"booking.reminder"), "{kinds:?}");
        let reminder = mine["items"].as_array().unwrap().iter().find(|j| j["kind"] == "booking.reminder").unwrap();
        let start: chrono::DateTime<chrono::Utc> = s.at("10:00").parse().unwrap();
        let run_at: chrono::DateTime<chrono::Utc> = reminder["run_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(run_at, start - chrono::Duration::hours(24));
        assert_eq!(reminder["status"], "queued");

        let (_, other) = app.client().await;
        let refused = app.book(&other, json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at("10:00")})).await;
        refused.assert_problem(409, "slot-unavailable");
        assert_eq!(jobs(&app, &s.admin, "").await["total"], 2, "a refused booking enqueued something");
    }
}

api_test! {
    async fn the_log_transport_keeps_every_message_for_admins_and_the_client(app) {
        let s = app.salon().await;
        let booking = book_at(&app, &s, &s.client, "11:00").await;
        assert_eq!(app.drain().await, 1, "the confirmation is due now; the reminder is not");

        let all = notifications(&app, &s.admin, "").await;
        assert_eq!(all["total"], 1, "{all}");
        let n = &all["items"][0];
        assert_eq!(n["channel"], "email");
        assert_eq!(n["transport"], "log");
        assert_eq!(n["template"], "booking_confirmation");
        assert_eq!(n["status"], "sent");
        assert_eq!(n["booking_id"], booking["id"]);
        assert!(n["body"].as_str().unwrap().contains("11:00") && n["body"].as_str().unwrap().contains("Cut"), "{n}");
        assert_eq!(notifications(&app, &s.client, "").await["total"], 1, "the client sees their own");
        let (_, stranger) = app.client().await;
        assert_eq!(notifications(&app, &stranger, "").await["total"], 0, "nobody else's");
        assert_eq!(notifications(&app, &s.admin, "channel=sms").await["total"], 0);

        let confirmation = jobs(&app, &s.admin, "kind=booking.confirmation").await;
        assert_eq!(confirmation["items"][0]["status"], "succeeded");
        assert_eq!(confirmation["items"][0]["attempts"], 1);
        assert_eq!(app.drain().await, 0, "nothing runs twice");
    }
}

api_test! {
    async fn an_smtp_server_that_is_down_then_up_delivers_the_message_once(app) {
        let s = app.salon().await;
        let port = free_port();
        let worker = app
            .process_with(&[("SMTP_URL", format!("smtp://127.0.0.1:{port}")), ("SALON_JOB_RETRY_BASE_MS", "20".into())])
            .await;
        book_at(&worker, &s, &s.client, "12:00").await;
        assert_eq!(worker.drain().await, 1);
        let job = &jobs(&app, &s.admin, "kind=booking.confirmation").await["items"][0];
        assert_eq!(job["status"], "failed", "{job}");
        assert!(job["last_error"].as_str().unwrap().contains("SMTP"), "{job}");
        assert_eq!(notifications(&app, &s.admin, "").await["items"][0]["status"], "failed");

        let sink = SmtpSink::start_on(port).await;
        after_backoff().await;
        assert_eq!(worker.drain().await, 1);
        let mails = sink.mails();
        assert_eq!(mails.len(), 1, "{mails:?}");
        let profile = app.get("/api/v1/users/profile").token(&s.client).send().await.body;
        assert!(mails[0].from.contains("no-reply@localhost"), "{:?}", mails[0].from);
        assert_eq!(mails[0].to, vec![profile["email"].as_str().unwrap().to_owned()]);
        assert!(mails[0].data.contains("Subject: Your appointment at"), "{}", mails[0].data);
        assert!(mails[0].data.contains("Message-ID: <"), "a stable id lets receivers drop repeats");
        let job = &jobs(&app, &s.admin, "kind=booking.confirmation").await["items"][0];
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("succeeded"), Some(2)));
        let n = &notifications(&app, &s.admin, "").await["items"][0];
        assert_eq!((n["status"].as_str(), n["attempts"].as_i64(), n["transport"].as_str()), (Some("sent"), Some(2), Some("smtp")));

        after_backoff().await;
        assert_eq!(worker.drain().await, 0);
        assert_eq!(sink.mails().len(), 1, "one email, not two");
    }
}

api_test! {
    async fn sms_goes_to_the_twilio_compatible_api_and_opt_outs_are_respected(app) {
        let s = app.salon().await;
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2010-04-01/Accounts/AC123/Messages.json"))
            .and(header_exists("authorization"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1", "status": "queued"})))
            .expect(1)
            .mount(&api)
            .await;
        let res = app
            .patch("/api/v1/users/profile")
            .token(&s.client)
            .json(json!({"phone": "+15551234567", "notify_email": false}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!((res.body["notify_email"].as_bool(), res.body["notify_sms"].as_bool()), (Some(false), Some(true)));
        let worker = app
            .process_with(&[
                ("SMS_API_BASE", api.uri()),
                ("SMS_ACCOUNT_SID", "AC123".into()),
                ("SMS_AUTH_TOKEN", "token-secret".into()),
                ("SMS_FROM", "+15550000000".into()),
            ])
            .await;
        book_at(&worker, &s, &s.client, "13:00").await;
        assert_eq!(worker.drain().await, 1);

        let sent = api.received_requests().await.unwrap();
        assert_eq!(sent.len(), 1);
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&sent[0].body).unwrap();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(field("To"), "+15551234567");
        assert_eq!(field("From"), "+15550000000");
        assert!(field("Body").contains("13:00"), "{form:?}");
        let all = notifications(&app, &s.admin, "").await;
        assert_eq!(all["total"], 1, "email was opted out: {all}");
        assert_eq!((all["items"][0]["channel"].as_str(), all["items"][0]["transport"].as_str()), (Some("sms"), Some("sms-http")));
    }
}

api_test! {
    async fn failures_retry_with_backoff_then_the_job_is_dead_and_an_admin_can_retry_it(app) {
        let s = app.salon().await;
        let api = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&api).await;
        app.patch("/api/v1/users/profile").token(&s.client).json(json!({"phone": "+15551234567", "notify_email": false})).send().await;
        let worker = app
            .process_with(&[
                ("SMS_API_BASE", api.uri()),
                ("SMS_ACCOUNT_SID", "AC1".into()),
                ("SMS_AUTH_TOKEN", "t".into()),
                ("SMS_FROM", "+1555".into()),
                ("SALON_JOB_MAX_ATTEMPTS", "2".into()),
                ("SALON_JOB_RETRY_BASE_MS", "20".into()),
            ])
            .await;
        book_at(&worker, &s, &s.client, "14:00").await;
        worker.drain().await;
        let job = jobs(&app, &s.admin, "kind=booking.confirmation").await["items"][0].clone();
        assert_eq!(job["status"], "failed");
        let retry_at: chrono::DateTime<chrono::Utc> = job["run_at"].as_str().unwrap().parse().unwrap();
        // After the attempt that failed (not against the clock: a loaded machine may take
        // seconds between the drain and this line).
        let started: chrono::DateTime<chrono::Utc> = job["started_at"].as_str().unwrap().parse().unwrap();
        assert!(retry_at > started, "a retry waits for its backoff: {job}");
        let res = app.post(&format!("/api/v2/jobs/{}/retry", id(&job))).token(&s.admin).send().await;
        assert_eq!(res.status, StatusCode::OK, "a failed job may be retried at once: {}", res.text);
        worker.drain().await;
        let job = app.get(&format!("/api/v2/jobs/{}", id(&job))).token(&s.admin).send().await.body;
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("dead"), Some(2)), "{job}");
        assert!(job["last_error"].as_str().unwrap().contains("503"), "{job}");

        api.reset().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).mount(&api).await;
        let res = app.post(&format!("/api/v2/jobs/{}/retry", id(&job))).token(&s.admin).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["status"], "queued");
        assert_eq!(worker.drain().await, 1);
        let job = app.get(&format!("/api/v2/jobs/{}", id(&job))).token(&s.admin).send().await.body;
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("succeeded"), Some(3)), "{job}");
        app.post(&format!("/api/v2/jobs/{}/retry", id(&job))).token(&s.admin).send().await.assert_problem(409, "invalid-transition");
    }
}

api_test! {
    async fn rescheduling_moves_the_reminder_and_cancelling_drops_it(app) {
        let s = app.salon().await;
        let res = app.patch("/api/v1/settings").token(&s.admin).json(json!({"reminder_hours_before": 2})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["reminder_hours_before"], 2);
        let booking = book_at(&app, &s, &s.client, "09:00").await;
        let q = format!("kind=booking.reminder&ref_id={}", id(&booking));
        let reminders = || jobs(&app, &s.admin, &q);
        let first = reminders().await;
        assert_eq!(first["total"], 1);
        let at = |v: &Value| v["run_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let start: chrono::DateTime<chrono::Utc> = s.at("09:00").parse().unwrap();
        assert_eq!(at(&first["items"][0]), start - chrono::Duration::hours(2));

        let res = app.patch(&format!("/api/v1/bookings/{}", id(&booking))).token(&s.client).json(json!({"start_at": s.at("15:00")})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let moved = reminders().await;
        assert_eq!(moved["total"], 1, "the old reminder is gone: {moved}");
        let start: chrono::DateTime<chrono::Utc> = s.at("15:00").parse().unwrap();
        assert_eq!(at(&moved["items"][0]), start - chrono::Duration::hours(2));

        let res = app.post(&format!("/api/v1/bookings/{}/cancel", id(&booking))).token(&s.client).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(reminders().await["total"], 0, "a cancelled booking is not reminded");
        app.drain().await;
        let sent = notifications(&app, &s.client, "").await;
        let templates: Vec<&str> = sent["items"].as_array().unwrap().iter().map(|n| n["template"].as_str().unwrap()).collect();
        assert!(templates.contains(&"booking_rescheduled") && templates.contains(&"booking_cancelled"), "{templates:?}");
        assert!(!templates.contains(&"booking_confirmation"), "cancelled before it went out: {templates:?}");
        let cancelled = sent["items"].as_array().unwrap().iter().find(|n| n["template"] == "booking_cancelled").unwrap();
        assert!(cancelled["body"].as_str().unwrap().contains("15:00"), "{cancelled}");
    }
}

api_test! {
    async fn a_job_whose_worker_died_runs_again_after_its_lease_and_completes_once(app) {
        let s = app.salon().await;
        let sink = SmtpSink::start().await;
        let worker = app.process_with(&[("SMTP_URL", sink.url()), ("SALON_JOB_LEASE_SECS", "1".into())]).await;
        book_at(&worker, &s, &s.client, "16:00").await;
        // A worker claims the job and dies before finishing it.
        let dead = salon::jobs::store::claim(&app.db, "dead-worker/1", 10, chrono::Duration::seconds(1), None).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(worker.drain().await, 0, "the lease holds the job");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(worker.drain().await, 1, "the lease ran out: another worker takes it");
        assert_eq!(sink.mails().len(), 1);
        // The dead worker's claim no longer counts.
        assert_eq!(salon::jobs::store::complete(&app.db, &[dead[0].id], "dead-worker/1").await.unwrap(), 0);
        let job = &jobs(&app, &s.admin, "kind=booking.confirmation").await["items"][0];
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("succeeded"), Some(2)));
    }
}

api_test! {
    async fn recurring_maintenance_runs_once_per_period_across_processes(app) {
        let (_, admin) = app.admin().await;
        let processes = [app.another_process().await, app.another_process().await, app.another_process().await];
        salon::jobs::schedule::ensure(&app.db).await.unwrap();
        let ticks = processes.iter().flat_map(|p| (0..3).map(move |_| salon::jobs::schedule::tick(&p.state)));
        let won: usize = futures_util::future::join_all(ticks).await.into_iter().map(Result::unwrap).sum();
        // Each schedule (the sweep, the recommendations' refresh) is won by one process.
        assert_eq!(won, salon::jobs::schedule::SCHEDULES.len(), "one process wins each period");
        let sweeps = jobs(&app, &admin, "kind=maintenance.sweep").await;
        assert_eq!(sweeps["total"], 1, "{sweeps}");
        assert_eq!(jobs(&app, &admin, "kind=recommendations.refresh").await["total"], 1);
        assert_eq!(app.drain().await, 2);
        assert_eq!(jobs(&app, &admin, "kind=maintenance.sweep&status=succeeded").await["total"], 1);
        assert_eq!(jobs(&app, &admin, "kind=recommendations.refresh&status=succeeded").await["total"], 1);
    }
}

api_test! {
    async fn metrics_show_queue_depth_by_status_and_job_run_time(app) {
        let s = app.salon().await;
        book_at(&app, &s, &s.client, "10:30").await;
        app.drain().await;
        let text = app.get("/metrics").send().await.text;
        assert!(text.contains("salon_jobs{status=\"succeeded\"} 1"), "{text}");
        assert!(text.contains("salon_jobs{status=\"queued\"} 1"), "the reminder waits: {text}");
        assert!(text.contains("salon_jobs{status=\"dead\"} 0"), "{text}");
        assert!(text.contains("salon_job_duration_seconds_count{kind=\"booking.confirmation\",outcome=\"succeeded\"} 1"), "{text}");
    }
}

api_test! {
    async fn the_jobs_api_is_for_admins_and_refuses_bad_input_clearly(app) {
        let s = app.salon().await;
        book_at(&app, &s, &s.client, "10:00").await;
        assert_eq!(app.get("/api/v2/jobs").send().await.status, StatusCode::UNAUTHORIZED);
        app.get("/api/v2/jobs").token(&s.client).send().await.assert_problem(403, "forbidden");
        app.get("/api/v2/jobs").token(&s.staff_token).send().await.assert_problem(403, "forbidden");
        let any = uuid::Uuid::now_v7();
        app.post(&format!("/api/v2/jobs/{any}/retry")).token(&s.client).send().await.assert_problem(403, "forbidden");
        app.get(&format!("/api/v2/jobs/{any}")).token(&s.admin).send().await.assert_problem(404, "not-found");
        app.post(&format!("/api/v2/jobs/{any}/retry")).token(&s.admin).send().await.assert_problem(404, "not-found");
        app.get("/api/v2/jobs/not-a-uuid").token(&s.admin).send().await.assert_problem(422, "validation");
        for bad in ["status=bogus", "limit=0", "limit=201", "kind=", "ref_id=x", "offset=-1"] {
            app.get(&format!("/api/v2/jobs?{bad}")).token(&s.admin).send().await.assert_problem(422, "validation");
        }
        app.get("/api/v2/notifications?channel=fax").token(&s.admin).send().await.assert_problem(422, "validation");
        assert_eq!(app.get("/api/v2/notifications").send().await.status, StatusCode::UNAUTHORIZED);
        let queued = &jobs(&app, &s.admin, "status=queued&kind=booking.confirmation").await["items"][0];
        app.post(&format!("/api/v2/jobs/{}/retry", id(queued))).token(&s.admin).send().await.assert_problem(409, "invalid-transition");
        salon::jobs::store::claim(&app.db, "w/1", 10, chrono::Duration::seconds(60), None).await.unwrap();
        app.post(&format!("/api/v2/jobs/{}/retry", id(queued))).token(&s.admin).send().await.assert_problem(409, "invalid-transition");
    }
}

/// A Redis server of the test's own, on `port`, without persistence.
struct RedisServer(std::process::Child);

impl RedisServer {
    async fn start(port: u16) -> RedisServer {
        let mut child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return RedisServer(child);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on port {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Redis tests run when `SALON_TEST_REDIS_URL` is set (CI sets it, and fails without Redis);
/// otherwise they say so and pass over.
fn redis_url() -> Option<String> {
    let url = std::env::var("SALON_TEST_REDIS_URL").ok();
    if url.is_none() {
        static WARN: std::sync::Once = std::sync::Once::new();
        WARN.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\nRedis was NOT tested: set SALON_TEST_REDIS_URL=redis://127.0.0.1:6379\n"
            );
        });
    }
    url
}

/// Committed jobs not yet handed to Redis.
async fn unrelayed(app: &TestApp) -> u64 {
    use salon::entity::jobs;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    jobs::Entity::find().filter(jobs::Column::RelayedAt.is_null()).count(&app.db).await.unwrap()
}

fn redis_keys(url: String) -> Vec<(&'static str, String)> {
    vec![("REDIS_URL", url), ("SALON_REDIS_PREFIX", format!("test-{}", uuid::Uuid::new_v4().simple()))]
}

api_test! {
    async fn with_redis_down_jobs_wait_in_the_outbox_and_are_relayed_when_it_is_back(app) {
        if redis_url().is_none() {
            return;
        }
        let s = app.salon().await;
        let port = free_port();
        let worker = app.process_with(&redis_keys(format!("redis://127.0.0.1:{port}"))).await;
        let booking = book_at(&worker, &s, &s.client, "10:00").await;
        let step = salon::jobs::worker::Worker::new(worker.state.clone());
        assert!(step.drain().await.is_err(), "Redis is down");
        assert_eq!(unrelayed(&app).await, 2, "both jobs wait in the outbox");

        let _redis = RedisServer::start(port).await;
        assert_eq!(worker.drain().await, 1, "relayed, then run");
        let confirmation = &jobs(&app, &s.admin, &format!("kind=booking.confirmation&ref_id={}", id(&booking))).await["items"][0];
        assert_eq!(confirmation["status"], "succeeded");
        assert_eq!(notifications(&app, &s.admin, "").await["total"], 1);
        assert_eq!(unrelayed(&app).await, 0, "the reminder waits in Redis");
        assert_eq!(worker.drain().await, 0);
    }
}

api_test! {
    async fn on_redis_one_worker_at_a_time_runs_each_job(app) {
        let Some(url) = redis_url() else { return };
        let s = app.salon().await;
        let keys = redis_keys(url);
        let a = app.process_with(&keys).await;
        let b = app.process_with(&keys).await;
        for hhmm in ["09:00", "10:00", "11:00", "12:00"] {
            book_at(&a, &s, &s.client, hhmm).await;
        }
        let (ran_a, ran_b) = tokio::join!(a.drain(), b.drain());
        assert_eq!(ran_a + ran_b, 4, "each confirmation once across both workers");
        let sent = notifications(&app, &s.admin, "").await;
        assert_eq!(sent["total"], 4, "{sent}");
        assert_eq!(jobs(&app, &s.admin, "kind=booking.confirmation&status=succeeded").await["total"], 4);
    }
}

/// A `salon worker` process on the test's database.
struct WorkerProcess(std::process::Child);

impl WorkerProcess {
    fn start(app: &TestApp, env: &[(&str, String)]) -> WorkerProcess {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_salon"));
        cmd.arg("worker")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", crate::helpers::JWT_SECRET)
            .env("RUST_LOG", "warn")
            .current_dir(std::env::temp_dir())
            .stdout(std::process::Stdio::null());
        for (key, value) in env {
            cmd.env(key, value);
        }
        WorkerProcess(cmd.spawn().expect("start salon worker"))
    }

    /// SIGKILL: no chance to finish or clean up.
    fn kill_9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..1500 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

api_test! {
    async fn a_worker_killed_mid_send_is_replaced_after_its_lease_and_the_client_gets_one_email(app) {
        let s = app.salon().await;
        let sink = SmtpSink::start().await;
        sink.hold_next();
        let env = [
            ("SMTP_URL", sink.url()),
            ("SALON_JOB_LEASE_SECS", "3".to_owned()),
            ("SALON_JOB_POLL_MS", "200".to_owned()),
        ];
        book_at(&app, &s, &s.client, "16:00").await;
        let confirmation = || async {
            jobs(&app, &s.admin, "kind=booking.confirmation").await["items"][0].clone()
        };

        let mut first = WorkerProcess::start(&app, &env);
        eventually("the first worker is in the middle of sending", async || sink.held() == 1).await;
        first.kill_9();
        let job = confirmation().await;
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("running"), Some(1)), "{job}");
        assert!(sink.mails().is_empty(), "the held message was never acknowledged");

        let _second = WorkerProcess::start(&app, &env);
        eventually("the job is done", async || confirmation().await["status"] == "succeeded").await;
        let job = confirmation().await;
        assert_eq!(job["attempts"], 2, "run again once the lease ran out: {job}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(sink.mails().len(), 1, "one email, not two");
        let sent = notifications(&app, &s.admin, "template=booking_confirmation").await;
        assert_eq!(sent["total"], 1, "{sent}");
        assert_eq!(sent["items"][0]["status"], "sent");
    }
}
