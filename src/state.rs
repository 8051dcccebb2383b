//! What every handler can reach: the database, the configuration, the token keys, and
//! rendered pages that the database's versions say are still current.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::cache::RenderCache;
use crate::config::Config;
use crate::jobs::Jobs;
use crate::notify::transport::Transports;
use crate::telemetry::Metrics;

/// How many clients' rendered recommendations a process keeps (about 1 KiB each).
const RECOMMENDATIONS_KEPT: usize = 20_000;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub metrics: Arc<Metrics>,
    /// Rendered pages of `GET /api/v1/services`, reused only at the database's current version.
    pub services_cache: Arc<RenderCache>,
    /// Rendered recommendations by client, reused only at the database's current version.
    pub recommendations_cache: Arc<RenderCache>,
    /// What may be recommended, reused while the recommendations version is unchanged.
    pub recommendable: Arc<crate::recommend::service::RecommendableCache>,
    /// The job queue's wake-ups and dispatcher.
    pub jobs: Arc<Jobs>,
    /// Where messages go (SMTP, the SMS API, or the log).
    pub transports: Arc<Transports>,
    /// The parser's vocabulary, reused while the database's version of it is unchanged.
    pub vocabulary: Arc<crate::voice::store::VocabularyCache>,
    /// The Stripe adapter, when `STRIPE_SECRET_KEY` is set.
    pub stripe: Option<Arc<crate::payments::gateway::Stripe>>,
}

impl AppState {
    /// Builds the state on an open, migrated database. Without a configured `JWT_SECRET`, the
    /// key is generated once and kept in the database, so that every process agrees on it.
    ///
    /// # Errors
    /// When the generated secret cannot be stored or read.
    pub async fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => {
                tracing::warn!(
                    "JWT_SECRET is not set: using a key generated and stored in the database. \
                     Set JWT_SECRET (32+ bytes) in production."
                );
                crate::db::load_or_create_secret(&db, "jwt_secret").await?.into_bytes()
            }
        };
        let jwt = Arc::new(JwtKeys::new(&secret, config.access_ttl_secs));
        let redis = match &config.redis_url {
            Some(url) => Some(Arc::new(crate::jobs::redis::RedisQueue::new(url, &config.redis_prefix)?)),
            None => None,
        };
        let transports = Arc::new(Transports::new(&config)?);
        let stripe = crate::payments::gateway::Stripe::new(&config.stripe)?.map(Arc::new);
        Ok(Self {
            stripe,
            db,
            jobs: Arc::new(Jobs::new(config.jobs.clone(), redis)),
            transports,
            config: Arc::new(config),
            jwt,
            metrics: Arc::new(Metrics::new()),
            services_cache: Arc::default(),
            recommendations_cache: Arc::new(RenderCache::with_capacity(RECOMMENDATIONS_KEPT)),
            recommendable: Arc::default(),
            vocabulary: Arc::default(),
        })
    }
}
