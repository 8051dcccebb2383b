//! A small SMTP server the tests start: it speaks enough of RFC 5321 for a real client
//! (lettre) and keeps every message it accepted. A message counts as delivered only once the
//! sink has answered `250` to its data, as a real server commits it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    stall: Arc<Stall>,
    task: tokio::task::JoinHandle<()>,
}

/// A sink may hold the next message: read it whole, never answer, and drop it when the
/// client goes away (as a real server drops a message it never acknowledged).
#[derive(Default)]
struct Stall {
    next: AtomicBool,
    held: AtomicUsize,
}

/// A port nothing listens on (yet): a mail server that is down.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind the SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let stall = Arc::new(Stall::default());
        let (kept, held) = (mails.clone(), stall.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (kept, held) = (kept.clone(), held.clone());
                tokio::spawn(async move {
                    let _ = session(stream, kept, held).await;
                });
            }
        });
        SmtpSink { port, mails, stall, task }
    }

    /// The next message is held unanswered (see [`Stall`]).
    pub fn hold_next(&self) {
        self.stall.next.store(true, Ordering::SeqCst);
    }

    /// How many messages were held so far.
    pub fn held(&self) -> usize {
        self.stall.held.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<Mail>>>,
    stall: Arc<Stall>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if tokio::time::timeout(Duration::from_secs(30), lines.read_line(&mut line))
            .await
            .ok()
            .transpose()?
            .unwrap_or(0)
            == 0
        {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line.trim_end()[10..].trim().to_owned();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line.trim_end()[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(()); // cut off mid-message: never acknowledged, so not delivered
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
            }
            if stall.next.swap(false, Ordering::SeqCst) {
                stall.held.fetch_add(1, Ordering::SeqCst);
                while lines.read_line(&mut line).await? > 0 {}
                return Ok(()); // the client went away before the answer: not delivered
            }
            kept.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data });
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
