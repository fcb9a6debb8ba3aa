//! aiosmtpd (tests/support/smtp_sink.py) as a real SMTP server for tests
//! that read what was delivered.

use std::{
    io::Write,
    process::{Child, Command, Stdio},
};

/// aiosmtpd on a loopback port, writing messages into a folder.
pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().expect("mail dir");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("read READY");
        assert_eq!(line.trim(), "READY", "aiosmtpd did not start: {line}");
        SmtpSink { child, dir }
    }

    /// Every delivered message, raw, in delivery order.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// The `Message-ID` of every delivered message, in delivery order.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    .map(|l| l["message-id:".len()..].trim().to_string())
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"");
        }
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
