//! Recommendation views and queries.

use chrono::{DateTime, NaiveDate, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The service a client is due for next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextService {
    pub service_id: Uuid,
    pub name: String,
    /// When they are due (in the past when overdue).
    pub due_on: NaiveDate,
    /// Their last visit (for anything): the due date counts from it.
    pub last_visit_on: NaiveDate,
    #[schema(example = "Last Colour on 14 Oct 2026; you usually come every 6 weeks")]
    pub reason: String,
    /// 0 to 1: how much of the estimate is the client's own rhythm, and how regular it is.
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceRecommendation {
    pub service_id: Uuid,
    pub name: String,
    pub score: f64,
    #[schema(example = "12 of the 40 clients who book Balayage also book Gloss")]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductRecommendation {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub score: f64,
    #[schema(example = "12 of the 40 clients who book Balayage also buy Colour-Protect Shampoo")]
    pub reason: String,
}

/// What a client is recommended: computed by the last refresh, filtered as it is read (never
/// an inactive service or a product out of stock).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendations {
    pub client_id: Uuid,
    /// None for a client without visits.
    pub next_service: Option<NextService>,
    pub services: Vec<ServiceRecommendation>,
    pub products: Vec<ProductRecommendation>,
    /// When the model was computed; null before the first refresh (then everything is empty).
    pub generated_at: Option<DateTime<Utc>>,
}

/// A client due for a visit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueClient {
    pub client_id: Uuid,
    pub full_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub next_service: NextService,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Clients due before this day (overdue ones included); default: a week from today.
    #[garde(skip)]
    pub before: Option<NaiveDate>,
    /// Leave out clients who already hold an upcoming booking (default true).
    #[garde(skip)]
    pub unbooked_only: Option<bool>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// A refresh was queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshQueued {
    /// `GET /api/v2/jobs?ref_id=...` follows it.
    pub ref_id: Uuid,
}
