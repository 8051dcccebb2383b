//! `salon`: serve (default), worker, migrate, create-admin, seed-demo, load-dataset,
//! recommend-eval, voice-eval, fake-stripe.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use salon::{config::Config, db, state::AppState, telemetry, users};

#[derive(Parser)]
#[command(name = "salon", version, about = "Salon management backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (the default), with background workers unless SALON_WORKERS=false.
    Serve,
    /// Run background workers only (no HTTP), beside API processes on the same database.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with a demo salon (categories, services, staff, hours); idempotent.
    SeedDemo,
    /// Load the standard benchmark dataset (20 staff, 50 services, 10,000 clients, 100,000 past
    /// bookings, the next 14 days half booked) into an empty database.
    LoadDataset,
    /// Measure the recommendations on the database's history: hold out each client's last
    /// visit and purchase, recommend from the rest, report hit rate at 3 and MRR against
    /// popularity and "same as last time", and the due dates' error; then refresh the model.
    RecommendEval,
    /// Score the natural-language parser on lines in the format of
    /// `../shared/data/sgd_services_1/train.jsonl`: date, time and intent accuracy and
    /// stylist-name F1, the parse time per utterance, then one summary line. Needs no database.
    VoiceEval {
        file: std::path::PathBuf,
        /// Which lines: `all`, or the fixed split's `dev` or `heldout` part (a dialogue is
        /// held out when the FNV-1a hash of its id is divisible by 5).
        #[arg(long, default_value = "all")]
        part: String,
    },
    /// Run a local stand-in for Stripe's API (PaymentIntents, refunds, signed webhooks) for
    /// demos: point STRIPE_API_BASE at it. Needs no database.
    FakeStripe {
        #[arg(long, default_value_t = 12111)]
        port: u16,
        /// Where to send webhooks, e.g. http://127.0.0.1:8000/api/v2/payments/webhooks/stripe
        #[arg(long, env = "FAKE_STRIPE_WEBHOOK_URL")]
        webhook_url: Option<String>,
        /// The secret the webhooks are signed with (the server's STRIPE_WEBHOOK_SECRET).
        #[arg(long, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: Option<String>,
    },
    /// Create an admin account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        full_name: String,
    },
}

fn voice_eval(file: &std::path::Path, part: &str) -> anyhow::Result<()> {
    use salon::voice::nlu::eval::{Part, evaluate, read_lines, timing};
    let part = match part {
        "all" => Part::All,
        "dev" => Part::Dev,
        "heldout" => Part::Heldout,
        other => anyhow::bail!("--part must be all, dev or heldout, not {other:?}"),
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let lines = read_lines(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let report = evaluate(&lines, part);
    let (p50, p99) = timing(&lines);
    // The summary line comes last.
    let text = report.to_string();
    let (figures, summary) = text.trim_end().rsplit_once('\n').unwrap_or(("", text.trim_end()));
    println!("{figures}");
    println!("parse_time p50={:.1}us p99={:.1}us", p50.as_secs_f64() * 1e6, p99.as_secs_f64() * 1e6);
    println!("{summary}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    limit_allocator_growth();
    telemetry::init_tracing();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    // The fake Stripe needs no configuration and no database.
    let command = match cli.command.unwrap_or(Command::Serve) {
        Command::FakeStripe { port, webhook_url, webhook_secret } => {
            return fake_stripe(port, webhook_url, webhook_secret).await;
        }
        Command::VoiceEval { file, part } => return voice_eval(&file, &part),
        command => command,
    };
    let config = Config::from_env()?;
    let db = db::connect_with(&config.database_url, config.db_max_connections).await?;
    db::migrate(&db).await?;
    match command {
        // Both run above, before the database opened.
        Command::FakeStripe { .. } | Command::VoiceEval { .. } => Ok(()),
        Command::Migrate => {
            println!("migrations applied to {}", salon::config::redact_url(&config.database_url));
            Ok(())
        }
        Command::CreateAdmin { email, password, full_name } => {
            let admin = users::service::create_admin(&db, &email, &password, &full_name).await?;
            println!("admin {} created ({})", admin.email, admin.id);
            Ok(())
        }
        Command::SeedDemo => {
            let added = salon::demo::seed(&db).await?;
            println!(
                "demo salon: added {} categories, {} services, {} staff, {} assignments, {} products, \
                 {} service recipes (staff log in as e.g. jane@salon.example / {})",
                added.categories,
                added.services,
                added.staff,
                added.assignments,
                added.products,
                added.recipes,
                salon::demo::DEMO_PASSWORD
            );
            Ok(())
        }
        Command::LoadDataset => {
            let loaded = salon::dataset::load(&db, salon::dataset::Size::default()).await?;
            println!(
                "dataset loaded in {:.1}s: {} accounts, {} bookings, {} products, {} retail sales, \
                 {} stock movements (every account's password: {})",
                started.elapsed().as_secs_f64(),
                loaded.users,
                loaded.bookings,
                loaded.products,
                loaded.sales,
                loaded.movements,
                salon::dataset::PASSWORD
            );
            Ok(())
        }
        Command::RecommendEval => {
            salon::recommend::eval::run(&db).await?;
            Ok(())
        }
        Command::Serve => serve(config, db, started).await,
        Command::Worker => {
            let state = AppState::new(db, config).await?;
            let tasks = salon::jobs::worker::spawn_background(&state, true);
            tracing::info!(
                concurrency = state.jobs.config.concurrency,
                redis = state.jobs.redis.is_some(),
                "worker started"
            );
            let _ = writeln!(std::io::stdout(), "salon worker is running (Ctrl-C stops it)");
            shutdown_signal().await;
            for task in tasks {
                task.abort();
            }
            Ok(())
        }
    }
}

async fn serve(config: Config, db: sea_orm::DatabaseConnection, started: Instant) -> anyhow::Result<()> {
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password)
        && users::service::ensure_admin(&db, email, password).await.context("SALON_ADMIN_EMAIL")?
    {
        tracing::info!(%email, "created the first admin from SALON_ADMIN_EMAIL");
    }
    let addr = format!("{}:{}", config.host, config.port);
    let state = AppState::new(db, config).await?;
    let listener =
        tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let base = format!("http://{}", listener.local_addr()?);
    tracing::info!(ready_in_ms = started.elapsed().as_millis() as u64, "listening on {base}");
    let first = salon::landing::first_run(&state.db).await.context("reading the settings")?;
    let banner = salon::landing::banner(&base, &first, &salon::landing::Commands::for_this_binary());
    // Not println!: a closed stdout (a supervisor that stopped reading) must not stop the server.
    let _ = writeln!(std::io::stdout(), "{banner}");
    // The API process always relays and announces jobs; it runs workers unless told not to.
    let _background = salon::jobs::worker::spawn_background(&state, state.jobs.config.in_process);
    let app = salon::app(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

/// Argon2 allocates its memory (7 MiB) per hash on blocking threads. With glibc's defaults each such thread
/// gets its own arena and the adaptive mmap threshold soon serves those blocks from arenas that
/// never shrink: a burst of logins (with 19 MiB hashes) left the process at ~460 MiB. A fixed 1 MiB threshold
/// returns large blocks to the system on free, and two arenas bound the rest.
fn limit_allocator_growth() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; called once, before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn fake_stripe(
    port: u16,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
) -> anyhow::Result<()> {
    use salon::payments::fake::{FakeStripe, WebhookTarget};
    let target = match (webhook_url, webhook_secret) {
        (Some(url), Some(secret)) => Some(WebhookTarget { url, secret }),
        (None, None) => None,
        _ => anyhow::bail!("--webhook-url and --webhook-secret (STRIPE_WEBHOOK_SECRET) go together"),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let _ = writeln!(
        std::io::stdout(),
        "fake Stripe API on http://127.0.0.1:{port} (STRIPE_API_BASE=http://127.0.0.1:{port}, any sk_... key); webhooks {}",
        target.as_ref().map_or("off".to_string(), |t| format!("to {}", t.url))
    );
    tokio::select! {
        served = salon::payments::fake::serve(listener, FakeStripe::new(target)) => Ok(served?),
        () = shutdown_signal() => Ok(()),
    }
}
