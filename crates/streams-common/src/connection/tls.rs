//! The TLS session inside a [`Connection`]: ciphertext in and out of
//! rustls, the handshake and its deadline, close_notify and the shutdown
//! deadline. Plain bytes in memory only; the driver moves the ciphertext.

use super::handshake::{handshake_failure, HandshakeState};
use super::{Connection, Transmit, Wake};
use crate::error::StoredError;
use crate::tls::{TlsClient, TlsError, TlsInfo, TLS_HIGH_WATER, TLS_LOW_WATER, TLS_WRITE_CHUNK};
use crate::write_state::Action;
use bytes::BytesMut;
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most room a ciphertext receive is offered: one TLS record and a
/// bit (rustls takes at most a record's worth at a time anyway).
const TLS_RECV_ROOM: usize = 17 * 1024;
/// The room offered at first: a pending handshake (a ClientHello is a few
/// hundred bytes) holds no more; it grows to [`TLS_RECV_ROOM`] once a
/// receive fills it.
const TLS_MIN_RECV_ROOM: usize = 4 * 1024;

/// A TLS session about to be installed in a [`Connection`]: a rustls
/// connection for one side, with asyncio's handshake and shutdown
/// timeouts.
pub struct TlsSession {
    conn: rustls::Connection,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
    /// The SNI name a client sends.
    sni: Option<String>,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field(
                "server_side",
                &matches!(self.conn, rustls::Connection::Server(_)),
            )
            .field("handshake_timeout", &self.handshake_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

impl TlsSession {
    /// A client session for `server_hostname` (empty: no SNI and no name
    /// check, asyncio's `server_hostname=''`); `None` timeouts are
    /// asyncio's defaults, 60 s and 30 s.
    pub fn client(
        client: &TlsClient,
        server_hostname: &str,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
    ) -> Result<TlsSession, TlsError> {
        let conn = client.connect(server_hostname)?;
        let sni = (!server_hostname.is_empty() && server_hostname.parse::<IpAddr>().is_err())
            .then(|| server_hostname.to_owned());
        Ok(TlsSession::new(
            conn,
            handshake_timeout,
            shutdown_timeout,
            sni,
        ))
    }

    /// A server session.
    pub fn server(
        config: &Arc<rustls::ServerConfig>,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
    ) -> Result<TlsSession, TlsError> {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(TlsError::Config)?;
        Ok(TlsSession::new(
            rustls::Connection::Server(conn),
            handshake_timeout,
            shutdown_timeout,
            None,
        ))
    }

    fn new(
        mut conn: rustls::Connection,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
        sni: Option<String>,
    ) -> TlsSession {
        // The connection bounds what it hands rustls itself
        // (TLS_WRITE_CHUNK), so rustls' own limit must not refuse it.
        conn.set_buffer_limit(None);
        TlsSession {
            conn,
            handshake_timeout: handshake_timeout.unwrap_or(crate::tls::DEFAULT_HANDSHAKE_TIMEOUT),
            shutdown_timeout: shutdown_timeout.unwrap_or(crate::tls::DEFAULT_SHUTDOWN_TIMEOUT),
            sni,
        }
    }

    /// The rustls connection inside (for tests of the configurations).
    #[cfg(test)]
    pub(crate) fn into_rustls(self) -> rustls::Connection {
        self.conn
    }

    /// The handshake timeout (the deadline a pending `start_tls` keeps).
    pub(super) fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Whether this is the server side.
    #[must_use]
    pub fn is_server(&self) -> bool {
        matches!(self.conn, rustls::Connection::Server(_))
    }
}

/// A `start_tls` waiting for the plaintext written before it to be sent.
pub(super) struct PendingTls {
    pub(super) session: TlsSession,
    /// Ciphertext that already arrived (the reader's unread bytes).
    pub(super) pre: BytesMut,
    /// When `start_tls` was called: the handshake deadline counts from it
    /// (asyncio's timer covers the flush too).
    pub(super) started: Instant,
}

impl PendingTls {
    pub(super) fn deadline(&self) -> Instant {
        self.started + self.session.handshake_timeout()
    }
}

/// A connection's TLS layer.
pub(super) struct Tls {
    conn: rustls::Connection,
    handshake: HandshakeState,
    handshake_deadline: Instant,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
    /// Set by the first transmit after the connection started closing:
    /// asyncio's shutdown timer runs from `close()`, through the flush of
    /// the write buffer, to the peer's close_notify.
    shutdown_deadline: Option<Instant>,
    /// Our close_notify is queued.
    close_notify_sent: bool,
    /// Ciphertext received and not yet taken by rustls: `incoming[start..end]`;
    /// `incoming[end..]` is room for the next receive.
    incoming: Vec<u8>,
    start: usize,
    end: usize,
    /// Ciphertext rustls produced and not yet sent: `outgoing[sent..]`.
    outgoing: Vec<u8>,
    sent: usize,
    /// An alert to try once before closing, after a protocol error.
    farewell: Vec<u8>,
    /// The peer sent close_notify.
    peer_closed: bool,
    sni: Option<String>,
}

/// What moving decrypted bytes to the reader ended with.
enum Delivered {
    /// rustls has no more plaintext for now (or the reader is paused).
    More,
    /// The peer's close_notify: the stream ended cleanly.
    CloseNotify,
    /// EOF without close_notify.
    BareEof,
}

impl Tls {
    fn new(session: TlsSession, pre: BytesMut, now: Instant) -> Tls {
        let end = pre.len();
        Tls {
            conn: session.conn,
            handshake: HandshakeState::Pending,
            handshake_deadline: now + session.handshake_timeout,
            handshake_timeout: session.handshake_timeout,
            shutdown_timeout: session.shutdown_timeout,
            shutdown_deadline: None,
            close_notify_sent: false,
            incoming: pre.to_vec(),
            start: 0,
            end,
            outgoing: Vec::new(),
            sent: 0,
            farewell: Vec::new(),
            peer_closed: false,
            sni: session.sni,
        }
    }

    pub(super) fn handshake(&self) -> HandshakeState {
        self.handshake.clone()
    }

    pub(super) fn info(&self) -> TlsInfo {
        crate::tls::info(&self.conn, self.sni.as_deref())
    }

    pub(super) fn close_notify_sent(&self) -> bool {
        self.close_notify_sent
    }

    /// Whether no ciphertext waits: neither in `outgoing` nor in rustls.
    pub(super) fn all_sent(&self) -> bool {
        self.sent >= self.outgoing.len() && !self.conn.wants_write()
    }

    pub(super) fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    /// The earliest deadline that still matters.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let hs = (self.handshake == HandshakeState::Pending).then_some(self.handshake_deadline);
        match (hs, self.shutdown_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The failure a deadline that passed by `now` means.
    pub(super) fn expired(&self, now: Instant) -> Option<TlsError> {
        if self.handshake == HandshakeState::Pending && now >= self.handshake_deadline {
            return Some(TlsError::HandshakeTimeout(self.handshake_timeout));
        }
        match self.shutdown_deadline {
            Some(d) if now >= d => Some(TlsError::ShutdownTimeout),
            _ => None,
        }
    }

    /// A pending handshake fails because the connection was lost with
    /// `e`. Returns whether it was pending.
    pub(super) fn fail_handshake(&mut self, e: Option<&StoredError>) -> bool {
        if self.handshake != HandshakeState::Pending {
            return false;
        }
        self.handshake = HandshakeState::Failed(handshake_failure(e));
        true
    }

    /// Whether to receive ciphertext: while rustls wants it and has taken
    /// what came before; always during the handshake and the shutdown,
    /// otherwise while `reader_wants`.
    pub(super) fn wants_recv(&self, reader_wants: bool) -> bool {
        self.start == self.end
            && self.conn.wants_read()
            && (self.conn.is_handshaking() || reader_wants)
    }

    /// Room for ciphertext (when [`wants_recv`](Self::wants_recv)).
    pub(super) fn recv_room(&mut self) -> &mut [u8] {
        self.start = 0;
        self.end = 0;
        if self.incoming.len() < TLS_MIN_RECV_ROOM {
            self.incoming.resize(TLS_MIN_RECV_ROOM, 0);
        }
        &mut self.incoming[..]
    }

    pub(super) fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.incoming.len());
        if self.end == self.incoming.len() && self.incoming.len() < TLS_RECV_ROOM {
            // The room was filled: more is coming, offer a record's worth.
            self.incoming.resize(TLS_RECV_ROOM, 0);
        }
    }

    pub(super) fn sent(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.outgoing.len());
        if self.sent == self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
    }

    /// Feeds rustls the ciphertext it will take now and processes it.
    /// `Ok(false)`: nothing to feed.
    fn feed(&mut self) -> Result<bool, TlsError> {
        if self.start == self.end || !self.conn.wants_read() {
            return Ok(false);
        }
        let handshaking = self.conn.is_handshaking();
        let mut rd = &self.incoming[self.start..self.end];
        let n = self
            .conn
            .read_tls(&mut rd)
            .map_err(|e| TlsError::Protocol(rustls::Error::General(e.to_string())))?;
        self.start += n;
        if let Err(e) = self.conn.process_new_packets() {
            // Best effort: the alert rustls queued goes out before closing.
            let _ = self.conn.write_tls(&mut self.farewell);
            return Err(if handshaking {
                TlsError::Handshake(e)
            } else {
                TlsError::Protocol(e)
            });
        }
        Ok(n > 0)
    }
}

impl Connection {
    /// Installs the TLS layer; `pre` (and whatever the inbox holds) is
    /// ciphertext that already arrived.
    pub(super) fn install_tls(&mut self, session: TlsSession, pre: BytesMut, now: Instant) {
        // asyncio's SSL transport has its own water marks.
        let _ = self
            .write
            .set_limits(Some(TLS_HIGH_WATER), Some(TLS_LOW_WATER));
        let mut pre = pre;
        pre.extend_from_slice(&self.inbox.take_data());
        self.tls = Some(Box::new(Tls::new(session, pre, now)));
        self.wake |= Wake::DRIVER;
        if self.read_eof {
            self.tls_eof();
        } else {
            self.tls_pump();
        }
    }

    /// Moves decrypted bytes to the reader (or drops them once closing);
    /// `all` ignores the reader's pause (at EOF).
    fn deliver(&mut self, all: bool) -> Result<Delivered, TlsError> {
        let mut scratch = [0u8; 4096];
        let closing = self.write.is_closing();
        let Self {
            tls, inbox, wake, ..
        } = self;
        let Some(tls) = tls.as_mut() else {
            return Ok(Delivered::More);
        };
        // Bounded: each round takes plaintext rustls holds, or ends.
        loop {
            if !closing && !all && inbox.is_paused() {
                return Ok(Delivered::More);
            }
            let discard = closing || inbox.ended();
            let buf: &mut [u8] = if discard {
                &mut scratch
            } else {
                inbox.recv_room()
            };
            match io::Read::read(&mut tls.conn.reader(), buf) {
                Ok(0) => return Ok(Delivered::CloseNotify),
                Ok(n) => {
                    if !discard {
                        inbox.commit(n);
                        *wake |= Wake::READER;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Delivered::More),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Delivered::BareEof)
                }
                Err(e) => return Err(TlsError::Protocol(rustls::Error::General(e.to_string()))),
            }
        }
    }

    /// Runs rustls over the ciphertext received: decrypts, delivers,
    /// finishes the handshake, notices the peer's close_notify.
    pub(super) fn tls_pump(&mut self) {
        // Bounded: each round feeds rustls some ciphertext, or ends.
        loop {
            if self.write.is_lost() {
                return;
            }
            match self.deliver(false) {
                Ok(Delivered::More) => {}
                Ok(Delivered::CloseNotify) => {
                    if !self.tls.as_ref().is_some_and(|t| t.peer_closed) {
                        self.peer_ended(true);
                    }
                    return;
                }
                Ok(Delivered::BareEof) => return self.peer_ended(false),
                Err(e) => return self.fail(e),
            }
            let Some(tls) = self.tls.as_mut() else {
                return;
            };
            let handshaking = tls.conn.is_handshaking();
            match tls.feed() {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return self.fail(e),
            }
            if handshaking && !tls.conn.is_handshaking() {
                tls.handshake = HandshakeState::Done;
                self.wake |= Wake::HANDSHAKE | Wake::DRIVER;
            }
        }
    }

    /// The transport reached EOF under TLS: what rustls still holds is
    /// delivered, then the stream ends (cleanly only after close_notify).
    pub(super) fn tls_eof(&mut self) {
        self.tls_pump();
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        if self.write.is_lost() {
            return;
        }
        if tls.conn.is_handshaking() {
            return self.fail(TlsError::HandshakeEof);
        }
        // Let rustls see the EOF, then deliver everything.
        let _ = tls.conn.read_tls(&mut &[][..]);
        let _ = tls.conn.process_new_packets();
        match self.deliver(true) {
            Ok(Delivered::CloseNotify) => self.peer_ended(true),
            Ok(_) => self.peer_ended(false),
            Err(e) => self.fail(e),
        }
    }

    /// The next transmit over TLS: ciphertext first, then more plaintext
    /// to encrypt, then close_notify and the wait for the peer's. The
    /// first call after the connection started closing sets the shutdown
    /// deadline.
    pub(super) fn tls_transmit(&mut self, now: Instant) -> Transmit<'_> {
        // Bounded: each round sends, encrypts, or changes state.
        loop {
            if self.write.is_lost() {
                let farewell = self.tls.as_ref().map_or(&[][..], |t| &t.farewell[..]);
                return Transmit::Close { farewell };
            }
            let Some(tls) = self.tls.as_mut() else {
                return Transmit::Idle;
            };
            if self.write.is_closing() && tls.shutdown_deadline.is_none() {
                tls.shutdown_deadline = Some(now + tls.shutdown_timeout);
            }
            if tls.sent < tls.outgoing.len() {
                let tls = self.tls.as_ref().expect("checked");
                return Transmit::Send(&tls.outgoing[tls.sent..]);
            }
            if tls.conn.wants_write() {
                if let Err(e) = tls.conn.write_tls(&mut tls.outgoing) {
                    self.lose(Some(e));
                }
                continue;
            }
            let handshaking = tls.conn.is_handshaking();
            match self.write.action() {
                Action::Idle => return Transmit::Idle,
                Action::Send if handshaking => return Transmit::Idle,
                Action::Send => {
                    let pending = self.write.pending();
                    let n = pending.len().min(TLS_WRITE_CHUNK);
                    match io::Write::write(&mut tls.conn.writer(), &pending[..n]) {
                        Ok(0) => return Transmit::Idle,
                        Ok(n) => {
                            if self.write.sent(n) {
                                self.wake |= Wake::DRAIN;
                            }
                        }
                        Err(e) => self.lose(Some(e)),
                    }
                }
                // write_eof is refused over TLS; nothing to shut down.
                Action::ShutdownWrite => self.write.eof_sent(),
                // asyncio: closing during the handshake aborts.
                Action::Close if handshaking => self.lose(None),
                Action::Close => {
                    if !tls.close_notify_sent {
                        tls.conn.send_close_notify();
                        tls.close_notify_sent = true;
                    } else if tls.peer_closed || self.read_eof {
                        self.lose(None);
                    } else {
                        // Waiting for the peer's close_notify, under the
                        // shutdown deadline.
                        return Transmit::Idle;
                    }
                }
            }
        }
    }
}
