//! Account rules: registration, sessions (login, refresh rotation with reuse detection,
//! logout), profiles, and what admins may change.

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, DatabaseConnection, IntoActiveModel, TransactionTrait};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{
    AdminUpdateUserRequest, Email, RegisterRequest, TokenResponse, UpdateProfileRequest, UserListQuery,
};
use super::store::{self, UserFilter};
use crate::auth::{CurrentUser, Role, password, throttle};
use crate::entity::{refresh_tokens, users};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::pagination::{Page, Window, fetch};
use crate::state::AppState;

/// A new account's details, already validated.
pub struct NewUser {
    pub email: Email,
    pub password: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: Role,
}

impl From<RegisterRequest> for NewUser {
    fn from(r: RegisterRequest) -> Self {
        NewUser {
            email: Email::parse(&r.email),
            password: r.password,
            full_name: r.full_name.trim().to_owned(),
            phone: r.phone.map(|p| p.trim().to_owned()),
            role: Role::Client,
        }
    }
}

const EMAIL_TAKEN: &[(&str, &str, &str)] =
    &[("email", "email-taken", "an account with this email already exists")];

/// Creates an account with a hashed password.
///
/// # Errors
/// `email-taken` (409) if the email is in use, also when two requests race for it.
pub async fn create_user<C: sea_orm::ConnectionTrait>(db: &C, new: NewUser) -> ApiResult<users::Model> {
    if store::find_by_email(db, new.email.as_str()).await?.is_some() {
        return Err(ApiError::conflict("email-taken", "an account with this email already exists"));
    }
    let hash = password::hash(new.password).await?;
    let now = Utc::now();
    let row = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.as_str().to_owned()),
        password_hash: Set(hash),
        full_name: Set(new.full_name),
        phone: Set(new.phone),
        role: Set(new.role.as_str().to_owned()),
        is_active: Set(true),
        notify_email: Set(true),
        notify_sms: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    store::insert(db, row).await.map_err(|e| on_constraint(e, EMAIL_TAKEN))
}

/// Exchanges credentials for a token pair. Unknown email and wrong password are the same
/// 401; repeated failures for one email (or from one address) are a 429 until the window ends.
///
/// # Errors
/// `Unauthorized`, `RateLimited`.
pub async fn login(
    state: &AppState,
    email: &str,
    pass: String,
    client_ip: Option<String>,
) -> ApiResult<TokenResponse> {
    let email = Email::parse(email);
    let cfg = &state.config;
    let mut keys = vec![throttle::Key {
        key: format!("email:{}", email.as_str()),
        max_failures: cfg.login_max_failures,
    }];
    if let Some(ip) = client_ip {
        // An address may try several accounts (a shared front-desk machine), so it gets more.
        keys.push(throttle::Key {
            key: format!("ip:{ip}"),
            max_failures: cfg.login_max_failures.saturating_mul(4),
        });
    }
    throttle::check(&state.db, &keys, cfg.login_window_secs).await?;

    let user = store::find_by_email(&state.db, email.as_str()).await?;
    let matches = password::verify(pass, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match user {
        Some(u) if matches && u.is_active => u,
        _ => {
            throttle::record_failure(&state.db, &keys, cfg.login_window_secs).await?;
            return Err(ApiError::Unauthorized("email or password is incorrect"));
        }
    };
    throttle::clear(&state.db, &keys[0].key).await?;
    start_session(state, &state.db, &user, Uuid::now_v7()).await
}

/// Issues an access token and a refresh token in `family`.
async fn start_session<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &users::Model,
    family: Uuid,
) -> ApiResult<TokenResponse> {
    let refresh = new_refresh_token();
    let now = Utc::now();
    store::insert_refresh(
        db,
        refresh_tokens::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            family_id: Set(family),
            token_hash: Set(hash_token(&refresh)),
            expires_at: Set(now + Duration::seconds(state.config.refresh_ttl_secs)),
            created_at: Set(now),
            revoked_at: Set(None),
        },
    )
    .await?;
    Ok(TokenResponse {
        access_token: state.jwt.issue(user.id, &user.role)?,
        refresh_token: refresh,
        token_type: "bearer",
        expires_in: state.jwt.access_ttl_secs,
    })
}

/// Rotates a refresh token: the presented one stops working and a new pair is issued. A token
/// that was already used means it leaked (or was replayed): the whole session is revoked.
///
/// # Errors
/// `Unauthorized` for unknown, expired, reused tokens and inactive accounts.
pub async fn refresh(state: &AppState, token: &str) -> ApiResult<TokenResponse> {
    let now = Utc::now();
    let Some(row) = store::find_refresh_by_hash(&state.db, &hash_token(token)).await? else {
        return Err(ApiError::Unauthorized("the refresh token is not valid"));
    };
    if row.revoked_at.is_some() {
        store::revoke_family(&state.db, row.family_id, now).await?;
        tracing::warn!(user_id = %row.user_id, "refresh token reuse: session revoked");
        return Err(ApiError::Unauthorized(
            "the refresh token was already used; the session has been revoked",
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::Unauthorized("the refresh token has expired"));
    }
    let user = store::find_by_id(&state.db, row.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or(ApiError::Unauthorized("the account is inactive or no longer exists"))?;

    let txn = state.db.begin().await?;
    if !store::revoke_if_active(&txn, row.id, now).await? {
        // Another request used this token between our read and our update: same as reuse.
        txn.rollback().await?;
        store::revoke_family(&state.db, row.family_id, now).await?;
        return Err(ApiError::Unauthorized(
            "the refresh token was already used; the session has been revoked",
        ));
    }
    let tokens = start_session(state, &txn, &user, row.family_id).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored (logout is
/// idempotent).
///
/// # Errors
/// Database failures only.
pub async fn logout(state: &AppState, token: &str) -> ApiResult<()> {
    if let Some(row) = store::find_refresh_by_hash(&state.db, &hash_token(token)).await? {
        store::revoke_family(&state.db, row.family_id, Utc::now()).await?;
    }
    Ok(())
}

/// Loads the caller's own account.
///
/// # Errors
/// `NotFound` if it vanished since authentication.
pub async fn profile(db: &DatabaseConnection, caller: &CurrentUser) -> ApiResult<users::Model> {
    store::find_by_id(db, caller.id).await?.ok_or(ApiError::NotFound("user"))
}

/// Updates the caller's name and phone, and the password when the current one is given.
/// A password change ends every other session (refresh tokens).
///
/// # Errors
/// 422 when `current_password` is missing or wrong.
pub async fn update_profile(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    req: UpdateProfileRequest,
) -> ApiResult<users::Model> {
    let user = profile(db, caller).await?;
    let mut new_hash = None;
    if let Some(new_password) = req.password {
        let Some(current) = req.current_password else {
            return Err(ApiError::field("current_password", "is required to change the password"));
        };
        if !password::verify(current, Some(user.password_hash.clone())).await? {
            return Err(ApiError::field("current_password", "is not correct"));
        }
        new_hash = Some(password::hash(new_password).await?);
    }
    let now = Utc::now();
    let mut row = user.into_active_model();
    if let Some(name) = req.full_name {
        row.full_name = Set(name.trim().to_owned());
    }
    if let Some(phone) = req.phone {
        row.phone = Set(phone.map(|p| p.trim().to_owned()));
    }
    if let Some(v) = req.notify_email {
        row.notify_email = Set(v);
    }
    if let Some(v) = req.notify_sms {
        row.notify_sms = Set(v);
    }
    let password_changed = new_hash.is_some();
    if let Some(hash) = new_hash {
        row.password_hash = Set(hash);
    }
    row.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = store::update(&txn, row).await?;
    if password_changed {
        store::revoke_all_for_user(&txn, caller.id, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Admins see everyone; staff see clients only (to book on their behalf).
///
/// # Errors
/// Database failures only.
pub async fn list_users(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    q: UserListQuery,
) -> ApiResult<Page<users::Model>> {
    let window = Window::new(q.limit, q.offset);
    let role = match (caller.role, q.role) {
        (Role::Admin, role) => role.map(Role::as_str),
        (_, None | Some(Role::Client)) => Some(Role::Client.as_str()),
        // Staff asking for other roles: nothing they may see matches.
        (_, Some(_)) => return Ok(window.page(Vec::new(), 0)),
    };
    let search = q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(fetch(db, store::list(&UserFilter { role, active: q.active, search }), window).await?)
}

/// Changes a user's role or active flag. Deactivation revokes their sessions; the access
/// tokens they hold stop working at once because every request re-reads the account.
///
/// # Errors
/// `NotFound`; `last-admin` (409) when the change would leave no active admin.
pub async fn admin_update_user(
    db: &DatabaseConnection,
    id: Uuid,
    req: AdminUpdateUserRequest,
) -> ApiResult<users::Model> {
    let txn = db.begin().await?;
    let user = store::find_by_id(&txn, id).await?.ok_or(ApiError::NotFound("user"))?;
    let stays_admin = req.role.map_or(user.role == "admin", |r| r == Role::Admin)
        && req.is_active.unwrap_or(user.is_active);
    if user.role == "admin" && user.is_active && !stays_admin && store::count_active_admins(&txn).await? <= 1
    {
        return Err(ApiError::conflict(
            "last-admin",
            "this is the last active admin; promote another admin first",
        ));
    }
    let now = Utc::now();
    let deactivated = req.is_active == Some(false);
    let mut row = user.into_active_model();
    if let Some(role) = req.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(active) = req.is_active {
        row.is_active = Set(active);
    }
    row.updated_at = Set(now);
    let updated = store::update(&txn, row).await?;
    if deactivated {
        store::revoke_all_for_user(&txn, id, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Creates the admin named by `SALON_ADMIN_EMAIL`/`SALON_ADMIN_PASSWORD` when no admin exists.
/// Returns whether one was created.
///
/// # Errors
/// Invalid email or password, or an email already used by a non-admin account.
pub async fn ensure_admin(db: &DatabaseConnection, email: &str, pass: &str) -> anyhow::Result<bool> {
    if store::count_active_admins(db).await? > 0 {
        return Ok(false);
    }
    create_admin(db, email, pass, "Administrator").await?;
    Ok(true)
}

/// Creates an admin account (for `salon create-admin` and first start).
///
/// # Errors
/// Invalid email or password, or an email already in use.
pub async fn create_admin(
    db: &DatabaseConnection,
    email: &str,
    pass: &str,
    full_name: &str,
) -> anyhow::Result<users::Model> {
    let req = RegisterRequest {
        email: email.to_owned(),
        password: pass.to_owned(),
        full_name: full_name.to_owned(),
        phone: None,
    };
    crate::extract::validate(&req).map_err(|e| anyhow::anyhow!(describe(&e)))?;
    let new = NewUser { role: Role::Admin, ..NewUser::from(req) };
    create_user(db, new).await.map_err(|e| anyhow::anyhow!(describe(&e)))
}

fn describe(err: &ApiError) -> String {
    match err {
        ApiError::Validation(fields) => {
            fields.iter().map(|f| format!("{} {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        ApiError::Conflict { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Refresh tokens are stored as SHA-256: a leaked table does not yield usable tokens, and a
/// 256-bit random token needs no slow hash.
fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
