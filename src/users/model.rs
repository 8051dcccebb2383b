//! Account inputs (parsed and validated) and views (what responses show: never the hash).

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Role;
use crate::entity::users;
use crate::extract::FormInput;
use crate::model::{not_blank, nullable, nullable_phone, phone_number, trimmed};

/// An email address, trimmed and lower-cased: the form in which it is stored and compared,
/// which makes emails case-insensitive and unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Normalizes an address that has passed the request's `email` rule.
    pub fn parse(raw: &str) -> Email {
        Email(raw.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD: usize = 8;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[serde(deserialize_with = "trimmed")]
    #[garde(email, length(chars, max = 254))]
    #[schema(format = "email", example = "ana@example.com")]
    pub email: String,
    /// At least 8 characters.
    #[garde(length(chars, min = 8, max = 128))]
    #[schema(min_length = 8, max_length = 128, format = "password")]
    pub password: String,
    #[garde(length(chars, min = 1, max = 200), custom(not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200, example = "Ana Lima")]
    pub full_name: String,
    #[garde(inner(custom(phone_number)))]
    #[schema(pattern = r"^[ +().-]*([0-9][ +().-]*){5,20}$", example = "+1 555 0100", max_length = 40)]
    pub phone: Option<String>,
}

/// Login with JSON. The same endpoint takes the OAuth2 password form (`username`, `password`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[garde(length(chars, min = 1, max = 254))]
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[garde(length(chars, min = 1, max = 128))]
    pub password: String,
}

/// The OAuth2 password grant form (what Swagger's Authorize button sends).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginForm {
    /// The account's email.
    pub username: String,
    pub password: String,
    pub grant_type: Option<String>,
    pub scope: Option<String>,
}

impl FormInput for LoginRequest {
    type Form = LoginForm;
    fn from_form(form: LoginForm) -> Self {
        LoginRequest { email: form.username, password: form.password }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Single use: exchange it at `/api/v1/users/refresh` for a new pair.
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// For the schema, beside [`UpdateProfileRequest`]'s fields: a new `password` comes with the
/// `current_password` (what `update_profile` in the service requires).
pub fn update_profile_shapes() -> utoipa::openapi::schema::OneOf {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
    let of = |t: Type| ObjectBuilder::new().schema_type(SchemaType::Type(t));
    OneOfBuilder::new()
        .item(ObjectBuilder::new().property("password", of(Type::Null)))
        .item(
            ObjectBuilder::new()
                .required("password")
                .required("current_password")
                .property("password", of(Type::String))
                .property("current_password", of(Type::String)),
        )
        .build()
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    /// `null` removes the phone number.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(custom(nullable_phone))]
    #[schema(pattern = r"^[ +().-]*([0-9][ +().-]*){5,20}$", value_type = Option<String>, max_length = 40)]
    pub phone: Option<Option<String>>,
    /// A new password; needs `current_password`.
    #[garde(inner(length(chars, min = 8, max = 128)))]
    #[schema(min_length = 8, max_length = 128, format = "password")]
    pub password: Option<String>,
    #[garde(inner(length(chars, max = 128)))]
    #[schema(format = "password", max_length = 128)]
    pub current_password: Option<String>,
    /// Whether booking messages (confirmations, reminders, ...) come by email.
    #[garde(skip)]
    pub notify_email: Option<bool>,
    /// Whether they also come by SMS (only with a phone number).
    #[garde(skip)]
    pub notify_sms: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUpdateUserRequest {
    #[garde(skip)]
    pub role: Option<Role>,
    #[garde(skip)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only users with this role (staff callers only ever see clients).
    #[garde(skip)]
    pub role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) users.
    #[garde(skip)]
    pub active: Option<bool>,
    /// Case-insensitive search in email and full name.
    #[garde(inner(length(chars, max = 100)))]
    #[param(max_length = 100, pattern = r"^[^\x00]*$")]
    pub q: Option<String>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub is_active: bool,
    /// Booking messages by email (opt-out per channel).
    pub notify_email: bool,
    /// Booking messages by SMS, when there is a phone number.
    pub notify_sms: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<users::Model> for UserView {
    fn from(u: users::Model) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            full_name: u.full_name,
            phone: u.phone,
            // The column's CHECK constraint admits only the three roles.
            role: Role::parse(&u.role).unwrap_or(Role::Client),
            is_active: u.is_active,
            notify_email: u.notify_email,
            notify_sms: u.notify_sms,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}
