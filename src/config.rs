//! Typed configuration from the environment (and `.env`), validated before anything starts.

use std::fmt;

/// The default database: an embedded SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://salon.db?mode=rwc";
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// `None` means: generate one and keep it in the database (development).
    pub jwt_secret: Option<Vec<u8>>,
    pub host: String,
    pub port: u16,
    pub redis_url: Option<String>,
    /// Key prefix in Redis (several salons may share one Redis).
    pub redis_prefix: String,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Access token lifetime.
    pub access_ttl_secs: i64,
    /// Refresh token lifetime.
    pub refresh_ttl_secs: i64,
    /// Failed logins allowed per email (and per client address) within `login_window_secs`.
    pub login_max_failures: i32,
    pub login_window_secs: i64,
    /// Database connections per process; `None` is `db::default_pool_size`.
    pub db_max_connections: Option<u32>,
    /// Outgoing email: `smtp://user:pass@host:587` (STARTTLS or TLS per lettre's URL
    /// rules); `None` sends messages to the `log` transport.
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    /// A Twilio-compatible SMS API; `None` sends SMS to the `log` transport.
    pub sms: Option<SmsConfig>,
    pub stripe: StripeConfig,
    pub jobs: JobsConfig,
}

/// Stripe: PaymentIntents, refunds and webhooks. Without `STRIPE_SECRET_KEY` only in-salon
/// payments are offered.
#[derive(Clone)]
pub struct StripeConfig {
    /// `https://api.stripe.com`, or a local fake (`salon fake-stripe`) in tests and demos.
    pub api_base: String,
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
    /// Each attempt's timeout; a timed-out call is retried with the same idempotency key.
    pub timeout_ms: u64,
    /// Attempts per gateway call (timeouts, connection errors, 429 and 5xx are retried).
    pub attempts: u32,
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<redacted>"))
            .field("timeout_ms", &self.timeout_ms)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// A Twilio-compatible messages API: `POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json`.
#[derive(Clone)]
pub struct SmsConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
}

/// How the background workers run.
#[derive(Clone, Debug)]
pub struct JobsConfig {
    /// Whether `salon serve` runs workers in-process (`SALON_WORKERS`, default true).
    pub in_process: bool,
    /// Jobs one worker runs at once.
    pub concurrency: usize,
    /// How long a claim holds a job; a worker that dies is replaced after this.
    pub lease_secs: u64,
    /// The longest an idle worker waits before looking again (wake-ups come sooner).
    pub poll_ms: u64,
    pub max_attempts: i32,
    /// The first retry's delay; each later one doubles, up to `retry_cap_secs`, with jitter.
    pub retry_base_ms: u64,
    pub retry_cap_secs: u64,
    /// Whether bookings enqueue their messages (`SALON_BOOKING_MESSAGES`, default true).
    pub booking_messages: bool,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            in_process: true,
            concurrency: 8,
            lease_secs: 60,
            poll_ms: 2000,
            max_attempts: 8,
            retry_base_ms: 5000,
            retry_cap_secs: 3600,
            booking_messages: true,
        }
    }
}

/// Keys whose values are secrets, each with the key that may name a file holding it instead
/// (Docker and systemd credentials); none is ever printed.
pub const SECRETS: [(&str, &str); 6] = [
    ("JWT_SECRET", "JWT_SECRET_FILE"),
    ("SMTP_URL", "SMTP_URL_FILE"),
    ("SMS_AUTH_TOKEN", "SMS_AUTH_TOKEN_FILE"),
    ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY_FILE"),
    ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_FILE"),
    ("REDIS_URL", "REDIS_URL_FILE"),
];

// Secrets never reach a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<redacted>"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<redacted>"))
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("refresh_ttl_secs", &self.refresh_ttl_secs)
            .field("db_max_connections", &self.db_max_connections)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("smtp_from", &self.smtp_from)
            .field("sms", &self.sms.as_ref().map(|s| (&s.api_base, &s.account_sid, "<redacted>", &s.from)))
            .field("stripe", &self.stripe)
            .field("jobs", &self.jobs)
            .finish()
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "JWT_SECRET is {0} bytes long; it must be at least {MIN_JWT_SECRET_BYTES} bytes \
         (generate one with: openssl rand -base64 48)"
    )]
    ShortSecret(usize),
    #[error("{key} is not valid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the configuration from any key lookup; tests pass a map. A secret key that is
    /// unset is read from the file named by `<KEY>_FILE`, if that is set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut from_files = std::collections::HashMap::new();
        for (key, file_key) in SECRETS {
            if get(key).is_none()
                && let Some(path) = get(file_key)
            {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
                    key: file_key,
                    reason: format!("cannot read {path}: {}", e.kind()),
                })?;
                let text = text.trim_end_matches(['\n', '\r']);
                if !text.is_empty() {
                    from_files.insert(key, text.to_owned());
                }
            }
        }
        Self::from_values(|key| get(key).or_else(|| from_files.get(key).cloned()))
    }

    fn from_values(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let jwt_secret = match get("JWT_SECRET") {
            Some(s) if s.len() < MIN_JWT_SECRET_BYTES => return Err(ConfigError::ShortSecret(s.len())),
            Some(s) => Some(s.into_bytes()),
            None => None,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(ConfigError::Invalid {
                key: "DATABASE_URL",
                reason: "expected sqlite://... or postgres://...".into(),
            });
        }
        Ok(Self {
            database_url,
            jwt_secret,
            host: get("SALON_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: parse(&get, "SALON_PORT", 8000)?,
            redis_url: get("REDIS_URL"),
            redis_prefix: get("SALON_REDIS_PREFIX").unwrap_or_else(|| "salon".into()),
            admin_email: get("SALON_ADMIN_EMAIL"),
            admin_password: get("SALON_ADMIN_PASSWORD"),
            access_ttl_secs: parse(&get, "SALON_ACCESS_TOKEN_TTL_SECS", 15 * 60)?,
            refresh_ttl_secs: parse(&get, "SALON_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            login_max_failures: parse(&get, "SALON_LOGIN_MAX_FAILURES", 5)?,
            login_window_secs: parse(&get, "SALON_LOGIN_WINDOW_SECS", 15 * 60)?,
            db_max_connections: match get("SALON_DB_MAX_CONNECTIONS") {
                None => None,
                Some(v) => Some(v.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                    ConfigError::Invalid {
                        key: "SALON_DB_MAX_CONNECTIONS",
                        reason: "expected 1 to 1000".into(),
                    }
                })?),
            },
            smtp_url: get("SMTP_URL"),
            smtp_from: get("SMTP_FROM").unwrap_or_else(|| "salon <no-reply@localhost>".into()),
            sms: sms_config(&get)?,
            stripe: stripe_config(&get)?,
            jobs: jobs_config(&get)?,
        })
    }
}

fn stripe_config(get: &impl Fn(&str) -> Option<String>) -> Result<StripeConfig, ConfigError> {
    let api_base = get("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".into());
    if !(api_base.starts_with("http://") || api_base.starts_with("https://")) {
        return Err(ConfigError::Invalid {
            key: "STRIPE_API_BASE",
            reason: "expected an http(s):// URL".into(),
        });
    }
    let attempts: u32 = parse(get, "STRIPE_ATTEMPTS", 3)?;
    if !(1..=10).contains(&attempts) {
        return Err(ConfigError::Invalid { key: "STRIPE_ATTEMPTS", reason: "expected 1 to 10".into() });
    }
    Ok(StripeConfig {
        api_base: api_base.trim_end_matches('/').to_owned(),
        secret_key: get("STRIPE_SECRET_KEY"),
        webhook_secret: get("STRIPE_WEBHOOK_SECRET"),
        timeout_ms: parse(get, "STRIPE_TIMEOUT_MS", 10_000)?,
        attempts,
    })
}

/// All four SMS keys, or none of them.
fn sms_config(get: &impl Fn(&str) -> Option<String>) -> Result<Option<SmsConfig>, ConfigError> {
    let keys = ["SMS_API_BASE", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"];
    let values: Vec<Option<String>> = keys.iter().map(|k| get(k)).collect();
    match values.as_slice() {
        [Some(base), Some(sid), Some(token), Some(from)] => {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    key: "SMS_API_BASE",
                    reason: "expected an http(s):// URL".into(),
                });
            }
            Ok(Some(SmsConfig {
                api_base: base.trim_end_matches('/').to_owned(),
                account_sid: sid.clone(),
                auth_token: token.clone(),
                from: from.clone(),
            }))
        }
        _ if values.iter().all(Option::is_none) => Ok(None),
        _ => {
            let missing =
                keys.iter().zip(&values).find(|(_, v)| v.is_none()).map_or("SMS_API_BASE", |(k, _)| *k);
            Err(ConfigError::Invalid {
                key: missing,
                reason: "the SMS keys go together: set all four or none".into(),
            })
        }
    }
}

fn jobs_config(get: &impl Fn(&str) -> Option<String>) -> Result<JobsConfig, ConfigError> {
    let d = JobsConfig::default();
    let ranged = |key: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
        let v: u64 = parse(get, key, default)?;
        if (min..=max).contains(&v) {
            Ok(v)
        } else {
            Err(ConfigError::Invalid { key, reason: format!("expected {min} to {max}") })
        }
    };
    Ok(JobsConfig {
        in_process: parse(get, "SALON_WORKERS", d.in_process)?,
        concurrency: ranged("SALON_WORKER_CONCURRENCY", d.concurrency as u64, 1, 256)? as usize,
        lease_secs: ranged("SALON_JOB_LEASE_SECS", d.lease_secs, 1, 86_400)?,
        poll_ms: ranged("SALON_JOB_POLL_MS", d.poll_ms, 10, 600_000)?,
        max_attempts: ranged("SALON_JOB_MAX_ATTEMPTS", d.max_attempts as u64, 1, 100)? as i32,
        retry_base_ms: ranged("SALON_JOB_RETRY_BASE_MS", d.retry_base_ms, 1, 3_600_000)?,
        retry_cap_secs: ranged("SALON_JOB_RETRY_CAP_SECS", d.retry_cap_secs, 1, 604_800)?,
        booking_messages: parse(get, "SALON_BOOKING_MESSAGES", d.booking_messages)?,
    })
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match get(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError::Invalid { key, reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn a_short_jwt_secret_is_refused_with_a_clear_message() {
        let err = with(&[("JWT_SECRET", "too-short")]).unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn no_configuration_means_embedded_sqlite_on_port_8000() {
        let c = with(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.port, 8000);
        assert!(c.jwt_secret.is_none());
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let c = with(&[
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
            ("DATABASE_URL", "postgres://salon:hunter2@db/salon"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("abcdef-secret"), "{shown}");
        let c = with(&[("STRIPE_SECRET_KEY", "sk_test_hunter2"), ("STRIPE_WEBHOOK_SECRET", "whsec_hunter3")])
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("hunter3"), "{shown}");
        assert!(shown.contains("https://api.stripe.com"), "{shown}");
    }

    #[test]
    fn a_secret_may_come_from_the_file_its_file_key_names() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp");
        std::fs::write(&file, "smtp://u:hunter2@mail.example:587\n").unwrap();
        let path = file.display().to_string();
        let c = with(&[("SMTP_URL_FILE", &path)]).unwrap();
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://u:hunter2@mail.example:587"));
        assert!(!format!("{c:?}").contains("hunter2"));
        let direct = with(&[("SMTP_URL", "smtp://mail.example:25"), ("SMTP_URL_FILE", &path)]).unwrap();
        assert_eq!(direct.smtp_url.as_deref(), Some("smtp://mail.example:25"), "the key itself wins");
        let err = with(&[("SMS_AUTH_TOKEN_FILE", "/nonexistent/token")]).unwrap_err().to_string();
        assert!(err.contains("SMS_AUTH_TOKEN_FILE"), "{err}");
    }

    #[test]
    fn the_sms_keys_go_together() {
        let err =
            with(&[("SMS_API_BASE", "https://api.example"), ("SMS_FROM", "+1555")]).unwrap_err().to_string();
        assert!(err.contains("SMS_ACCOUNT_SID"), "{err}");
        assert!(with(&[]).unwrap().sms.is_none());
    }

    #[test]
    fn the_pool_size_is_optional_and_bounded() {
        assert_eq!(with(&[]).unwrap().db_max_connections, None);
        assert_eq!(with(&[("SALON_DB_MAX_CONNECTIONS", "12")]).unwrap().db_max_connections, Some(12));
        for bad in ["0", "1001", "-1", "many"] {
            let err = with(&[("SALON_DB_MAX_CONNECTIONS", bad)]).unwrap_err().to_string();
            assert!(err.contains("SALON_DB_MAX_CONNECTIONS"), "{bad}: {err}");
        }
    }
}
