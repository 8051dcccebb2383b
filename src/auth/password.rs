//! Argon2id password hashing, off the async runtime (it is deliberately slow).

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Hashes at a time. Each Argon2 run takes 7 MiB and a core for tens of milliseconds: more
/// at once would only queue on the CPU and multiply memory (a login burst must not grow the
/// process by hundreds of MiB). Waiting requests queue here instead.
static HASHERS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()).min(2)));

/// Argon2id with m = 7 MiB, t = 5, p = 1: one of OWASP's equivalent recommended settings
/// (alongside the crate default of 19 MiB, t = 2). The same work in a third of the memory
/// keeps a burst of logins from swelling the process. Verification reads the parameters
/// stored in each hash, so hashes made with other settings keep working.
fn hasher() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the email is unknown so that a login
/// for an unknown account takes as long as one with a wrong password.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(b"decoy password never used", &salt).map(|h| h.to_string()).unwrap_or_default()
});

/// Hashes with Argon2id (see [`hasher`]).
///
/// # Errors
/// Only if the hasher itself fails or the blocking pool is gone.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHERS.acquire().await.context("hasher pool closed")?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .context("hashing task failed")?
}

/// Whether `password` matches `stored`; `None` compares against a decoy and returns false.
///
/// # Errors
/// Only if the blocking pool is gone.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _permit = HASHERS.acquire().await.context("hasher pool closed")?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let encoded = stored.unwrap_or_else(|| DECOY_HASH.clone());
        let ok = PasswordHash::new(&encoded)
            .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && ok
    })
    .await
    .context("verification task failed")
}
