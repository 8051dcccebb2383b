//! Catalog inputs and views: categories, services, and staff-service assignments.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::{service_categories, services, staff_services};
use crate::model::{not_blank, nullable};

/// Limits that keep a typo (a price in cents typed as thousands, a duration in seconds) out.
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
pub const MIN_DURATION: i32 = 5;
pub const MAX_DURATION: i32 = 720;
pub const MAX_BUFFER: i32 = 240;

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    #[schema(example = "Hair")]
    pub name: String,
    pub description: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<service_categories::Model> for CategoryView {
    fn from(c: service_categories::Model) -> Self {
        CategoryView {
            id: c.id,
            name: c.name,
            description: c.description,
            is_active: c.is_active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Unique, regardless of case.
    #[garde(length(chars, min = 1, max = 100), custom(not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100, example = "Colour")]
    pub name: String,
    #[garde(inner(length(chars, max = 1000)))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategoryRequest {
    #[garde(inner(length(chars, min = 1, max = 100), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// `null` removes the description.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, max = 1000))))]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
    /// Reactivate (or deactivate) the category.
    #[garde(skip)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    /// Admins only: `false` lists deactivated categories. Others always see active ones.
    #[garde(skip)]
    pub active: Option<bool>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub category_id: Option<Uuid>,
    #[schema(example = "Men's cut")]
    pub name: String,
    pub description: Option<String>,
    /// The service's own duration; a staff member's assignment may override it.
    #[schema(example = 30)]
    pub duration_minutes: i32,
    /// Time after the service during which the staff member is not bookable (clean-up).
    #[schema(example = 10)]
    pub buffer_minutes: i32,
    /// In the smallest unit of the salon's currency.
    #[schema(example = 3500)]
    pub price_cents: i64,
    /// A booking of this service is `pending` until this deposit is paid (capped at the
    /// booked price).
    pub deposit_cents: Option<i64>,
    /// Or this percentage of the booked price, rounded half away from zero.
    pub deposit_percent: Option<i32>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<services::Model> for ServiceView {
    fn from(s: services::Model) -> Self {
        ServiceView {
            id: s.id,
            category_id: s.category_id,
            name: s.name,
            description: s.description,
            duration_minutes: s.duration_minutes,
            buffer_minutes: s.buffer_minutes,
            price_cents: s.price_cents,
            deposit_cents: s.deposit_cents,
            deposit_percent: s.deposit_percent,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceRequest {
    #[garde(length(chars, min = 1, max = 200), custom(not_blank))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200, example = "Men's cut")]
    pub name: String,
    #[garde(skip)]
    pub category_id: Option<Uuid>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// 5 to 720 minutes.
    #[garde(range(min = MIN_DURATION, max = MAX_DURATION))]
    #[schema(minimum = 5, maximum = 720, example = 30)]
    pub duration_minutes: i32,
    /// 0 to 240 minutes (default 0).
    #[garde(inner(range(min = 0, max = MAX_BUFFER)))]
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_minutes: Option<i32>,
    /// 0 to 100,000,000, in the smallest currency unit.
    #[garde(range(min = 0, max = MAX_PRICE_CENTS))]
    #[schema(minimum = 0, maximum = 100000000, example = 3500)]
    pub price_cents: i64,
    /// A fixed deposit, 1 to 100,000,000 (at most one of `deposit_cents`, `deposit_percent`).
    #[garde(inner(range(min = 1, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub deposit_cents: Option<i64>,
    /// A deposit of 1 to 100 % of the booked price.
    #[garde(inner(range(min = 1, max = 100)))]
    #[schema(minimum = 1, maximum = 100)]
    pub deposit_percent: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceRequest {
    #[garde(inner(length(chars, min = 1, max = 200), custom(not_blank)))]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// `null` removes the service from its category.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(skip)]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// `null` removes the description.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(length(chars, max = 2000))))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[garde(inner(range(min = MIN_DURATION, max = MAX_DURATION)))]
    #[schema(minimum = 5, maximum = 720)]
    pub duration_minutes: Option<i32>,
    #[garde(inner(range(min = 0, max = MAX_BUFFER)))]
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_minutes: Option<i32>,
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price_cents: Option<i64>,
    /// Setting a fixed deposit clears `deposit_percent`; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(range(min = 1, max = MAX_PRICE_CENTS))))]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000000)]
    pub deposit_cents: Option<Option<i64>>,
    /// Setting a percentage clears `deposit_cents`; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[garde(inner(inner(range(min = 1, max = 100))))]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub deposit_percent: Option<Option<i32>>,
    #[garde(skip)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceListQuery {
    #[garde(skip)]
    pub category_id: Option<Uuid>,
    /// Admins only: `false` lists deactivated services. Others always see active ones.
    #[garde(skip)]
    pub active: Option<bool>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// A staff member's qualification for a service, with what clients see and pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub service_id: Uuid,
    /// This staff member's price, when it differs from the service's.
    pub price_cents: Option<i64>,
    /// This staff member's duration, when it differs from the service's.
    pub duration_minutes: Option<i32>,
    /// What a client pays with this staff member.
    pub effective_price_cents: i64,
    /// How long the service takes with this staff member.
    pub effective_duration_minutes: i32,
    pub created_at: DateTime<Utc>,
}

impl AssignmentView {
    pub fn new(a: staff_services::Model, service: &services::Model) -> Self {
        AssignmentView {
            id: a.id,
            staff_id: a.staff_id,
            service_id: a.service_id,
            price_cents: a.price_cents,
            duration_minutes: a.duration_minutes,
            effective_price_cents: a.price_cents.unwrap_or(service.price_cents),
            effective_duration_minutes: a.duration_minutes.unwrap_or(service.duration_minutes),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignmentRequest {
    #[garde(skip)]
    pub staff_id: Uuid,
    #[garde(skip)]
    pub service_id: Uuid,
    /// Overrides the service's price for this staff member.
    #[garde(inner(range(min = 0, max = MAX_PRICE_CENTS)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price_cents: Option<i64>,
    /// Overrides the service's duration for this staff member.
    #[garde(inner(range(min = MIN_DURATION, max = MAX_DURATION)))]
    #[schema(minimum = 5, maximum = 720)]
    pub duration_minutes: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentListQuery {
    #[garde(skip)]
    pub staff_id: Option<Uuid>,
    #[garde(skip)]
    pub service_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}
