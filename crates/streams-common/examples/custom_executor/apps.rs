//! The applications that run between turns (step 6): a line server that
//! answers each line upper-cased, and its client.

use super::*;

/// The application on one end: what runs between turns, where an async
/// program's tasks would run. It never blocks: reads answer `Pending`,
/// writes only buffer.
pub(crate) trait App {
    fn step(&mut self, ep: &mut Endpoint);
}

/// The server: each line back upper-cased; an over-long line answered
/// with the error's text; at EOF (or an error), close.
#[derive(Default)]
pub(crate) struct LineServer {
    pub(crate) drain: Drain,
    pub(crate) done: bool,
}

impl App for LineServer {
    fn step(&mut self, ep: &mut Endpoint) {
        for _ in 0..LINES_PER_TURN {
            if self.done {
                return;
            }
            match self.drain.ready(&ep.conn) {
                Ok(true) => {}
                // Above the high-water mark: an async handler would be
                // waiting in `drain()` here.
                Ok(false) => return,
                Err(_) => return self.finish(ep),
            }
            match ep.readline() {
                Poll::Pending => return,
                Poll::Ready(Ok(line)) if line.is_empty() => return self.finish(ep),
                Poll::Ready(Ok(line)) => {
                    let _ = ep.conn.write(&line.to_ascii_uppercase());
                }
                Poll::Ready(Err(e @ ReadError::LineTooLong { .. })) => {
                    let _ = ep.conn.write(format!("error: {e}\n").as_bytes());
                }
                Poll::Ready(Err(_)) => return self.finish(ep),
            }
        }
    }
}

impl LineServer {
    pub(crate) fn finish(&mut self, ep: &mut Endpoint) {
        self.done = true;
        ep.conn.close();
        ep.note();
    }
}

/// What the client does once its script is written.
pub(crate) enum Then {
    /// `write_eof()`, then read until EOF, then close.
    WriteEof,
    /// Close after this many replies, then read until EOF.
    CloseAfter(usize),
    /// Nothing: read until EOF (or an error), then close.
    Wait,
}

/// The client: writes its script, respecting `drain()`, and collects the
/// replies.
pub(crate) struct LineClient {
    pub(crate) script: std::vec::IntoIter<String>,
    pub(crate) then: Then,
    pub(crate) drain: Drain,
    pub(crate) replies: Vec<String>,
    pub(crate) eof_written: bool,
    pub(crate) closed: bool,
    pub(crate) read_done: bool,
}

impl LineClient {
    pub(crate) fn new(script: Vec<String>, then: Then) -> LineClient {
        LineClient {
            script: script.into_iter(),
            then,
            drain: Drain::default(),
            replies: Vec::new(),
            eof_written: false,
            closed: false,
            read_done: false,
        }
    }

    pub(crate) fn close(&mut self, ep: &mut Endpoint) {
        if !self.closed {
            self.closed = true;
            ep.conn.close();
            ep.note();
        }
    }
}

impl App for LineClient {
    fn step(&mut self, ep: &mut Endpoint) {
        // Produce until drain() would wait.
        while !self.closed && self.script.len() > 0 {
            if !matches!(self.drain.ready(&ep.conn), Ok(true)) {
                break;
            }
            if let Some(line) = self.script.next() {
                let _ = ep.conn.write(line.as_bytes());
            }
        }
        if self.script.len() == 0 && matches!(self.then, Then::WriteEof) && !self.eof_written {
            self.eof_written = true;
            // Cannot fail: a plain connection has a half-close.
            let _ = ep.conn.write_eof();
        }
        // Read every reply that arrived.
        for _ in 0..LINES_PER_TURN {
            if self.read_done {
                break;
            }
            match ep.readline() {
                Poll::Pending => break,
                Poll::Ready(Ok(line)) if line.is_empty() => {
                    self.read_done = true;
                    self.close(ep);
                }
                Poll::Ready(Ok(line)) => {
                    self.replies
                        .push(String::from_utf8_lossy(&line).trim_end().to_owned());
                }
                Poll::Ready(Err(_)) => {
                    // The connection ended with an error: `Ending` has it.
                    self.read_done = true;
                    self.close(ep);
                }
            }
        }
        if let Then::CloseAfter(n) = self.then {
            if self.replies.len() >= n {
                self.close(ep);
            }
        }
    }
}
