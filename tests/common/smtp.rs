//! A minimal SMTP client (to talk to Postfix's smtpd) and an SMTP sink (Postfix relays to it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// All lines, without the code and separator.
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
    pub fn is_ok(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

fn read_reply(r: &mut impl BufRead) -> std::io::Result<Reply> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_owned());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
}

pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    pub banner: Reply,
}

impl Client {
    pub fn connect(port: u16) -> std::io::Result<Self> {
        let mut c = Self::open(port)?;
        let r = c.cmd("EHLO client.example")?;
        assert_eq!(r.code, 250, "EHLO: {r}");
        Ok(c)
    }

    /// Like `connect`, but a refused greeting or EHLO (a milter that is down makes Postfix
    /// answer 4xx from the start) is returned as `Err(reply)` for the caller to count.
    pub fn try_connect(port: u16) -> std::io::Result<Result<Self, Reply>> {
        let mut c = Self::open(port)?;
        if c.banner.code != 220 {
            return Ok(Err(c.banner.clone()));
        }
        let r = c.cmd("EHLO client.example")?;
        if r.code != 250 {
            return Ok(Err(r));
        }
        Ok(Ok(c))
    }

    fn open(port: u16) -> std::io::Result<Self> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        s.set_write_timeout(Some(Duration::from_secs(60)))?;
        let mut reader = BufReader::new(s.try_clone()?);
        let banner = read_reply(&mut reader)?;
        Ok(Self {
            reader,
            writer: s,
            banner,
        })
    }

    pub fn cmd(&mut self, line: &str) -> std::io::Result<Reply> {
        self.writer.write_all(format!("{line}\r\n").as_bytes())?;
        read_reply(&mut self.reader)
    }

    /// Sends DATA and the message (CRLF lines, dot-stuffed here); returns the final reply.
    pub fn data(&mut self, message: &[u8]) -> std::io::Result<Reply> {
        self.data_with(message, &mut |_| {})
    }

    /// As `data`, calling `during(stage)` with "body" after the first half of the message
    /// is sent and with "end" just before the final dot: for fault injection.
    pub fn data_with(
        &mut self,
        message: &[u8],
        during: &mut dyn FnMut(&str),
    ) -> std::io::Result<Reply> {
        let r = self.cmd("DATA")?;
        if r.code != 354 {
            return Ok(r);
        }
        let mut out = Vec::with_capacity(message.len() + 1024);
        for line in message.split_inclusive(|&b| b == b'\n') {
            if line.first() == Some(&b'.') {
                out.push(b'.');
            }
            out.extend_from_slice(line);
        }
        if !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        let half = out.len() / 2;
        self.writer.write_all(&out[..half])?;
        self.writer.flush()?;
        during("body");
        self.writer.write_all(&out[half..])?;
        self.writer.flush()?;
        during("end");
        self.writer.write_all(b".\r\n")?;
        read_reply(&mut self.reader)
    }

    pub fn quit(mut self) {
        let _ = self.cmd("QUIT");
    }
}

/// What one sender/recipients/message the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpts: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn header_section(&self) -> String {
        let end = find(&self.data, b"\r\n\r\n").unwrap_or(self.data.len());
        String::from_utf8_lossy(&self.data[..end]).into_owned()
    }
    pub fn body(&self) -> &[u8] {
        find(&self.data, b"\r\n\r\n").map_or(&[][..], |i| &self.data[i + 4..])
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An SMTP server that accepts everything and keeps it, for Postfix to relay to.
pub struct Sink {
    pub port: u16,
    state: Arc<(Mutex<Vec<Received>>, Condvar)>,
}

impl Sink {
    pub fn start() -> Self {
        let listener = super::bind_unique();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve_sink(conn, &st);
                });
            }
        });
        Self { port, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let (lock, cv) = &*self.state;
        let guard = lock.lock().unwrap();
        let (guard, _) = cv
            .wait_timeout_while(guard, timeout, |v| v.len() < n)
            .unwrap();
        guard.clone()
    }
}

fn serve_sink(conn: TcpStream, state: &(Mutex<Vec<Received>>, Condvar)) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    w.write_all(b"220 sink.example ESMTP\r\n")?;
    let mut cur = Received {
        mail_from: String::new(),
        rcpts: Vec::new(),
        data: Vec::new(),
    };
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-sink.example\r\n250-8BITMIME\r\n250 SIZE 209715200\r\n")?;
        } else if upper.starts_with("HELO")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            w.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            cur = Received {
                mail_from: cmd[10..].split_whitespace().next().unwrap_or("").to_owned(),
                rcpts: Vec::new(),
                data: Vec::new(),
            };
            w.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            cur.rcpts
                .push(cmd[8..].split_whitespace().next().unwrap_or("").to_owned());
            w.write_all(b"250 ok\r\n")?;
        } else if upper == "DATA" {
            w.write_all(b"354 go ahead\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if r.by_ref().read_until(b'\n', &mut l)? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
                let l = if l.first() == Some(&b'.') {
                    &l[1..]
                } else {
                    &l[..]
                };
                data.extend_from_slice(l);
            }
            cur.data = data;
            let (lock, cv) = state;
            lock.lock().unwrap().push(cur.clone());
            cv.notify_all();
            w.write_all(b"250 queued\r\n")?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            w.write_all(b"502 not implemented\r\n")?;
        }
    }
}
