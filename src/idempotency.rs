//! Idempotency keys shared by every create that takes an `Idempotency-Key` header (bookings,
//! retail sales, and later payments): the key is stored with a hash of the request and the first
//! response in the same transaction as the write, and a retry gets that response back.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entity::idempotency_keys;
use crate::error::{ApiError, ApiResult};

/// A key as stored, and the hash of the request it was first used with.
#[derive(Debug, Clone)]
pub struct Key {
    pub key: String,
    pub hash: String,
}

impl Key {
    /// `scope` keeps one kind of request from replaying another's response: keys are stored
    /// as given for bookings (scope `""`, as they always were) and as `<scope>:<sha256>` for
    /// others; the request hash covers the scope too.
    pub fn new(scope: &str, key: &str, req: &impl Serialize) -> Self {
        let body = serde_json::to_vec(req).unwrap_or_default();
        if scope.is_empty() {
            return Self { key: key.to_owned(), hash: hex(&Sha256::digest(&body)) };
        }
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        hasher.update(b":");
        hasher.update(&body);
        Self {
            key: format!("{scope}:{}", hex(&Sha256::digest(key.as_bytes()))),
            hash: hex(&hasher.finalize()),
        }
    }

    /// The row that records this key with the response it gave.
    ///
    /// # Errors
    /// When the response cannot be serialized.
    pub fn row(
        &self,
        user_id: Uuid,
        response: &impl Serialize,
        now: DateTime<Utc>,
    ) -> Result<idempotency_keys::ActiveModel, DbErr> {
        Ok(idempotency_keys::ActiveModel {
            user_id: Set(user_id),
            key: Set(self.key.clone()),
            request_hash: Set(self.hash.clone()),
            response_status: Set(201),
            response_body: Set(serde_json::to_string(response).map_err(|e| DbErr::Custom(e.to_string()))?),
            created_at: Set(now),
        })
    }

    /// The response first given for this key, if it is stored: `Ok(None)` when it is not.
    ///
    /// # Errors
    /// 422 when the key was used with a different request.
    pub async fn replay<T: DeserializeOwned, C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: Uuid,
    ) -> ApiResult<Option<T>> {
        let Some(stored) = idempotency_keys::Entity::find_by_id((user_id, self.key.clone())).one(db).await?
        else {
            return Ok(None);
        };
        if stored.request_hash != self.hash {
            return Err(ApiError::field("Idempotency-Key", "was already used with a different request"));
        }
        serde_json::from_str(&stored.response_body).map(Some).map_err(|e| ApiError::Internal(e.into()))
    }
}

/// Whether a failed write failed on the key (a concurrent request stored it first).
pub fn is_key_conflict(err: &DbErr) -> bool {
    err.to_string().contains("idempotency_keys")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
