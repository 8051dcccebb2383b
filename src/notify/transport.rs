//! Where messages go: SMTP (lettre) for email, a Twilio-compatible HTTP API (reqwest,
//! rustls) for SMS, and the `log` transport for either when it is not configured.

use std::time::Duration;

use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmsConfig};

/// Why a message was not delivered.
#[derive(Debug)]
pub enum SendError {
    /// Try again later (the server is down, busy, or timed out).
    Transient(String),
    /// The message cannot be delivered as it is (a malformed address, a refused number).
    Permanent(String),
}

/// What an email may carry besides its plain text.
#[derive(Debug, Default)]
pub struct EmailExtras {
    pub html: Option<String>,
    pub attachment: Option<EmailAttachment>,
}

#[derive(Debug)]
pub struct EmailAttachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub struct Transports {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    sms: Option<(reqwest::Client, SmsConfig)>,
}

impl Transports {
    /// # Errors
    /// A malformed `SMTP_URL` or `SMTP_FROM` (named, never shown: the URL holds a password).
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let smtp = match &config.smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not valid: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
        };
        let from =
            config.smtp_from.parse().map_err(|e| anyhow::anyhow!("SMTP_FROM is not a valid address: {e}"))?;
        let sms = match &config.sms {
            None => None,
            Some(sms) => {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
                Some((client, sms.clone()))
            }
        };
        Ok(Self { smtp, from, sms })
    }

    /// The transport email goes through: `smtp` or `log`.
    pub fn email_transport(&self) -> &'static str {
        if self.smtp.is_some() { "smtp" } else { "log" }
    }

    /// The transport SMS goes through: `sms-http` or `log`.
    pub fn sms_transport(&self) -> &'static str {
        if self.sms.is_some() { "sms-http" } else { "log" }
    }

    /// Sends one email: `body` as plain text, with an HTML alternative and an attachment
    /// when `extras` has them. `message_id` is stable across retries, so a receiver can tell
    /// a repeated delivery (after a crash between sending and recording) from a new message.
    pub async fn send_email(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
        extras: &EmailExtras,
    ) -> Result<(), SendError> {
        let Some(smtp) = &self.smtp else {
            let attachment = extras.attachment.as_ref().map(|a| a.file_name.as_str());
            tracing::info!(transport = "log", channel = "email", %to, %subject, %body, ?attachment, "message");
            return Ok(());
        };
        let to: Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_owned()));
        let message = match extras {
            EmailExtras { html: None, attachment: None } => {
                builder.header(ContentType::TEXT_PLAIN).body(body.to_owned())
            }
            EmailExtras { html, attachment } => {
                let mut parts = match html {
                    Some(html) => MultiPart::mixed()
                        .multipart(MultiPart::alternative_plain_html(body.to_owned(), html.clone())),
                    None => MultiPart::mixed().singlepart(SinglePart::plain(body.to_owned())),
                };
                if let Some(a) = attachment {
                    let kind = ContentType::parse(&a.content_type)
                        .map_err(|e| SendError::Permanent(format!("attachment type: {e}")))?;
                    parts =
                        parts.singlepart(Attachment::new(a.file_name.clone()).body(a.bytes.clone(), kind));
                }
                builder.multipart(parts)
            }
        }
        .map_err(|e| SendError::Permanent(format!("message: {e}")))?;
        match smtp.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }

    /// Sends one SMS (`POST .../Messages.json`, form `To`, `From`, `Body`, basic auth).
    pub async fn send_sms(&self, to: &str, body: &str) -> Result<(), SendError> {
        let Some((client, sms)) = &self.sms else {
            tracing::info!(transport = "log", channel = "sms", %to, %body, "message");
            return Ok(());
        };
        let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", sms.api_base, sms.account_sid);
        let res = client
            .post(url)
            .basic_auth(&sms.account_sid, Some(&sms.auth_token))
            .form(&[("To", to), ("From", sms.from.as_str()), ("Body", body)])
            .send()
            .await
            // Without the URL: reqwest's error text would name the account.
            .map_err(|e| SendError::Transient(format!("SMS API unreachable: {}", e.without_url())))?;
        let status = res.status();
        if status.is_success() {
            return Ok(());
        }
        let text: String = res.text().await.unwrap_or_default().chars().take(300).collect();
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Transient(format!("SMS API answered {status}: {text}")))
        } else {
            Err(SendError::Permanent(format!("SMS API answered {status}: {text}")))
        }
    }
}
