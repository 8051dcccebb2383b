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
}

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

    /// Builds the configuration from any key lookup; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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
        })
    }
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
