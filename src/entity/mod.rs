//! SeaORM entities: rows as the database stores them. Responses never use these directly
//! (see each area's `model.rs` views), so a column such as `password_hash` cannot leak.

pub mod app_secrets;
pub mod login_throttle;
pub mod refresh_tokens;
pub mod settings;
pub mod users;
