use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::dialogflow::{self, WebhookRequest, WebhookResponse};
use super::model::{
    MAX_TEXT, NewSynonym, ParseRequest, ParsedView, SynonymQuery, SynonymView, VoiceReply, VoiceRequest,
};
use super::service::{self, Hints, Thread};
use crate::auth::{Admin, AnyRole, RequireRole, StaffOrAdmin};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

/// What a text is understood as, acting on nothing: the intent, the service and staff member
/// matched against the live catalog (and synonyms), the date and time resolved in the salon's
/// time zone relative to `now`, and each slot's span in the text. Role: any.
#[utoipa::path(post, path = "/api/v2/voice/parse", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ParseRequest,
    responses(
        (status = 200, description = "What was understood", body = ParsedView),
        (status = 413, description = "The body is over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Text empty, over 2,000 characters or with a NUL character", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn parse(
    State(state): State<AppState>,
    _: RequireRole<AnyRole>,
    Json(req): Json<ParseRequest>,
) -> ApiResult<axum::Json<ParsedView>> {
    Ok(axum::Json(service::parse(&state, &req.text, req.now).await?))
}

/// One turn of a booking conversation in plain words ("book a men's cut with Jane next Friday
/// at 3pm", "when is Jane free on Saturday?", "the later one", "move my appointment to 4",
/// "cancel my appointment"). Everything known and free is booked at once through the
/// booking rules of `POST /api/v1/bookings` (201, `status: booked`); otherwise the reply asks
/// for what is missing with the nearest free slots, and the next turn passes its
/// `session_id`. Cancelling asks for a yes first. Roles: a client for themselves; staff and
/// admins for the client in `client_id` (needed to book, move or cancel).
#[utoipa::path(post, path = "/api/v2/voice/booking", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = VoiceRequest,
    responses(
        (status = 201, description = "Booked: `booking` holds it", body = VoiceReply),
        (status = 200, description = "Anything else: a question (`needs_input`, `not_understood`), an answer (`available`), a move or a cancellation", body = VoiceReply),
        (status = 403, description = "A client talking for someone else", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session (or not yours, or expired: start a new one)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Text empty, over 2,000 characters or with a NUL character; or a staff or admin caller booking, moving or cancelling without `client_id`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The booking rules refused a move or cancellation that no question can mend (`cancellation-window`, `invalid-transition`)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn booking(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Json(req): Json<VoiceRequest>,
) -> ApiResult<(StatusCode, axum::Json<VoiceReply>)> {
    let thread = Thread::Id(req.session_id);
    let (created, reply) = service::converse(&state, &caller, req, thread, &Hints::default()).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(reply)))
}

/// The same conversation behind a Dialogflow webhook (ES or CX request in, the same dialect
/// out, 200 for every turn, also one the booking rules refuse, which is said as a sentence):
/// the agent's session path is the conversation (an expired one starts over), its
/// `parameters` fill what the text leaves out (strings, CX's date and time objects, ES's
/// date-time objects), and `client_id` among them names the client for staff and admin
/// tokens. Roles: as `POST /api/v2/voice/booking`.
#[utoipa::path(post, path = "/api/v2/voice/dialogflow", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "The reply, in the request's dialect; a call with no text (an event, silence) is asked what to book", body = WebhookResponse),
        (status = 403, description = "A client talking for someone else", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 2,000 characters of text (`queryResult.queryText`, `text` or `transcript`), a `client_id` that is no UUID, or a staff or admin token acting without one", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn dialogflow(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Json(req): Json<WebhookRequest>,
) -> ApiResult<axum::Json<WebhookResponse>> {
    if req.texts().any(|t| t.chars().count() > MAX_TEXT) {
        return Err(ApiError::field("queryResult.queryText", "must be at most 2000 characters"));
    }
    let text = req.text().map(str::trim).unwrap_or_default().to_owned();
    if text.is_empty() {
        return Ok(axum::Json(dialogflow::prompt(req.is_cx())));
    }
    let client_id = match req.client_id() {
        Some(id) => {
            Some(id.parse::<Uuid>().map_err(|_| ApiError::field("parameters.client_id", "must be a UUID"))?)
        }
        None => None,
    };
    let thread = req.session().map_or(Thread::Id(None), |s| Thread::Key(s.to_owned()));
    let voice = VoiceRequest { text, session_id: None, client_id };
    match service::converse(&state, &caller, voice, thread, &req.hints()).await {
        Ok((_, reply)) => Ok(axum::Json(dialogflow::respond(req.is_cx(), &reply))),
        // What the booking rules refuse is said to the caller; the agent cannot read a problem.
        Err(e) if matches!(e.status().as_u16(), 404 | 409) => {
            let problem = serde_json::to_value(e.problem()).map_err(anyhow::Error::from)?;
            Ok(axum::Json(dialogflow::refused(req.is_cx(), &problem)))
        }
        Err(e) => Err(e),
    }
}

/// The phrases the parser takes for services and staff members, besides their names.
/// Roles: staff, admin.
#[utoipa::path(get, path = "/api/v2/voice/synonyms", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    params(SynonymQuery),
    responses((status = 200, description = "A page of synonyms", body = Page<SynonymView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_synonyms(
    State(state): State<AppState>,
    _: RequireRole<StaffOrAdmin>,
    Query(q): Query<SynonymQuery>,
) -> ApiResult<axum::Json<Page<SynonymView>>> {
    Ok(axum::Json(service::synonyms(&state.db, q).await?))
}

/// Teach the parser a phrase for a service or staff member ("men's cut" for "Men's
/// Haircut"); it counts from the next request, in every process. Role: admin.
#[utoipa::path(post, path = "/api/v2/voice/synonyms", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = NewSynonym,
    responses(
        (status = 201, description = "Added", body = SynonymView),
        (status = 409, description = "`synonym-exists`: the phrase already stands for a service (or staff member)", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn add_synonym(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Json(req): Json<NewSynonym>,
) -> ApiResult<(StatusCode, axum::Json<SynonymView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add_synonym(&state.db, req).await?)))
}

/// Remove a synonym. Role: admin.
#[utoipa::path(delete, path = "/api/v2/voice/synonyms/{id}", tag = "voice",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Synonym id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such synonym", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(synonym_id = %id))]
pub async fn remove_synonym(
    State(state): State<AppState>,
    _: RequireRole<Admin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::remove_synonym(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
