//! Voice requests and replies: what was understood (`ParsedView`) and what the conversation
//! did with it (`VoiceReply`).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::nlu;
use crate::booking::model::BookingView;

/// The longest text a turn may carry: a spoken request is a sentence or two.
pub const MAX_TEXT: usize = 2000;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ParseRequest {
    /// What the user said or typed (1 to 2,000 characters).
    #[garde(length(chars, min = 1, max = MAX_TEXT))]
    #[schema(min_length = 1, max_length = 2000, example = "Book a men's cut with Jane next Friday at 3pm")]
    pub text: String,
    /// The instant relative words ("tomorrow", "next Friday") count from, read in the salon's
    /// time zone; default: now.
    #[garde(skip)]
    #[schema(value_type = Option<String>, format = DateTime, example = "2019-03-01T10:00:00Z")]
    pub now: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct VoiceRequest {
    /// What the user said or typed (1 to 2,000 characters).
    #[garde(length(chars, min = 1, max = MAX_TEXT))]
    #[schema(min_length = 1, max_length = 2000, example = "Book a men's cut with Jane next Friday at 3pm")]
    pub text: String,
    /// Continue this conversation (from an earlier reply); omit it (or send `""` or `null`,
    /// as some bot frameworks do for an empty variable) to start one.
    #[serde(default, deserialize_with = "blank_as_none")]
    #[garde(skip)]
    pub session_id: Option<Uuid>,
    /// Staff and admins talk for a client (needed to book, move or cancel); a client talks
    /// for themselves.
    #[garde(skip)]
    pub client_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Book,
    Reschedule,
    Cancel,
    Availability,
    Unknown,
}

impl From<nlu::Intent> for Intent {
    fn from(i: nlu::Intent) -> Self {
        match i {
            nlu::Intent::Book => Intent::Book,
            nlu::Intent::Reschedule => Intent::Reschedule,
            nlu::Intent::Cancel => Intent::Cancel,
            nlu::Intent::Availability => Intent::Availability,
            nlu::Intent::Unknown => Intent::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartOfDay {
    /// 08:00 to 12:00.
    Morning,
    /// 12:00 to 17:00.
    Afternoon,
    /// 17:00 to 21:00.
    Evening,
}

impl From<nlu::PartOfDay> for PartOfDay {
    fn from(p: nlu::PartOfDay) -> Self {
        match p {
            nlu::PartOfDay::Morning => PartOfDay::Morning,
            nlu::PartOfDay::Afternoon => PartOfDay::Afternoon,
            nlu::PartOfDay::Evening => PartOfDay::Evening,
        }
    }
}

/// A service or staff member the text named, matched against the live catalog and staff list
/// (and the synonyms admins added).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchView {
    pub id: Uuid,
    /// The catalog's name.
    pub name: String,
    /// 0 to 1: how closely the words matched (1 exactly, a name or a synonym).
    pub score: f64,
}

/// One piece of the text and what it was read as.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParsedSlot {
    /// `service`, `staff`, `date`, `time` or `part_of_day`.
    #[schema(example = "date")]
    pub name: String,
    /// The words, as written.
    #[schema(example = "next Friday")]
    pub text: String,
    /// Where they are: character (Unicode scalar) offsets into the text, `end` exclusive.
    pub start: usize,
    pub end: usize,
    /// The resolved value: `YYYY-MM-DD`, `HH:MM`, a part of day, or the catalog's name.
    #[schema(value_type = String, example = "2026-12-11")]
    pub value: serde_json::Value,
}

/// What a text was understood as, acting on nothing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParsedView {
    pub intent: Intent,
    pub service: Option<MatchView>,
    pub staff: Option<MatchView>,
    /// The local date (salon time zone); the first day of a range ("this weekend").
    pub date: Option<NaiveDate>,
    /// The last day of a range, when the text named one.
    pub date_to: Option<NaiveDate>,
    /// Local time, `HH:MM`.
    #[schema(example = "15:00")]
    pub time: Option<String>,
    /// A part of the day named instead of a time.
    pub part_of_day: Option<PartOfDay>,
    /// In text order.
    pub slots: Vec<ParsedSlot>,
}

impl From<&nlu::Parsed> for ParsedView {
    fn from(p: &nlu::Parsed) -> Self {
        let matched = |m: &nlu::Matched| MatchView { id: m.id, name: m.name.clone(), score: m.score };
        ParsedView {
            intent: p.intent.into(),
            service: p.service.as_ref().map(matched),
            staff: p.staff.as_ref().map(matched),
            date: p.date,
            date_to: p.date_to,
            time: p.time.map(|t| t.format("%H:%M").to_string()),
            part_of_day: p.part_of_day.map(Into::into),
            slots: p
                .slots
                .iter()
                .map(|s| ParsedSlot {
                    name: s.name.to_owned(),
                    text: s.text.clone(),
                    start: s.start,
                    end: s.end,
                    value: s.value.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStatus {
    /// A booking was made (201): `booking` holds it.
    Booked,
    /// The booking was moved: `booking` holds it.
    Rescheduled,
    /// The booking was cancelled: `booking` holds it.
    Cancelled,
    /// An answer to "when is … free": `suggestions` holds the free slots.
    Available,
    /// Something is missing, ambiguous or taken: `missing` says what, `question` asks for it,
    /// `suggestions` offers the free slots nearest the request. Answer with the same
    /// `session_id`.
    NeedsInput,
    /// Nothing to act on was understood: `question` asks again.
    NotUnderstood,
    /// Nothing was changed: the user said no to a cancellation, or has no upcoming
    /// appointment to move or cancel.
    Unchanged,
}

/// A free slot offered in a reply.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub start_at: DateTime<Utc>,
    /// Local date and time in the salon's time zone.
    pub date: NaiveDate,
    #[schema(example = "14:00")]
    pub time: String,
    pub staff_id: Uuid,
    pub staff_name: String,
}

/// What a turn of the conversation did.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceReply {
    pub status: ReplyStatus,
    /// The conversation to continue (it expires 30 minutes after its last turn).
    pub session_id: Uuid,
    /// A sentence to show or say: the confirmation, the answer or the question.
    #[schema(example = "Booked: Men's Haircut with Jane Doe on Fri 11 Dec at 15:00.")]
    pub message: String,
    /// The question to answer, when one is expected (`needs_input`, `not_understood`, and
    /// `available` when slots are offered).
    pub question: Option<String>,
    /// What is missing: `service`, `staff`, `date`, `time` or `confirmation` (a yes to a
    /// cancellation).
    pub missing: Vec<String>,
    /// Free slots nearest the request, earliest first.
    pub suggestions: Vec<Suggestion>,
    /// The booking made, moved or cancelled.
    pub booking: Option<BookingView>,
    /// What this turn's text was understood as.
    pub parsed: ParsedView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SynonymKind {
    Service,
    Staff,
}

impl SynonymKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SynonymKind::Service => "service",
            SynonymKind::Staff => "staff",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewSynonym {
    #[garde(skip)]
    pub kind: SynonymKind,
    /// The service or staff member the phrase stands for.
    #[garde(skip)]
    pub target_id: Uuid,
    /// How people say it: 1 to 100 characters with at least one letter or digit.
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "men's cut")]
    pub phrase: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SynonymView {
    pub id: Uuid,
    pub kind: SynonymKind,
    pub target_id: Uuid,
    /// The service's or staff member's name.
    pub target_name: String,
    pub phrase: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SynonymQuery {
    #[garde(skip)]
    pub kind: Option<SynonymKind>,
    /// 1 to 200, default 50.
    #[garde(inner(range(min = 1, max = 200)))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[garde(inner(range(max = 1_000_000)))]
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<u64>,
}

/// An optional UUID where an empty (or blank) string means none.
fn blank_as_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Uuid>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}
