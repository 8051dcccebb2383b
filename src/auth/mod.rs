//! Authentication and authorization: passwords, tokens, the role extractors, and the
//! database-backed login throttle.

pub mod extract;
pub mod jwt;
pub mod password;
pub mod throttle;

pub use extract::{Admin, AnyRole, Channel, CurrentUser, RequireRole, StaffOrAdmin};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do. Registration creates clients; admins create staff and change roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Client => "client",
        }
    }

    /// Parses the stored form; the column has a CHECK constraint, so anything else is corruption.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            "client" => Some(Role::Client),
            _ => None,
        }
    }
}

/// Whether the (optional) caller is an admin.
pub fn is_admin(caller: Option<&CurrentUser>) -> bool {
    caller.is_some_and(|u| u.is(Role::Admin))
}

/// The `active` filter a caller may use on a public list: admins any; everyone else sees
/// active entries only. `None` means nothing the caller may see can match.
pub fn active_filter(caller: Option<&CurrentUser>, requested: Option<bool>) -> Option<Option<bool>> {
    match caller {
        Some(user) if user.is(Role::Admin) => Some(requested),
        _ if requested == Some(false) => None,
        _ => Some(Some(true)),
    }
}
