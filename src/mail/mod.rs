//! Outgoing mail: one `Mailer` with SMTP (production), file (laptop default:
//! one `.eml` per message) and memory (tests) backends. Mail is never sent
//! inline from a request: callers enqueue a `mail` job in their transaction
//! and the worker delivers it, retrying while the server is unreachable.

pub mod suppression;
pub mod templates;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart, SinglePart,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use serde::{Deserialize, Serialize};

use crate::config::MailerConfig;

/// A fully rendered message, as stored in a `mail` job's payload.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Extra headers such as `List-Unsubscribe`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// A message as the memory backend kept it.
#[derive(Clone, Debug)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub headers: Vec<(String, String)>,
    pub raw: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: connection refused, 4xx, timeouts.
    #[error("transient mail failure: {0}")]
    Transient(String),
    /// The server refused for good (5xx) or the message is malformed.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(PathBuf),
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

impl Mailer {
    pub fn from_config(config: &MailerConfig) -> anyhow::Result<Self> {
        Ok(match config {
            MailerConfig::Smtp(url) => Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("COMMONS_SMTP_URL: {e}"))?
                    .build(),
            ),
            MailerConfig::File(dir) => {
                std::fs::create_dir_all(dir)?;
                Mailer::File(dir.clone())
            }
            MailerConfig::Memory => Mailer::Memory(Arc::default()),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Mailer::Smtp(_) => "smtp",
            Mailer::File(_) => "file",
            Mailer::Memory(_) => "memory",
        }
    }

    /// The mailer's state for `/readyz`: whether the SMTP server answers.
    /// Checked at most every 15 seconds, so probes do not flood it.
    pub async fn status(&self) -> serde_json::Value {
        static LAST: Mutex<Option<(std::time::Instant, bool, String)>> = Mutex::new(None);
        let Mailer::Smtp(transport) = self else {
            return serde_json::json!({ "transport": self.kind(), "status": "ok" });
        };
        let cached = LAST.lock().ok().and_then(|last| {
            last.as_ref()
                .filter(|(at, ..)| at.elapsed() < std::time::Duration::from_secs(15))
                .map(|(_, ok, error)| (*ok, error.clone()))
        });
        let (ok, error) = match cached {
            Some(found) => found,
            None => {
                let (ok, error) = match transport.test_connection().await {
                    Ok(true) => (true, String::new()),
                    Ok(false) => (false, "the SMTP server did not answer".to_string()),
                    Err(e) => (false, e.to_string()),
                };
                if let Ok(mut last) = LAST.lock() {
                    *last = Some((std::time::Instant::now(), ok, error.clone()));
                }
                (ok, error)
            }
        };
        if ok {
            serde_json::json!({ "transport": "smtp", "status": "ok" })
        } else {
            serde_json::json!({ "transport": "smtp", "status": "unavailable", "error": error })
        }
    }

    /// Messages the memory backend has kept (empty for other backends).
    pub fn sent(&self) -> Vec<SentMail> {
        match self {
            Mailer::Memory(store) => store.lock().map(|s| s.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    pub async fn send(&self, from: &str, mail: &OutgoingMail) -> Result<(), MailError> {
        self.send_as(from, mail, None).await
    }

    /// Sends `mail` with the given `Message-ID` (one is generated when
    /// `None`). A retried delivery passes the same id, so the recipient's
    /// mail system and the recipient can tell it is the same message.
    pub async fn send_as(
        &self,
        from: &str,
        mail: &OutgoingMail,
        message_id: Option<String>,
    ) -> Result<(), MailError> {
        let message = build_message(from, mail, message_id)?;
        match self {
            Mailer::Smtp(transport) => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
                Err(e) => Err(MailError::Transient(e.to_string())),
            },
            Mailer::File(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
                    uuid::Uuid::new_v4().simple()
                );
                tokio::fs::write(dir.join(name), message.formatted())
                    .await
                    .map_err(|e| MailError::Transient(e.to_string()))
            }
            Mailer::Memory(store) => {
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                if let Ok(mut store) = store.lock() {
                    store.push(SentMail {
                        to: mail.to.clone(),
                        subject: mail.subject.clone(),
                        text: mail.text.clone(),
                        html: mail.html.clone(),
                        headers: mail.headers.clone(),
                        raw,
                    });
                }
                Ok(())
            }
        }
    }
}

/// A stable `Message-ID` for the delivery identified by `key` (a mail job's
/// dedupe key, or its id): the same key always gives the same id, on the
/// domain of the sender's address.
pub fn message_id_for(from: &str, key: &str) -> String {
    use sha2::Digest as _;
    let domain = from
        .parse::<Mailbox>()
        .ok()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|| "localhost".into());
    let digest = sha2::Sha256::digest(key.as_bytes());
    format!("<{}@{domain}>", hex::encode(&digest[..16]))
}

fn build_message(
    from: &str,
    mail: &OutgoingMail,
    message_id: Option<String>,
) -> Result<Message, MailError> {
    let permanent = |e: &dyn std::fmt::Display| MailError::Permanent(e.to_string());
    let from: Mailbox = from.parse().map_err(|e| permanent(&e))?;
    let to = Mailbox::new(
        Some(mail.to_name.clone()),
        mail.to.parse().map_err(|e| permanent(&e))?,
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(message_id);
    for (name, value) in &mail.headers {
        let name = HeaderName::new_from_ascii(name.clone()).map_err(|e| permanent(&e))?;
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text.clone());
    let result = match &mail.html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
        ),
        None => builder.singlepart(text),
    };
    result.map_err(|e| permanent(&e))
}
