use axum::extract::State;
use uuid::Uuid;

use super::model::{JobListQuery, JobView};
use super::store::{self, JobFilter};
use crate::auth::{Admin, RequireRole};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::pagination::{Page, Window, fetch};
use crate::state::AppState;

type JsonResult<T> = ApiResult<axum::Json<T>>;

/// Background jobs, newest first; filter by `status`, `kind`, `ref_id`. Role: admin.
#[utoipa::path(get, path = "/api/v2/jobs", tag = "jobs",
    security(("bearer" = []), ("oauth2" = [])),
    params(JobListQuery),
    responses((status = 200, description = "A page of jobs", body = Page<JobView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_jobs(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Query(q): Query<JobListQuery>,
) -> JsonResult<Page<JobView>> {
    let filter = JobFilter { status: q.status.map(|s| s.as_str()), kind: q.kind, ref_id: q.ref_id };
    let page = fetch(&state.db, store::list(&filter), Window::new(q.limit, q.offset)).await?;
    Ok(axum::Json(page.map(JobView::from)))
}

/// One job: attempts, last error, lease and timestamps. Role: admin.
#[utoipa::path(get, path = "/api/v2/jobs/{id}", tag = "jobs",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(job_id = %id))]
pub async fn get_job(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> JsonResult<JobView> {
    let job = store::get(&state.db, id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(axum::Json(job.into()))
}

/// Run a `failed` or `dead` job again now. A dead job gets one more attempt (its
/// `max_attempts` grows to allow it). Role: admin.
#[utoipa::path(post, path = "/api/v2/jobs/{id}/retry", tag = "jobs",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again", body = JobView),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`: the job is queued, running or succeeded", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(job_id = %id))]
pub async fn retry_job(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> JsonResult<JobView> {
    let retried = {
        let _writer = crate::db::sqlite_writer(&state.db).await;
        store::retry(&state.db, id).await?
    };
    let job = store::get(&state.db, id).await?.ok_or(ApiError::NotFound("job"))?;
    if !retried {
        return Err(ApiError::conflict(
            "invalid-transition",
            format!("only failed or dead jobs can be retried; this one is {}", job.status),
        ));
    }
    state.jobs.wake();
    Ok(axum::Json(job.into()))
}
