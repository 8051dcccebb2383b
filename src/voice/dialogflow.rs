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
    pub query_result: Option<QueryResult>,
    /// CX: the session path and its parameters.
    pub session_info: Option<SessionInfo>,
    /// CX: the user's text.
    pub text: Option<String>,
    /// CX: the transcript of what the user said (voice).
    pub transcript: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    pub query_text: Option<String>,
    /// `client_id` (staff and admin tokens talk for that client), and `service`, `staff`,
    /// `date`, `time` where the agent's own entities found them.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub session: Option<String>,
    /// As in ES's `queryResult.parameters`.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Map<String, Value>>,
}

impl WebhookRequest {
    pub fn is_cx(&self) -> bool {
        self.query_result.is_none()
    }

    pub fn text(&self) -> Option<&str> {
        self.query_result
            .as_ref()
            .and_then(|q| q.query_text.as_deref())
            .or(self.text.as_deref())
            .or(self.transcript.as_deref())
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
        names.iter().find_map(|n| match params.get(*n)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            // Dialogflow's date-time entities may come as `{"date_time": "…"}` or similar.
            Value::Object(o) => o.values().find_map(|v| v.as_str().map(str::to_owned)),
            _ => None,
        })
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
    /// `{"salon": <the reply of POST /api/v2/voice/booking>}`.
    #[schema(value_type = Object)]
    pub payload: Value,
}

pub fn respond(cx: bool, reply: &VoiceReply) -> WebhookResponse {
    let messages = json!([{"text": {"text": [reply.message]}}]);
    let payload = json!({"salon": reply});
    if cx {
        WebhookResponse {
            fulfillment_text: None,
            fulfillment_messages: None,
            fulfillment_response: Some(json!({"messages": messages})),
            session_info: Some(json!({"parameters": {
                "salon_session_id": reply.session_id,
                "salon_status": reply.status,
                "booking_id": reply.booking.as_ref().map(|b| b.id),
            }})),
            payload,
        }
    } else {
        WebhookResponse {
            fulfillment_text: Some(reply.message.clone()),
            fulfillment_messages: Some(messages),
            fulfillment_response: None,
            session_info: None,
            payload,
        }
    }
}
