//! Rendered responses kept in memory, each valid at one version of the rows it was rendered
//! from. The database keeps the versions (table `cache_versions`, bumped by triggers on the
//! source tables in the same transaction as the change), and every request reads the current
//! version before it may reuse a rendering; so a process never serves a response that another
//! process's write (or SQL by hand) has made stale, and nothing depends on in-process state for
//! correctness. The cache only saves re-reading and re-encoding rows that have not changed.
//! (Writes made with triggers disabled, such as `pg_restore --disable-triggers` or a logical
//! replication subscriber, bump nothing: restart the servers after such a load.)
//!
//! A version is the larger of the last one plus one and the clock in microseconds, so a
//! database restored from an older backup never hands out a version it has used before.
//! It also makes a weak `ETag`: a client that sends it back in `If-None-Match` gets a
//! `304 Not Modified` without a body while nothing changed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr};

/// The version of the rows behind `GET /api/v1/services` pages; NULL if its row was deleted.
const SERVICES_VERSION: &str = "(SELECT version FROM cache_versions WHERE name = 'services')";

/// The version of everything a client's recommendations are rendered from.
const RECOMMENDATIONS_VERSION: &str = "(SELECT version FROM cache_versions WHERE name = 'recommendations')";

/// The versions an authenticated request read with its caller's reload, kept in the request's
/// extensions for the handler (`None`: no such row).
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub services: Option<i64>,
    pub recommendations: Option<i64>,
}

/// The services version as an SQL expression, to read along with another query.
pub fn services_version_expr() -> Expr {
    Expr::cust(SERVICES_VERSION)
}

/// The recommendations version as an SQL expression, to read along with another query.
pub fn recommendations_version_expr() -> Expr {
    Expr::cust(RECOMMENDATIONS_VERSION)
}

/// The services version on its own (for requests without a caller to read it with); `None`
/// when its row is missing (deleted by hand: then nothing is kept or revalidated).
///
/// # Errors
/// Database failures.
pub async fn services_version<C: ConnectionTrait>(db: &C) -> Result<Option<i64>, DbErr> {
    let q = Query::select().expr_as(services_version_expr(), "version").to_owned();
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get::<Option<i64>>("", "version")).transpose()?.flatten())
}

/// How many renderings a cache keeps by default; inserting one more empties it (renderings
/// are small, and the keys a booking page uses are few).
const CAPACITY: usize = 64;

/// One rendered JSON body, the version it was rendered at, and its `ETag` (none without a
/// version: then it is neither kept nor revalidated).
#[derive(Clone)]
pub struct Rendered {
    version: Option<i64>,
    etag: Option<HeaderValue>,
    body: Bytes,
}

impl Rendered {
    /// # Errors
    /// When `value` cannot be encoded as JSON.
    pub fn new<T: serde::Serialize>(key: &str, version: Option<i64>, value: &T) -> serde_json::Result<Self> {
        let body = Bytes::from(serde_json::to_vec(value)?);
        let etag = version.map(|version| {
            HeaderValue::from_str(&format!("W/\"{version}-{:016x}\"", fnv1a(key.as_bytes())))
                .expect("digits, letters and quotes are a valid header value")
        });
        Ok(Self { version, etag, body })
    }

    /// 200 with the body, or 304 when the request's `If-None-Match` names this rendering.
    /// The body depends on who asks (admins see more), hence `private` and `Vary`.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        let Some(etag) = &self.etag else { return (content_type, self.body.clone()).into_response() };
        let headers = [
            (header::ETAG, etag.clone()),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
            (header::VARY, HeaderValue::from_static("authorization")),
        ];
        if if_none_match(request, etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        (headers, content_type, self.body.clone()).into_response()
    }
}

/// Renderings by key (the request's normalized parameters), at most `capacity` of them.
pub struct RenderCache {
    entries: Mutex<HashMap<String, Rendered>>,
    capacity: usize,
}

impl Default for RenderCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl RenderCache {
    /// A cache that keeps up to `capacity` renderings (then starts over).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { entries: Mutex::default(), capacity }
    }

    /// The rendering of `key` at `version`, if it is the one kept.
    pub fn get(&self, key: &str, version: i64) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|r| r.version == Some(version)).cloned()
    }

    /// Keeps `rendered` for `key` (replacing whatever was kept: versions are compared for
    /// equality only, so one restored from a backup cannot pin an old rendering).
    pub fn put(&self, key: String, rendered: Rendered) {
        if rendered.version.is_none() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, rendered);
    }
}

/// One value built from the database, reused while the version it was built at is the
/// current one (vocabulary, what may be recommended): built again when the version changed,
/// and every time without one.
pub struct Versioned<T>(Mutex<Option<(i64, Arc<T>)>>);

impl<T> Default for Versioned<T> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<T> Versioned<T> {
    /// The value at `version` (read before `build` runs), from `build` unless it is held.
    ///
    /// # Errors
    /// Whatever `build` returns.
    pub async fn at<E, F: Future<Output = Result<T, E>>>(
        &self,
        version: Option<i64>,
        build: impl FnOnce() -> F,
    ) -> Result<Arc<T>, E> {
        let held = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if let (Some((at, value)), Some(version)) = (held, version)
            && at == version
        {
            return Ok(value);
        }
        // Built after the version was read: at worst newer than it, and then the next version
        // builds it again.
        let value = Arc::new(build().await?);
        if let Some(version) = version {
            *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((version, value.clone()));
        }
        Ok(value)
    }
}

/// Whether `If-None-Match` lists `etag` (weak comparison, RFC 9110 13.1.2) or is `*`.
fn if_none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag.to_str().unwrap_or_default());
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|list| list.split(',').any(|tag| tag.trim() == "*" || opaque(tag) == ours))
}

/// FNV-1a: a stable hash (the same in every process and build) for the `ETag`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(version: i64) -> Rendered {
        Rendered::new("k", Some(version), &serde_json::json!({"v": version})).unwrap()
    }

    #[tokio::test]
    async fn a_versioned_value_is_built_again_only_when_its_version_changed() {
        let held = Versioned::<i64>::default();
        let builds = std::sync::atomic::AtomicI64::new(0);
        let build = || async { Ok::<_, ()>(builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst)) };
        assert_eq!(*held.at(Some(1), build).await.unwrap(), 0);
        assert_eq!(*held.at(Some(1), build).await.unwrap(), 0, "the same version reuses it");
        assert_eq!(*held.at(Some(2), build).await.unwrap(), 1);
        assert_eq!(*held.at(None, build).await.unwrap(), 2, "without a version it is always built");
        assert_eq!(*held.at(Some(2), build).await.unwrap(), 1, "and not kept");
    }

    #[test]
    fn a_rendering_is_reused_only_at_its_version() {
        let cache = RenderCache::default();
        cache.put("k".into(), rendered(3));
        assert!(cache.get("k", 3).is_some());
        assert!(cache.get("k", 4).is_none());
        assert!(cache.get("other", 3).is_none());
        cache.put("k".into(), rendered(2));
        assert!(cache.get("k", 2).is_some(), "a database restored to an older version is followed");
        assert!(cache.get("k", 3).is_none());
        cache.put("k".into(), Rendered::new("k", None, &1).unwrap());
        assert!(cache.get("k", 2).is_some(), "a rendering without a version is never kept");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = RenderCache::default();
        for i in 0..(CAPACITY * 3) {
            cache.put(format!("k{i}"), rendered(1));
        }
        assert!(cache.entries.lock().unwrap().len() <= CAPACITY);
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let etag = rendered(7).etag.unwrap();
        let tag = etag.to_str().unwrap().to_owned();
        let strong = tag.trim_start_matches("W/").to_owned();
        for value in [tag.as_str(), strong.as_str(), "\"x\", W/\"7-0\", *", &format!("\"a\", {tag}")] {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            assert!(if_none_match(&h, &etag), "{value}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"8-0\""));
        assert!(!if_none_match(&h, &etag));
        assert!(!if_none_match(&HeaderMap::new(), &etag));
    }
}
