//! Jobs as the admin API shows them, and the list filters.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::jobs;

/// Where a job is: `queued` (waiting for `run_at`), `running` (a worker holds its lease),
/// `succeeded`, `failed` (an attempt failed; it runs again at `run_at`), `dead` (no attempts
/// left, or it cannot succeed; an admin may retry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "dead" => JobStatus::Dead,
            _ => JobStatus::Queued,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    /// `booking.confirmation`, `booking.reminder`, `booking.rescheduled`, `booking.cancelled`,
    /// `maintenance.sweep`, `noop`.
    #[schema(example = "booking.confirmation")]
    pub kind: String,
    pub status: JobStatus,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The job's identity: the same key is never enqueued twice, and what it sends is keyed by it.
    #[schema(example = "confirmation:0193a5e4-7c1a-7d2e-9c4b-1f2e3d4c5b6a")]
    pub dedupe_key: Option<String>,
    /// What the job is about (a booking id), if anything.
    pub ref_id: Option<Uuid>,
    /// Attempts started so far.
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it is due (for `failed`: when it runs again).
    pub run_at: DateTime<Utc>,
    /// While `running`: when the worker's lease runs out and another worker may take it.
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<jobs::Model> for JobView {
    fn from(j: jobs::Model) -> Self {
        JobView {
            id: j.id,
            kind: j.kind,
            status: JobStatus::parse(&j.status),
            payload: serde_json::from_str(&j.payload).unwrap_or(serde_json::Value::Null),
            dedupe_key: j.dedupe_key,
            ref_id: j.ref_id,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            lease_until: j.lease_until,
            last_error: j.last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    #[garde(skip)]
    pub status: Option<JobStatus>,
    /// Exact kind, e.g. `booking.reminder`.
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[param(min_length = 1, max_length = 64)]
    pub kind: Option<String>,
    /// Only jobs about this booking (or other record).
    #[garde(skip)]
    pub ref_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}
