//! `GET /`: where a newcomer lands after `cargo run --release`. It names the salon, links the
//! API documentation, and while the salon has no admin (or no services) it gives the one command
//! that creates an admin and the one that loads demo data. The start banner says the same.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::entity::services;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(landing))
}

/// What the first run still needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRun {
    pub salon_name: String,
    /// No active admin yet: nobody can log in to set the salon up.
    pub needs_admin: bool,
    /// No services yet: nothing can be booked.
    pub needs_catalog: bool,
}

/// Reads what the landing page and the start banner show.
///
/// # Errors
/// Database failures.
pub async fn first_run<C: ConnectionTrait>(db: &C) -> Result<FirstRun, DbErr> {
    let settings = crate::settings::store::get(db).await?;
    let needs_admin = crate::users::store::count_active_admins(db).await? == 0;
    let any_service =
        services::Entity::find().select_only().column(services::Column::Id).into_tuple::<uuid::Uuid>();
    let needs_catalog = any_service.one(db).await?.is_none();
    Ok(FirstRun { salon_name: settings.name, needs_admin, needs_catalog })
}

/// The commands, as this process was started: `cargo run --release -- …` from a checkout
/// (the binary lives under `target/`), `salon …` for an installed binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commands {
    pub create_admin: String,
    pub seed_demo: String,
}

impl Commands {
    pub fn for_this_binary() -> Self {
        let exe = std::env::current_exe().ok();
        let from_cargo = exe.as_deref().is_some_and(|p| {
            p.parent().and_then(|dir| dir.parent()).and_then(|t| t.file_name()).is_some_and(|n| n == "target")
        });
        Self::new(if from_cargo { "cargo run --release --" } else { "salon" })
    }

    pub fn new(program: &str) -> Self {
        Commands {
            create_admin: format!(
                "{program} create-admin --email you@example.com --password 'choose-a-password'"
            ),
            seed_demo: format!("{program} seed-demo"),
        }
    }
}

/// The lines the start banner adds after the address: the landing page, the documentation,
/// and what the first run still needs.
pub fn banner(base: &str, first: &FirstRun, commands: &Commands) -> String {
    let mut text = format!(
        "salon is listening on {base}\n  Start here: {base}/\n  API docs: {base}/docs  (Redoc: {base}/redoc, spec: {base}/openapi.json)"
    );
    if first.needs_admin {
        text.push_str(&format!("\n  No admin account yet; create one:\n      {}", commands.create_admin));
    }
    if first.needs_catalog {
        text.push_str(&format!(
            "\n  No services yet; load a demo salon (services, staff, hours, products):\n      {}",
            commands.seed_demo
        ));
    }
    text
}

/// The landing page: the salon's name, links to the API documentation (Swagger UI, Redoc and
/// the OpenAPI document), and while the salon has no admin or no services, the command that
/// creates the first admin and the one that loads demo data.
#[utoipa::path(get, path = "/", tag = "operations",
    responses((status = 200, description = "An HTML page for people", body = String, content_type = "text/html")))]
async fn landing(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let first = first_run(&state.db).await?;
    let html = page(&first, &Commands::for_this_binary());
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html))
}

/// The page itself: no script, no outside font or stylesheet, so it shows offline.
pub fn page(first: &FirstRun, commands: &Commands) -> String {
    let name = escape(&first.salon_name);
    let mut steps = String::new();
    if first.needs_admin {
        steps.push_str(&format!(
            r#"<section id="create-admin"><h2>Create the first admin</h2>
<p>Nobody can log in yet. In another terminal, in the directory the server was started from, run:</p>
<pre><code>{}</code></pre></section>
"#,
            escape(&commands.create_admin)
        ));
    }
    if first.needs_catalog {
        steps.push_str(&format!(
            r#"<section id="seed-demo"><h2>Load demo data</h2>
<p>No services yet. A demo salon (categories, services, staff with working hours, products) to try the API with:</p>
<pre><code>{}</code></pre></section>
"#,
            escape(&commands.seed_demo)
        ));
    }
    if steps.is_empty() {
        steps.push_str(
            r#"<section id="ready"><h2>Ready</h2><p>An admin can log in with <code>POST /api/v1/users/login</code>, or with <em>Authorize</em> in the API docs.</p></section>
"#,
        );
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} · salon</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; background: #fff; }}
h1 {{ font-size: 2rem; margin-bottom: .25rem; }}
.tagline {{ color: #555; margin-top: 0; }}
nav a {{ display: inline-block; margin: 0 .5rem .5rem 0; padding: .5rem 1rem; border-radius: .4rem; background: #2a5bd7; color: #fff; text-decoration: none; }}
section {{ border-top: 1px solid #ddd; margin-top: 1.5rem; }}
pre {{ background: #f3f3f5; padding: .75rem; border-radius: .4rem; white-space: pre-wrap; overflow-wrap: anywhere; }}
</style>
</head>
<body>
<h1 id="salon-name">{name}</h1>
<p class="tagline">The salon's booking, retail and payments API is running.</p>
<nav>
<a id="docs" href="/docs">API docs (Swagger UI)</a>
<a id="redoc" href="/redoc">API reference (Redoc)</a>
<a id="spec" href="/openapi.json">OpenAPI document</a>
</nav>
{steps}</body>
</html>
"#
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(needs_admin: bool, needs_catalog: bool) -> FirstRun {
        FirstRun { salon_name: "Jane's <Cuts> & Co".into(), needs_admin, needs_catalog }
    }

    #[test]
    fn the_page_escapes_the_name_and_shows_only_what_is_missing() {
        let commands = Commands::new("salon");
        let html = page(&first(true, false), &commands);
        assert!(html.contains("Jane&#39;s &lt;Cuts&gt; &amp; Co"));
        assert!(html.contains("salon create-admin --email you@example.com"));
        assert!(!html.contains("salon seed-demo"));
        let html = page(&first(false, false), &commands);
        assert!(!html.contains("create-admin") && html.contains(r#"id="ready""#));
    }

    #[test]
    fn the_banner_names_the_page_and_the_commands() {
        let commands = Commands::new("cargo run --release --");
        let text = banner("http://127.0.0.1:8000", &first(true, true), &commands);
        assert!(text.contains("Start here: http://127.0.0.1:8000/\n"));
        assert!(text.contains("cargo run --release -- create-admin"));
        assert!(text.contains("cargo run --release -- seed-demo"));
        assert!(!banner("http://x", &first(false, false), &commands).contains("cargo"));
    }
}
