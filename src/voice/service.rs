//! A conversation turn: parse the text against the live catalog and staff, add it to what the
//! session understood before, and act through the booking rules themselves
//! (`booking::service::{create, reschedule, transition}` with the caller marked as talking
//! by voice), or ask for what is missing with the free slots nearest the request.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::flow::{self, OFFER, State, Want};
use super::model::{
    NewSynonym, ParsedView, ReplyStatus, Suggestion, SynonymKind, SynonymQuery, SynonymView, VoiceReply,
    VoiceRequest,
};
use super::nlu::{self, Intent, Parsed, Vocabulary};
use super::store;
use crate::auth::{Channel, CurrentUser, Role};
use crate::booking::model::{
    Action, AvailabilityQuery, BookingView, CreateBookingRequest, RescheduleRequest,
};
use crate::booking::service as booking;
use crate::entity::{bookings, voice_sessions, voice_synonyms};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, Window, fetch};
use crate::state::AppState;

/// The salon's time zone, its local wall time at `now`, its currency, and the vocabulary (two queries when
/// the vocabulary is unchanged, three when it is read again).
async fn context(
    state: &AppState,
    now: DateTime<Utc>,
) -> ApiResult<(Tz, NaiveDateTime, String, Arc<Vocabulary>)> {
    let (timezone, currency, version) = store::context(&state.db).await?;
    let tz: Tz = timezone.parse().unwrap_or(Tz::UTC);
    let vocab = state.vocabulary.at(version, || store::vocabulary(&state.db)).await?;
    Ok((tz, flow::local(tz, now), currency, vocab))
}

/// What a text means, acting on nothing, relative to `now` (default: the present).
///
/// # Errors
/// Database failures only.
pub async fn parse(
    state: &AppState,
    text: &str,
    now: Option<DateTime<FixedOffset>>,
) -> ApiResult<ParsedView> {
    let (_, local, _, vocab) = context(state, now.map_or_else(Utc::now, |n| n.to_utc())).await?;
    Ok(ParsedView::from(&nlu::parse(text, local, &vocab)))
}

/// Where a turn belongs: a session of the caller's (`None`: a new one).
pub enum Thread {
    Id(Option<Uuid>),
    /// A front end's own conversation key (Dialogflow's session path): continued while it
    /// lives, started again after it expired.
    Key(String),
}

/// One turn of a conversation. Returns whether a booking was made (201) and the reply.
///
/// # Errors
/// 403 for a client talking for someone else; 404 for a session that is not the caller's or
/// has expired; 422 when an action needs a client and none was given; the booking rules'
/// errors that a question cannot resolve (409 `cancellation-window`, …).
pub async fn converse(
    state: &AppState,
    caller: &CurrentUser,
    req: VoiceRequest,
    thread: Thread,
    hints: &Hints,
) -> ApiResult<(bool, VoiceReply)> {
    let db = &state.db;
    if caller.is(Role::Client) && req.client_id.is_some_and(|id| id != caller.id) {
        return Err(ApiError::Forbidden("clients talk for themselves only"));
    }
    let now = Utc::now();
    let continued = |row: voice_sessions::Model| {
        let memory = serde_json::from_str(&row.state).unwrap_or_default();
        (Some(row), memory)
    };
    let (key, (session, mut memory)) = match thread {
        Thread::Id(None) => (None, (None, State::default())),
        Thread::Id(Some(id)) => {
            let row =
                store::session(db, caller.id, id, now).await?.ok_or(ApiError::NotFound("voice session"))?;
            (None, continued(row))
        }
        Thread::Key(key) => {
            let found = match store::session_by_key(db, caller.id, &key).await? {
                Some(row) if row.expires_at > now => continued(row),
                // Expired: the same row starts over.
                Some(row) => (Some(row), State::default()),
                None => (None, State::default()),
            };
            (Some(key), found)
        }
    };
    // An expired conversation (a front end's key) keeps nothing, not even its client.
    let earlier_client = session.as_ref().filter(|s| s.expires_at > now).and_then(|s| s.client_id);
    let client = if caller.is(Role::Client) {
        Some(caller.id)
    } else {
        if req.client_id.is_some_and(|c| earlier_client.is_some_and(|e| e != c)) {
            // Another client: nothing said for the first one carries over.
            memory = State::default();
        }
        req.client_id.or(earlier_client)
    };
    let (tz, local_now, currency, vocab) = context(state, now).await?;
    let mut parsed = nlu::parse(&req.text, local_now, &vocab);
    hints.fill(&mut parsed, local_now, &vocab);
    let voice = CurrentUser { channel: Channel::Voice, ..caller.clone() };
    let cx = Turn { state, caller: &voice, client, tz, now, local_now, currency, vocab: &vocab };
    let outcome = cx.answer(&mut memory, &parsed).await?;
    // Asked again after a misunderstanding, the question stays the one it was.
    if outcome.status != ReplyStatus::NotUnderstood {
        memory.question = outcome.question.clone();
    }
    let id = save(db, caller, session.map(|s| s.id), key, &memory, client, now).await?;
    let created = outcome.status == ReplyStatus::Booked;
    if outcome.booking.is_some() && state.jobs.config.booking_messages {
        state.jobs.wake();
    }
    Ok((
        created,
        VoiceReply {
            status: outcome.status,
            session_id: id,
            message: outcome.message,
            question: outcome.question,
            missing: outcome.missing.iter().map(|m| (*m).to_owned()).collect(),
            suggestions: outcome.suggestions,
            booking: outcome.booking,
            parsed: ParsedView::from(&parsed),
        },
    ))
}

/// Writes the conversation's state (a new row for a new conversation); returns its id.
async fn save(
    db: &DatabaseConnection,
    caller: &CurrentUser,
    session: Option<Uuid>,
    key: Option<String>,
    memory: &State,
    client: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<Uuid> {
    let state = serde_json::to_string(memory).map_err(anyhow::Error::from)?;
    let expires = now + flow::ttl();
    let _writer = crate::db::sqlite_writer(db).await;
    let updated = match session {
        Some(id) => store::update_session(db, id, state.clone(), client, now, expires).await?.then_some(id),
        None => None,
    };
    match updated {
        Some(id) => Ok(id),
        // New, or removed meanwhile (expired and purged by another conversation's start).
        None => {
            let id = Uuid::now_v7();
            let row = voice_sessions::Model {
                id,
                user_id: caller.id,
                client_id: client,
                external_key: key.clone(),
                state: state.clone(),
                created_at: now,
                updated_at: now,
                expires_at: expires,
            };
            match store::insert_session(db, row).await {
                Ok(()) => Ok(id),
                // The same front-end key started by a concurrent turn: continue that row.
                Err(e) if key.is_some() && e.to_string().contains("voice_sessions") => {
                    let row = store::session_by_key(db, caller.id, key.as_deref().unwrap_or_default())
                        .await?
                        .ok_or_else(|| {
                            ApiError::Unavailable("the conversation changed meanwhile; try again".into())
                        })?;
                    store::update_session(db, row.id, state, client, now, expires).await?;
                    Ok(row.id)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// What one turn answers.
struct Outcome {
    status: ReplyStatus,
    message: String,
    question: Option<String>,
    missing: Vec<&'static str>,
    suggestions: Vec<Suggestion>,
    booking: Option<BookingView>,
}

impl Outcome {
    fn ask(missing: &'static str, question: String, suggestions: Vec<Suggestion>) -> Self {
        Outcome {
            status: ReplyStatus::NeedsInput,
            message: question.clone(),
            question: Some(question),
            missing: vec![missing],
            suggestions,
            booking: None,
        }
    }

    fn done(status: ReplyStatus, message: String, booking: Option<BookingView>) -> Self {
        Outcome { status, message, question: None, missing: Vec::new(), suggestions: Vec::new(), booking }
    }
}

/// Everything a turn needs to act.
struct Turn<'a> {
    state: &'a AppState,
    /// The caller, marked as talking by voice (booking history records it).
    caller: &'a CurrentUser,
    client: Option<Uuid>,
    tz: Tz,
    now: DateTime<Utc>,
    local_now: NaiveDateTime,
    currency: String,
    vocab: &'a Vocabulary,
}

impl Turn<'_> {
    fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    fn service_name(&self, id: Uuid) -> String {
        self.vocab
            .services
            .iter()
            .find(|e| e.id == id)
            .map_or_else(|| "the service".into(), |e| e.name.clone())
    }

    fn staff_name(&self, id: Uuid) -> String {
        self.vocab.staff.iter().find(|e| e.id == id).map_or_else(|| "someone".into(), |e| e.name.clone())
    }

    fn client(&self) -> ApiResult<Uuid> {
        self.client.ok_or_else(|| {
            ApiError::field("client_id", "is required when staff or admins book, move or cancel")
        })
    }

    async fn answer(&self, memory: &mut State, p: &Parsed) -> ApiResult<Outcome> {
        let heard_nothing = p.intent == Intent::Unknown
            && p.slots.is_empty()
            && p.choice.is_none()
            && !p.affirm
            && !p.negate
            && p.unknown_staff.is_none();
        if memory.confirm_cancel {
            // Only a plain yes cancels: "no, that's not ok" keeps it.
            if p.affirm && !p.negate && matches!(p.intent, Intent::Unknown | Intent::Cancel) {
                return self.cancel(memory).await;
            }
            if p.negate {
                memory.finish(None);
                return Ok(Outcome::done(
                    ReplyStatus::Unchanged,
                    "All right, I kept your appointment.".into(),
                    None,
                ));
            }
        }
        // "Another time?" while booking asks for other slots; it moves no existing booking.
        let mut p = p.clone();
        if memory.intent == Some(Intent::Book) && p.intent == Intent::Reschedule && p.service.is_none() {
            p.intent = Intent::Unknown;
            p.negate |= p.date.is_none() && p.time.is_none() && p.part_of_day.is_none();
        }
        let p = &p;
        let picked = memory.merge(p);
        if memory.date.is_some_and(|d| !(2000..=2999).contains(&chrono::Datelike::year(&d))) {
            memory.date = None;
            memory.date_to = None;
            return Ok(Outcome::ask("date", "That day cannot be booked. Which day?".into(), Vec::new()));
        }
        // A yes to several offered slots: which one?
        if p.affirm && !p.negate && !picked && memory.suggestions.len() > 1 {
            let times: Vec<String> = memory.suggestions.iter().map(|s| s.time.clone()).collect();
            let question = format!("Which one: {}?", flow::either(&times, "or"));
            return Ok(Outcome::ask("time", question, memory.suggestions.clone()));
        }
        // "No" (or "neither") to the slots offered.
        if p.negate && p.slots.is_empty() && !memory.suggestions.is_empty() {
            memory.suggestions.clear();
            return Ok(Outcome::ask("time", "Which other day or time would suit you?".into(), Vec::new()));
        }
        let intent = match memory.intent {
            Some(i) if i != Intent::Unknown => i,
            // Times or a service without a verb: most likely a booking.
            _ if !heard_nothing
                && (memory.service_id.is_some() || memory.time.is_some() || memory.date.is_some()) =>
            {
                Intent::Book
            }
            _ => Intent::Unknown,
        };
        if heard_nothing || intent == Intent::Unknown {
            let again = memory.question.clone().unwrap_or_else(|| {
                "You can say, for example, \"book a haircut tomorrow at 3pm\", \"when is Jane free on Saturday?\", \
                 \"move my appointment to 4pm\" or \"cancel my appointment\"."
                    .into()
            });
            let question = format!("Sorry, I did not understand that. {again}");
            return Ok(Outcome {
                status: ReplyStatus::NotUnderstood,
                message: question.clone(),
                question: Some(question),
                missing: Vec::new(),
                suggestions: memory.suggestions.clone(),
                booking: None,
            });
        }
        memory.intent = Some(intent);
        if let Some(name) = &p.unknown_staff {
            let people: Vec<String> = self.vocab.staff.iter().take(5).map(|e| e.name.clone()).collect();
            let question = format!(
                "I don't know anyone called {name} here. Who would you like: {}?",
                flow::either(&people, "or")
            );
            return Ok(Outcome::ask("staff", question, Vec::new()));
        }
        if let Some(m) = p.service.as_ref().filter(|m| !m.alternatives.is_empty()) {
            let mut names = vec![m.name.clone()];
            names.extend(m.alternatives.iter().map(|(_, n)| n.clone()));
            memory.service_id = None;
            return Ok(Outcome::ask(
                "service",
                format!("Which one: {}?", flow::either(&names, "or")),
                Vec::new(),
            ));
        }
        match intent {
            Intent::Reschedule => self.reschedule(memory).await,
            Intent::Cancel => self.ask_cancel(memory, p).await,
            Intent::Availability => self.availability(memory).await,
            Intent::Book | Intent::Unknown => self.book(memory).await,
        }
    }

    /// The free slots of `service` (with `staff`, if given) from `first` for `days` days,
    /// `(staff, start)` by start, the asked-for staff member first among equal starts.
    async fn slots(
        &self,
        service: Uuid,
        staff: Option<Uuid>,
        first: chrono::NaiveDate,
        days: u32,
    ) -> ApiResult<Vec<(Uuid, DateTime<Utc>)>> {
        let q = AvailabilityQuery { service_id: service, date: first, days: Some(days), staff_id: staff };
        let view = booking::availability(self.db(), q).await?;
        Ok(view.slots.into_iter().map(|s| (s.staff_id, s.start_at)).collect())
    }

    /// Slots to offer for what `memory` asks, looking a week further when its days are full.
    async fn suggest(
        &self,
        memory: &State,
        service: Uuid,
        staff: Option<Uuid>,
    ) -> ApiResult<Vec<Suggestion>> {
        let today = self.local_now.date();
        let (first, days) = flow::days(memory.date, memory.date_to, today);
        let first = first.max(today);
        let want = |date: chrono::NaiveDate| match memory.time {
            Some(t) => Want::Near(date.and_time(t)),
            None => Want::Within(memory.part_of_day),
        };
        let name = |id| self.staff_name(id);
        let slots = self.slots(service, staff, first, days).await?;
        if !slots.is_empty() {
            return Ok(flow::offer(&slots, self.tz, want(first), OFFER, name));
        }
        let next = first + chrono::Duration::days(days.into());
        let slots = self.slots(service, staff, next, 7).await?;
        // The first free day after the asked ones, near the same time.
        let day = slots.first().map(|(_, s)| flow::local(self.tz, *s).date());
        let on_day: Vec<_> =
            slots.into_iter().filter(|(_, s)| Some(flow::local(self.tz, *s).date()) == day).collect();
        Ok(day.map_or_else(Vec::new, |d| flow::offer(&on_day, self.tz, want(d), OFFER, name)))
    }

    fn offer_question(&self, suggestions: &[Suggestion], ask: &str) -> String {
        if suggestions.is_empty() {
            format!("There is no free time in the next days. {ask}")
        } else {
            format!("{}. {ask}", flow::offered(suggestions))
        }
    }

    async fn book(&self, memory: &mut State) -> ApiResult<Outcome> {
        let client = self.client()?;
        let Some(service) = memory.service_id else {
            let names: Vec<String> = self.vocab.services.iter().take(5).map(|e| e.name.clone()).collect();
            let question = if names.is_empty() {
                "Which service would you like?".to_owned()
            } else {
                format!("Which service would you like? For example: {}.", flow::either(&names, "or"))
            };
            return Ok(Outcome::ask("service", question, Vec::new()));
        };
        let (Some(date), Some(time)) = (memory.date, memory.time) else {
            let suggestions = self.suggest(memory, service, memory.staff_id).await?;
            memory.suggestions.clone_from(&suggestions);
            let (missing, ask) =
                if memory.date.is_none() { ("date", "Which day?") } else { ("time", "Which time?") };
            return Ok(Outcome::ask(missing, self.offer_question(&suggestions, ask), suggestions));
        };
        let Some(start) = memory.start_at.or_else(|| flow::instant(self.tz, date.and_time(time))) else {
            return self
                .taken(memory, service, "That time does not exist on that day (the clocks change).")
                .await;
        };
        if start <= self.now {
            let why = format!("{} has passed.", flow::when(date.and_time(time)));
            return self.taken(memory, service, &why).await;
        }
        let req = CreateBookingRequest {
            service_id: service,
            start_at: start.fixed_offset(),
            staff_id: memory.staff_id,
            client_id: Some(client),
            notes: None,
        };
        match booking::create(self.db(), &self.state.jobs.config, self.caller, req, None).await {
            Ok((_, view)) => {
                let mut message = format!(
                    "Booked: {} with {} on {}.",
                    self.service_name(view.service_id),
                    self.staff_name(view.staff_id),
                    flow::when(flow::local(self.tz, view.start_at)),
                );
                if let (Some(deposit), Some(until)) = (view.deposit_cents, view.hold_until) {
                    message.push_str(&format!(
                        " It is held until {} for a deposit of {} {}.",
                        flow::when(flow::local(self.tz, until)),
                        crate::invoices::receipt::money(deposit, &self.currency),
                        self.currency
                    ));
                }
                memory.finish(Some(view.id));
                Ok(Outcome::done(ReplyStatus::Booked, message, Some(view)))
            }
            Err(ApiError::SlotUnavailable { .. }) => {
                let what = match memory.staff_id {
                    Some(staff) => format!(
                        "{} is not free on {}.",
                        self.staff_name(staff),
                        flow::when(date.and_time(time))
                    ),
                    None => format!("{} is taken.", flow::when(date.and_time(time))),
                };
                self.taken(memory, service, &what).await
            }
            Err(ApiError::Validation(errors)) if errors.iter().any(|e| e.field == "staff_id") => {
                let staff = memory.staff_id.take().map_or_else(String::new, |s| self.staff_name(s));
                let question = format!(
                    "{staff} does not do {}. Shall someone else do it, or another service?",
                    self.service_name(service)
                );
                Ok(Outcome::ask("staff", question, Vec::new()))
            }
            Err(e) => Err(e),
        }
    }

    /// The requested time cannot be had: the nearest free ones instead.
    async fn taken(&self, memory: &mut State, service: Uuid, why: &str) -> ApiResult<Outcome> {
        let suggestions = self.suggest(memory, service, memory.staff_id).await?;
        memory.suggestions.clone_from(&suggestions);
        let question = format!("{why} {}", self.offer_question(&suggestions, "Which would you like?"));
        Ok(Outcome::ask("time", question, suggestions))
    }

    /// The client's upcoming bookings the caller may act on: a staff member's own
    /// appointments only, as in v1.
    async fn upcoming(&self) -> ApiResult<Vec<bookings::Model>> {
        let staff = if self.caller.is(Role::Staff) {
            match crate::staff::store::find_by_user(self.db(), self.caller.id).await? {
                Some(profile) => Some(profile.id),
                None => return Ok(Vec::new()),
            }
        } else {
            None
        };
        Ok(store::upcoming(self.db(), self.client()?, staff, self.now).await?)
    }

    /// The booking a move or cancellation is about: of the service named, if one was (and
    /// none if the client has none of it); else the one this conversation made or chose;
    /// else the client's next one. `Err` carries the sentence saying there is none.
    async fn target(
        &self,
        memory: &State,
        day: Option<chrono::NaiveDate>,
    ) -> ApiResult<Result<bookings::Model, String>> {
        let upcoming = self.upcoming().await?;
        let on_day = |b: &&bookings::Model| day.is_none_or(|d| flow::local(self.tz, b.start_at).date() == d);
        let found = match memory.service_id {
            Some(service) => upcoming.iter().filter(on_day).find(|b| b.service_id == service),
            None => memory
                .booking_id
                .and_then(|id| upcoming.iter().filter(on_day).find(|b| b.id == id))
                .or_else(|| upcoming.iter().find(on_day)),
        };
        Ok(found.cloned().ok_or_else(|| {
            let what = memory.service_id.map_or_else(|| "appointment".to_owned(), |s| self.service_name(s));
            match day {
                Some(d) => format!("You have no upcoming {what} on {}.", flow::day(d)),
                None => format!("You have no upcoming {what}."),
            }
        }))
    }

    fn describe(&self, b: &bookings::Model) -> String {
        format!(
            "{} with {} on {}",
            self.service_name(b.service_id),
            self.staff_name(b.staff_id),
            flow::when(flow::local(self.tz, b.start_at))
        )
    }

    async fn reschedule(&self, memory: &mut State) -> ApiResult<Outcome> {
        let target = match self.target(memory, None).await? {
            Ok(b) => b,
            Err(none) => {
                memory.finish(None);
                return Ok(Outcome::done(ReplyStatus::Unchanged, none, None));
            }
        };
        memory.booking_id = Some(target.id);
        memory.service_id = Some(target.service_id);
        let current = flow::local(self.tz, target.start_at);
        if memory.date.is_none() && memory.time.is_none() && memory.part_of_day.is_none() {
            let question = format!("When would you like to move your {} to?", self.describe(&target));
            return Ok(Outcome::ask("time", question, Vec::new()));
        }
        let date = memory.date.unwrap_or(current.date());
        memory.date = Some(date);
        let staff = memory.staff_id.unwrap_or(target.staff_id);
        let Some(time) = memory.time else {
            let suggestions = self.suggest(memory, target.service_id, Some(staff)).await?;
            memory.suggestions.clone_from(&suggestions);
            return Ok(Outcome::ask("time", self.offer_question(&suggestions, "Which time?"), suggestions));
        };
        let start = memory.start_at.or_else(|| flow::instant(self.tz, date.and_time(time)));
        let Some(start) = start.filter(|s| *s > self.now) else {
            return self.taken(memory, target.service_id, "That time cannot be booked.").await;
        };
        let req =
            RescheduleRequest { start_at: Some(start.fixed_offset()), staff_id: Some(staff), notes: None };
        match booking::reschedule(self.db(), &self.state.jobs.config, self.caller, target.id, req).await {
            Ok(view) => {
                let message = format!(
                    "Moved: your {} is now on {} with {}.",
                    self.service_name(view.service_id),
                    flow::when(flow::local(self.tz, view.start_at)),
                    self.staff_name(view.staff_id)
                );
                memory.finish(Some(view.id));
                Ok(Outcome::done(ReplyStatus::Rescheduled, message, Some(view)))
            }
            Err(ApiError::SlotUnavailable { .. }) => {
                memory.staff_id = Some(staff);
                let why =
                    format!("{} is not free on {}.", self.staff_name(staff), flow::when(date.and_time(time)));
                self.taken(memory, target.service_id, &why).await
            }
            Err(e) => Err(e),
        }
    }

    async fn ask_cancel(&self, memory: &mut State, p: &Parsed) -> ApiResult<Outcome> {
        // "Cancel my appointment on Friday": the one on that day.
        let target = match self.target(memory, p.date).await? {
            Ok(b) => b,
            Err(none) => {
                memory.finish(None);
                return Ok(Outcome::done(ReplyStatus::Unchanged, none, None));
            }
        };
        memory.booking_id = Some(target.id);
        memory.confirm_cancel = true;
        let question = format!("Cancel your {}? Please say yes or no.", self.describe(&target));
        Ok(Outcome::ask("confirmation", question, Vec::new()))
    }

    async fn cancel(&self, memory: &mut State) -> ApiResult<Outcome> {
        // Still one of this client's upcoming bookings that the caller may act on.
        let upcoming = self.upcoming().await?;
        let Some(id) = memory.booking_id.filter(|id| upcoming.iter().any(|b| b.id == *id)) else {
            memory.finish(None);
            return Ok(Outcome::done(
                ReplyStatus::Unchanged,
                "That appointment is no longer upcoming.".into(),
                None,
            ));
        };
        let reason = Some("cancelled by voice".to_owned());
        let view =
            booking::transition(self.db(), &self.state.jobs.config, self.caller, id, Action::Cancel, reason)
                .await?;
        let message = format!(
            "Cancelled your {} on {}.",
            self.service_name(view.service_id),
            flow::when(flow::local(self.tz, view.start_at))
        );
        memory.finish(None);
        Ok(Outcome::done(ReplyStatus::Cancelled, message, Some(view)))
    }

    /// "When is Jane free on Saturday?": for the service named, or the shortest one the
    /// staff member named performs.
    async fn availability(&self, memory: &mut State) -> ApiResult<Outcome> {
        let service = match memory.service_id {
            Some(s) => Some(s),
            None => match memory.staff_id {
                Some(staff) => self.shortest_service(staff).await?,
                None => None,
            },
        };
        let Some(service) = service else {
            let names: Vec<String> = self.vocab.services.iter().take(5).map(|e| e.name.clone()).collect();
            let question = format!("For which service? For example: {}.", flow::either(&names, "or"));
            return Ok(Outcome::ask("service", question, Vec::new()));
        };
        // A pick from these books this service.
        memory.service_id = Some(service);
        let suggestions = self.suggest(memory, service, memory.staff_id).await?;
        memory.suggestions.clone_from(&suggestions);
        let message = if suggestions.is_empty() {
            "There is no free time in the next days.".to_owned()
        } else {
            format!("{} (for {}). Shall I book one?", flow::offered(&suggestions), self.service_name(service))
        };
        Ok(Outcome {
            status: ReplyStatus::Available,
            question: (!suggestions.is_empty()).then(|| message.clone()),
            message,
            missing: Vec::new(),
            suggestions,
            booking: None,
        })
    }

    async fn shortest_service(&self, staff: Uuid) -> ApiResult<Option<Uuid>> {
        let ids = crate::staff::store::service_ids(self.db(), &[staff], true)
            .await?
            .remove(&staff)
            .unwrap_or_default();
        let services = crate::catalog::store::find_services(self.db(), ids).await?;
        Ok(services
            .into_iter()
            .filter(|s| s.is_active)
            .min_by_key(|s| (s.duration_minutes, s.name.clone()))
            .map(|s| s.id))
    }
}

/// What a front end already understood (Dialogflow's parameters): used where the text
/// itself left a slot empty.
#[derive(Debug, Default)]
pub struct Hints {
    pub service: Option<String>,
    pub staff: Option<String>,
    /// `YYYY-MM-DD`, an RFC 3339 date-time (its date), or words.
    pub date: Option<String>,
    /// `HH:MM`, an RFC 3339 date-time (its time), or words.
    pub time: Option<String>,
}

impl Hints {
    fn fill(&self, p: &mut Parsed, now: NaiveDateTime, vocab: &Vocabulary) {
        fn read<'s>(
            s: &'s Option<String>,
            now: NaiveDateTime,
            vocab: &Vocabulary,
        ) -> Option<(&'s str, Parsed)> {
            let s = s.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            Some((s, nlu::parse(s, now, vocab)))
        }
        if p.service.is_none()
            && let Some((_, h)) = read(&self.service, now, vocab)
        {
            p.service = h.service;
        }
        if p.staff.is_none()
            && let Some((_, h)) = read(&self.staff, now, vocab)
        {
            p.staff = h.staff;
        }
        if p.date.is_none()
            && let Some((text, h)) = read(&self.date, now, vocab)
        {
            p.date =
                text.get(..10).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).or(h.date);
        }
        if p.time.is_none()
            && let Some((text, h)) = read(&self.time, now, vocab)
        {
            let clock = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
            p.time = text.get(11..16).and_then(clock).or_else(|| text.get(..5).and_then(clock)).or(h.time);
        }
    }
}

// Synonyms.

fn normalized(phrase: &str) -> ApiResult<String> {
    let n = nlu::normalize(phrase);
    if n.is_empty() {
        return Err(ApiError::field("phrase", "must contain a letter or a digit"));
    }
    Ok(n)
}

/// Adds a phrase for a service or staff member.
///
/// # Errors
/// 422 for a phrase without letters or an unknown (or inactive) target; 409
/// `synonym-exists` when the phrase already stands for something of that kind.
pub async fn add_synonym(db: &DatabaseConnection, req: NewSynonym) -> ApiResult<SynonymView> {
    let normalized = normalized(&req.phrase)?;
    let vocab = store::vocabulary(db).await?;
    let entries = if req.kind == SynonymKind::Service { &vocab.services } else { &vocab.staff };
    let target = entries
        .iter()
        .find(|e| e.id == req.target_id)
        .ok_or_else(|| ApiError::field("target_id", format!("no such active {}", req.kind.as_str())))?;
    let row = voice_synonyms::Model {
        id: Uuid::now_v7(),
        kind: req.kind.as_str().to_owned(),
        target_id: req.target_id,
        phrase: req.phrase.trim().to_owned(),
        normalized,
        created_at: Utc::now(),
    };
    let _writer = crate::db::sqlite_writer(db).await;
    voice_synonyms::Entity::insert(voice_synonyms::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            crate::error::on_constraint(
                e,
                &[
                    (
                        "voice_synonyms_phrase",
                        "synonym-exists",
                        "this phrase already stands for something of that kind",
                    ),
                    (
                        "UNIQUE constraint failed: voice_synonyms",
                        "synonym-exists",
                        "this phrase already stands for something of that kind",
                    ),
                ],
            )
        })?;
    Ok(SynonymView {
        id: row.id,
        kind: req.kind,
        target_id: row.target_id,
        target_name: target.name.clone(),
        phrase: row.phrase,
        created_at: row.created_at,
    })
}

/// # Errors
/// Database failures only.
pub async fn synonyms(db: &DatabaseConnection, q: SynonymQuery) -> ApiResult<Page<SynonymView>> {
    let window = Window::new(q.limit, q.offset);
    let page = fetch(db, store::synonyms(q.kind.map(SynonymKind::as_str)), window).await?;
    let services = crate::catalog::store::find_services(
        db,
        page.items.iter().filter(|s| s.kind == "service").map(|s| s.target_id).collect(),
    )
    .await?;
    let staff_ids: Vec<Uuid> = page.items.iter().filter(|s| s.kind == "staff").map(|s| s.target_id).collect();
    let staff = crate::entity::staff::Entity::find()
        .filter(crate::entity::staff::Column::Id.is_in(staff_ids))
        .all(db)
        .await?;
    Ok(page.map(|s| {
        let target_name = if s.kind == "service" {
            services.iter().find(|x| x.id == s.target_id).map(|x| x.name.clone())
        } else {
            staff.iter().find(|x| x.id == s.target_id).map(|x| x.display_name.clone())
        };
        SynonymView {
            id: s.id,
            kind: if s.kind == "service" { SynonymKind::Service } else { SynonymKind::Staff },
            target_id: s.target_id,
            target_name: target_name.unwrap_or_default(),
            phrase: s.phrase,
            created_at: s.created_at,
        }
    }))
}

/// # Errors
/// `NotFound`.
pub async fn remove_synonym(db: &DatabaseConnection, id: Uuid) -> ApiResult<()> {
    let _writer = crate::db::sqlite_writer(db).await;
    let gone = voice_synonyms::Entity::delete_by_id(id).exec(db).await?.rows_affected;
    if gone == 0 { Err(ApiError::NotFound("synonym")) } else { Ok(()) }
}
