//! The `salon` binary: subcommands, first-admin creation on start, refusing a weak secret.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use super::helpers::{JWT_SECRET, PASSWORD, TestApp};
use axum::http::StatusCode;
use serde_json::json;

/// The binary with only the given database and secret configured (no stray `.env`).
fn salon(app: &TestApp, dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salon"));
    cmd.current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    cmd
}

api_test! {
    async fn migrate_and_create_admin_work_from_the_command_line(app) {
        let dir = tempfile::tempdir().unwrap();

        let migrate = salon(&app, &dir).arg("migrate").output().unwrap();
        let create = salon(&app, &dir)
            .args(["create-admin", "--email", "Boss@Example.com", "--password", PASSWORD])
            .output()
            .unwrap();
        let duplicate = salon(&app, &dir)
            .args(["create-admin", "--email", "boss@example.com", "--password", PASSWORD])
            .output()
            .unwrap();
        let weak = salon(&app, &dir).args(["create-admin", "--email", "x@example.com", "--password", "short"]).output().unwrap();

        assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
        assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
        assert!(!duplicate.status.success());
        assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));
        assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
        let token = app.login("boss@example.com", PASSWORD).await["access_token"].as_str().unwrap().to_owned();
        let res = app.patch("/api/v1/settings").token(&token).json(json!({"name": "Boss's"})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
}

api_test! {
    async fn a_jwt_secret_shorter_than_32_bytes_refuses_to_start(app) {
        let dir = tempfile::tempdir().unwrap();

        let out = salon(&app, &dir).env("JWT_SECRET", "short-secret").arg("serve").output().unwrap();

        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("JWT_SECRET") && stderr.contains("at least 32 bytes"), "{stderr}");
    }
}

api_test! {
    async fn a_pool_size_of_one_is_accepted_and_a_bad_one_refuses_to_start(app) {
        let dir = tempfile::tempdir().unwrap();

        let one = salon(&app, &dir).env("SALON_DB_MAX_CONNECTIONS", "1").args(["create-admin", "--email", "one@example.com", "--password", PASSWORD]).output().unwrap();
        let zero = salon(&app, &dir).env("SALON_DB_MAX_CONNECTIONS", "0").arg("serve").output().unwrap();

        assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
        assert!(!zero.status.success());
        let stderr = String::from_utf8_lossy(&zero.stderr);
        assert!(stderr.contains("SALON_DB_MAX_CONNECTIONS") && stderr.contains("1 to 1000"), "{stderr}");
    }
}

api_test! {
    async fn the_server_creates_the_configured_admin_and_prints_its_urls(app) {
        let dir = tempfile::tempdir().unwrap();
        let mut child = salon(&app, &dir)
            .env("SALON_PORT", "0")
            .env("SALON_ADMIN_EMAIL", "first@example.com")
            .env("SALON_ADMIN_PASSWORD", PASSWORD)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first_line).unwrap();
        // The rest of the banner: the landing page, the docs, and (no services yet) demo data.
        let mut banner = String::new();
        for _ in 0..4 {
            stdout.read_line(&mut banner).unwrap();
        }

        let base = first_line.trim().rsplit(' ').next().unwrap().to_owned();
        let health = http_get(&base, "/healthz");
        let _ = child.kill();
        let _ = child.wait();
        drop(stdout);

        assert!(first_line.starts_with("salon is listening on http://127.0.0.1:"), "{first_line}");
        assert!(banner.contains(&format!("Start here: {base}/\n")), "{banner}");
        assert!(banner.contains("seed-demo") && !banner.contains("create-admin"), "{banner}");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        let admin = app.login("first@example.com", PASSWORD).await;
        let users = app.get("/api/v1/users?role=admin").token(admin["access_token"].as_str().unwrap()).send().await;
        assert_eq!(users.body["total"], 1);
    }
}

fn http_get(base: &str, path: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

api_test! {
    async fn seed_demo_fills_a_salon_once_and_running_it_again_adds_nothing(app) {
        let dir = tempfile::tempdir().unwrap();

        let first = salon(&app, &dir).arg("seed-demo").output().unwrap();
        let second = salon(&app, &dir).arg("seed-demo").output().unwrap();

        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
        assert!(String::from_utf8_lossy(&second.stdout).contains("added 0 categories, 0 services, 0 staff, 0 assignments, 0 products, 0 service recipes"));
        assert_eq!(app.get("/api/v1/services/categories").send().await.body["total"], 4);
        assert_eq!(app.get("/api/v1/services").send().await.body["total"], 13);
        let staff = app.get("/api/v1/staff").send().await.body;
        assert_eq!(staff["total"], 5);
        assert_eq!(app.get("/api/v1/services/assignments").send().await.body["total"], 21);
        let marco = staff["items"].as_array().unwrap().iter().find(|s| s["display_name"] == "Marco").unwrap();
        let week = app.get(&format!("/api/v1/staff/{}/schedule", marco["id"].as_str().unwrap())).send().await.body;
        assert_eq!(week["intervals"].as_array().unwrap().len(), 10, "five days with a lunch break");
        let overrides = app.get(&format!("/api/v1/services/assignments?staff_id={}", marco["id"].as_str().unwrap())).send().await.body;
        assert!(overrides["items"].as_array().unwrap().iter().any(|a| a["price_cents"] == 4000 && a["duration_minutes"] == 25));
        let jane = app.login("jane@salon.example", salon::demo::DEMO_PASSWORD).await;
        let jane = jane["access_token"].as_str().unwrap();
        let products = app.get("/api/v2/products?limit=200").token(jane).send().await.body;
        assert_eq!(products["total"], 10, "{products}");
        assert_eq!(app.get("/api/v2/products?retail=false").token(jane).send().await.body["total"], 4);
        let services = app.get("/api/v1/services?limit=200").send().await.body;
        let balayage = services["items"].as_array().unwrap().iter().find(|s| s["name"] == "Balayage").unwrap();
        let recipe = app.get(&format!("/api/v2/services/{}/products", balayage["id"].as_str().unwrap())).token(jane).send().await.body;
        assert_eq!(recipe["items"].as_array().unwrap().len(), 3, "{recipe}");
    }
}
