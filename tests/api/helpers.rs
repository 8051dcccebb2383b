//! `TestApp`: the real application on a fresh database, driven through `tower::oneshot`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Once;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use salon::config::Config;
use salon::state::AppState;
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const POSTGRES_ENV: &str = "SALON_TEST_POSTGRES_URL";
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
pub const PASSWORD: &str = "correct horse battery";

/// Runs the test body on SQLite and on PostgreSQL, as `<name>::sqlite` and `<name>::postgres`.
macro_rules! api_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::postgres().await {
                    run(app).await
                }
            }
        }
    };
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: DatabaseConnection,
    pub database_url: String,
    _guard: std::sync::Arc<DbGuard>,
}

enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = conn.execute(sea_orm::sqlx::raw_sql(AssertSqlSafe(drop))).await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// The test configuration plus `extra` keys (as the environment would give them).
pub fn test_config_with(database_url: &str, extra: &[(&str, String)]) -> Config {
    let url = database_url.to_owned();
    Config::from_lookup(|key| match key {
        "DATABASE_URL" => Some(url.clone()),
        "JWT_SECRET" => Some(JWT_SECRET.into()),
        _ => extra.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()),
    })
    .expect("test configuration is valid")
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/salon.db?mode=rwc", dir.path().display());
        Self::start(url, DbGuard::Sqlite(dir)).await
    }

    /// `None` (after saying so once) when no PostgreSQL URL is configured; a configured but
    /// unreachable server fails the test.
    pub async fn postgres() -> Option<TestApp> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                // Straight to stderr, past the test harness's capture, so the run shows it.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nPostgreSQL was NOT tested: set {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres \
                     to run every API test on PostgreSQL too.\n"
                );
            });
            return None;
        };
        let name = format!("salon_test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}"));
        let create = format!("CREATE DATABASE \"{name}\"");
        admin.execute(sea_orm::sqlx::raw_sql(AssertSqlSafe(create))).await.expect("create test database");
        let url = with_database(&admin_url, &name);
        Some(Self::start(url, DbGuard::Postgres { admin_url, name }).await)
    }

    async fn start(database_url: String, guard: DbGuard) -> TestApp {
        let db = salon::db::connect(&database_url).await.expect("connect");
        salon::db::migrate(&db).await.expect("migrate");
        let state = AppState::new(db.clone(), test_config(&database_url)).await.expect("state");
        TestApp {
            router: salon::app(state.clone()),
            state,
            db,
            database_url,
            _guard: std::sync::Arc::new(guard),
        }
    }

    /// Another process on the same database, configured with `extra` keys (SMTP_URL, ...).
    pub async fn process_with(&self, extra: &[(&str, String)]) -> TestApp {
        let state =
            AppState::new(self.db.clone(), test_config_with(&self.database_url, extra)).await.expect("state");
        TestApp {
            router: salon::app(state.clone()),
            state,
            db: self.db.clone(),
            database_url: self.database_url.clone(),
            _guard: self._guard.clone(),
        }
    }

    /// Runs this process's worker until no job is due; returns how many jobs ran.
    pub async fn drain(&self) -> usize {
        salon::jobs::worker::Worker::new(self.state.clone()).drain().await.expect("the queue answers")
    }

    /// Another server process on the same database: its own state (and in-memory caches).
    pub async fn another_process(&self) -> TestApp {
        self.process_on(self.db.clone()).await
    }

    /// Another server process whose pool is `db` (say, one that counts its statements).
    pub async fn process_on(&self, db: DatabaseConnection) -> TestApp {
        let state = AppState::new(db.clone(), test_config(&self.database_url)).await.expect("state");
        TestApp {
            router: salon::app(state.clone()),
            state,
            db,
            database_url: self.database_url.clone(),
            _guard: self._guard.clone(),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }
    pub fn put(&self, path: &str) -> Req<'_> {
        self.request(Method::PUT, path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(Method::DELETE, path)
    }

    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req { app: self, method, path: path.to_owned(), body: None, headers: HeaderMap::new() }
    }

    // --- one helper per common step ---------------------------------------------------------

    /// Registers a client; returns the user view.
    pub async fn register(&self, email: &str) -> Value {
        let res = self
            .post("/api/v1/users/register")
            .json(json!({"email": email, "password": PASSWORD, "full_name": "Test Client"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "register {email}: {}", res.text);
        res.body
    }

    /// Logs in; returns the token pair.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res =
            self.post("/api/v1/users/login").json(json!({"email": email, "password": password})).send().await;
        assert_eq!(res.status, StatusCode::OK, "login {email}: {}", res.text);
        res.body
    }

    /// Creates an account with `role` directly (staff accounts have no public sign-up) and
    /// logs in; returns (user id, access token).
    pub async fn user_with_role(&self, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.com", Uuid::new_v4().simple());
        let id = match role {
            "client" => self.register(&email).await["id"].as_str().unwrap().to_owned(),
            _ => {
                let role = salon::auth::Role::parse(role).expect("known role");
                let new = salon::users::service::NewUser {
                    email: salon::users::model::Email::parse(&email),
                    password: PASSWORD.into(),
                    full_name: format!("Test {}", role.as_str()),
                    phone: None,
                    role,
                };
                salon::users::service::create_user(&self.db, new).await.expect("create user").id.to_string()
            }
        };
        let token = self.login(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
        (id, token)
    }

    /// Creates a staff member through the API; returns the created view.
    pub async fn create_staff(&self, admin: &str, email: &str) -> Value {
        let res = self
            .post("/api/v1/staff")
            .token(admin)
            .json(json!({"email": email, "full_name": "Staff Member", "password": PASSWORD, "bio": "Cuts"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "create staff {email}: {}", res.text);
        res.body
    }

    /// Creates a service through the API; returns it.
    pub async fn create_service(&self, admin: &str, name: &str, duration: i64, price: i64) -> Value {
        let res = self
            .post("/api/v1/services")
            .token(admin)
            .json(json!({"name": name, "duration_minutes": duration, "buffer_minutes": 10, "price_cents": price}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "create service {name}: {}", res.text);
        res.body
    }

    /// Creates a category through the API; returns it.
    pub async fn create_category(&self, admin: &str, name: &str) -> Value {
        let res =
            self.post("/api/v1/services/categories").token(admin).json(json!({"name": name})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "create category {name}: {}", res.text);
        res.body
    }

    /// Assigns a service to a staff member; returns the assignment.
    pub async fn assign(&self, admin: &str, staff_id: &str, service_id: &str) -> Value {
        let res = self
            .post("/api/v1/services/assignments")
            .token(admin)
            .json(json!({"staff_id": staff_id, "service_id": service_id}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "assign: {}", res.text);
        res.body
    }

    /// A small open salon: one staff member working 09:00-17:00 every day, a 30-minute service
    /// with a 10-minute buffer (their price 4000), and a client. Times are UTC.
    pub async fn salon(&self) -> Salon {
        let (_, admin) = self.admin().await;
        let staff = self.create_staff(&admin, "stylist@salon.example").await;
        let staff_id = staff["id"].as_str().unwrap().to_owned();
        let week: Vec<Value> =
            (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect();
        let res = self
            .put(&format!("/api/v1/staff/{staff_id}/schedule"))
            .token(&admin)
            .json(json!({"intervals": week}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let service = self.create_service(&admin, "Cut", 30, 3500).await;
        let service_id = service["id"].as_str().unwrap().to_owned();
        let res = self
            .post("/api/v1/services/assignments")
            .token(&admin)
            .json(json!({"staff_id": staff_id, "service_id": service_id, "price_cents": 4000}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let staff_token =
            self.login("stylist@salon.example", PASSWORD).await["access_token"].as_str().unwrap().to_owned();
        let (client_id, client) = self.client().await;
        Salon {
            admin,
            staff_id,
            staff_token,
            service_id,
            client_id,
            client,
            date: (chrono::Utc::now() + chrono::Duration::days(7)).date_naive(),
        }
    }

    /// Books `service` at `start` (e.g. "10:00" on the salon's test date) as `token`.
    pub async fn book(&self, token: &str, body: Value) -> TestResponse {
        self.post("/api/v1/bookings").token(token).json(body).send().await
    }

    pub async fn admin(&self) -> (String, String) {
        self.user_with_role("admin").await
    }
    pub async fn staff(&self) -> (String, String) {
        self.user_with_role("staff").await
    }
    pub async fn client(&self) -> (String, String) {
        self.user_with_role("client").await
    }
}

/// `postgres://u@h:5432/postgres?x=y` with the database replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    body: Option<(String, Vec<u8>)>,
    headers: HeaderMap,
}

impl Req<'_> {
    pub fn json(mut self, value: Value) -> Self {
        self.body = Some(("application/json".into(), serde_json::to_vec(&value).unwrap()));
        self
    }
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded = serde_urlencoded::to_string(pairs).unwrap();
        self.body = Some(("application/x-www-form-urlencoded".into(), encoded.into_bytes()));
        self
    }
    pub fn raw(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.into(), bytes.into()));
        self
    }
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        self
    }

    pub async fn send(self) -> TestResponse {
        self.spawn().await.expect("request task")
    }

    /// Starts the request on its own task (owning everything it needs), for concurrency tests.
    pub fn spawn(self) -> tokio::task::JoinHandle<TestResponse> {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = match self.body {
            Some((content_type, bytes)) => {
                builder.header(header::CONTENT_TYPE, content_type).body(Body::from(bytes))
            }
            None => builder.body(Body::empty()),
        }
        .unwrap();
        tokio::spawn(call(self.app.router.clone(), request))
    }
}

async fn call(router: Router, request: Request<Body>) -> TestResponse {
    {
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, headers, body, text }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    /// Asserts a problem+json response of this status and type slug; returns the body.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, slug: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "expected {status} {slug}, got: {}", self.text);
        assert_eq!(self.headers[header::CONTENT_TYPE], "application/problem+json", "{}", self.text);
        assert_eq!(self.body["type"], format!("/problems/{slug}"), "{}", self.text);
        assert_eq!(self.body["status"], status);
        &self.body
    }

    /// The fields named in a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errs| errs.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    }
}

pub struct Salon {
    pub admin: String,
    pub staff_id: String,
    pub staff_token: String,
    pub service_id: String,
    pub client_id: String,
    pub client: String,
    /// A date a week ahead: inside the lead time and the horizon.
    pub date: chrono::NaiveDate,
}

impl Salon {
    /// `HH:MM` on the test date, as RFC 3339 UTC.
    pub fn at(&self, hhmm: &str) -> String {
        format!("{}T{hhmm}:00Z", self.date)
    }
}

/// A `salon serve` process on the test's database, on a free port.
pub struct Server {
    pub child: Child,
    pub base: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    pub fn start(app: &TestApp) -> Server {
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
pub fn http_post(host: &str, path: &str, token: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(host)?;
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    };
    // Status 0: no complete answer (the server is gone).
    let Ok(response) = exchange() else { return (0, String::new()) };
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}
