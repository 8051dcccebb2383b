//! Dialogflow's webhook format around the same conversation: ES sends `queryResult`
//! (`queryText`, `parameters`) and reads `fulfillmentText` / `fulfillmentMessages`; CX sends
//! `text` and `sessionInfo` (`session`, `parameters`) and reads `fulfillmentResponse`. The
//! agent's session path keys the conversation, so a phone call is one session.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::model::VoiceReply;
use super::service::Hints;

#[derive(Debug, Default, Deserialize, garde::Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
#[garde(allow_unvalidated)]
pub struct WebhookRequest {
    /// ES: the session path (`projects/…/agent/sessions/…`).
    pub session: Option<String>,
    /// ES: what the agent heard, and the parameters it filled.
    #[serde(default, deserialize_with = "object_only")]
    pub query_result: Option<QueryResult>,
    /// CX: the session path and its parameters.
    #[serde(default, deserialize_with = "object_only")]
    pub session_info: Option<SessionInfo>,
    /// CX: the user's text (at most 2,000 characters).
    #[schema(max_length = 2000)]
    pub text: Option<String>,
    /// CX: the transcript of what the user said (voice; at most 2,000 characters).
    #[schema(max_length = 2000)]
    pub transcript: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    /// What the user said or typed (at most 2,000 characters).
    #[schema(max_length = 2000)]
    pub query_text: Option<String>,
    /// `client_id` (staff and admin tokens talk for that client), and `service`, `staff`,
    /// `date`, `time` where the agent's own entities found them.
    #[schema(schema_with = crate::docs::nul_free_object)]
    pub parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub session: Option<String>,
    /// As in ES's `queryResult.parameters`.
    #[schema(schema_with = crate::docs::nul_free_object)]
    pub parameters: Option<Map<String, Value>>,
}

/// A nested object read only from a JSON object (serde would also read a struct from an array).
fn object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    use std::marker::PhantomData;

    use serde::de::value::MapAccessDeserializer;
    use serde::de::{Deserializer, MapAccess, Visitor};

    struct Object<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }
        // Read straight from the map (not through an intermediate `Value`), so fields the
        // struct ignores stay ignored for the NUL check of `crate::extract`.
        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
    }
    deserializer.deserialize_option(Object(PhantomData))
}

impl WebhookRequest {
    pub fn is_cx(&self) -> bool {
        self.query_result.is_none()
    }

    /// Every text the request carries: ES's `queryResult.queryText`, CX's `text` and `transcript`.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let es = self.query_result.as_ref().and_then(|q| q.query_text.as_deref());
        [es, self.text.as_deref(), self.transcript.as_deref()].into_iter().flatten()
    }

    /// What the user said: the first of [`Self::texts`] that is not blank.
    pub fn text(&self) -> Option<&str> {
        self.texts().find(|t| !t.trim().is_empty())
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref().or(self.session_info.as_ref().and_then(|s| s.session.as_deref()))
    }

    fn parameters(&self) -> Option<&Map<String, Value>> {
        self.query_result
            .as_ref()
            .and_then(|q| q.parameters.as_ref())
            .or(self.session_info.as_ref().and_then(|s| s.parameters.as_ref()))
    }

    fn parameter(&self, names: &[&str]) -> Option<String> {
        let params = self.parameters()?;
        names.iter().find_map(|n| text_of(params.get(*n)?))
    }

    pub fn client_id(&self) -> Option<String> {
        self.parameter(&["client_id"])
    }

    pub fn hints(&self) -> Hints {
        Hints {
            service: self.parameter(&["service"]),
            staff: self.parameter(&["staff", "stylist"]),
            date: self.parameter(&["date"]),
            time: self.parameter(&["time"]),
        }
    }
}

/// A parameter as text. Besides strings: CX's `@sys.date` (`{"year", "month", "day"}`) and
/// `@sys.time` (`{"hours", "minutes"}`) as `YYYY-MM-DD` / `HH:MM`, ES's date-time and period
/// objects by their start (`date_time`, `startDate`, `startDateTime`), and the first of a list.
fn text_of(v: &Value) -> Option<String> {
    let number = |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_f64).map(|n| n as i64);
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(text_of),
        Value::Object(o) => {
            if let (Some(y), Some(m), Some(d)) = (number(o, "year"), number(o, "month"), number(o, "day")) {
                return Some(format!("{y:04}-{m:02}-{d:02}"));
            }
            if let Some(h) = number(o, "hours") {
                return Some(format!("{h:02}:{:02}", number(o, "minutes").unwrap_or(0)));
            }
            ["date_time", "startDateTime", "startDate", "startTime"].iter().find_map(|k| text_of(o.get(*k)?))
        }
        _ => None,
    }
}

/// A webhook response in the request's dialect (the fields the other dialect reads are left
/// out); `payload.salon` carries the whole reply.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    /// ES.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_text: Option<String>,
    /// ES: `[{"text": {"text": ["…"]}}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub fulfillment_messages: Option<Value>,
    /// CX: `{"messages": [{"text": {"text": ["…"]}}]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub fulfillment_response: Option<Value>,
    /// CX: parameters set on the session: `salon_session_id`, `salon_status`, `booking_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub session_info: Option<Value>,
    /// `{"salon": <the reply of POST /api/v2/voice/booking>}`, or for a refused turn
    /// `{"salon": {"status": "refused", "problem": <the problem document>}}`.
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// A turn the booking rules refused (a cancellation inside the window, …): said to the
/// caller like any other answer, since an agent cannot read a problem document.
pub fn refused(cx: bool, problem: &Value) -> WebhookResponse {
    let detail = problem["detail"].as_str().unwrap_or("That cannot be done.");
    let message = format!("Sorry, that cannot be done: {detail}.");
    say(cx, &message, json!({"salon": {"status": "refused", "problem": problem}}), None)
}

/// A call with no text (an event such as the agent's welcome, or silence): ask what to book.
pub fn prompt(cx: bool) -> WebhookResponse {
    let message = "What would you like to book? For example: a men's cut with Jane next Friday at 3pm.";
    say(cx, message, json!({"salon": {"status": "needs_text"}}), None)
}

pub fn respond(cx: bool, reply: &VoiceReply) -> WebhookResponse {
    let parameters = json!({
        "salon_session_id": reply.session_id,
        "salon_status": reply.status,
        "booking_id": reply.booking.as_ref().map(|b| b.id),
    });
    say(cx, &reply.message, json!({"salon": reply}), Some(parameters))
}

fn say(cx: bool, message: &str, payload: Value, parameters: Option<Value>) -> WebhookResponse {
    let messages = json!([{"text": {"text": [message]}}]);
    if cx {
        WebhookResponse {
            fulfillment_text: None,
            fulfillment_messages: None,
            fulfillment_response: Some(json!({"messages": messages})),
            session_info: parameters.map(|p| json!({"parameters": p})),
            payload,
        }
    } else {
        WebhookResponse {
            fulfillment_text: Some(message.to_owned()),
            fulfillment_messages: Some(messages),
            fulfillment_response: None,
            session_info: None,
            payload,
        }
    }
}
