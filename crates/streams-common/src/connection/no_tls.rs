//! The connection core's TLS layer without the `tls` feature: types with
//! no values (as `std` stubs out what a platform lacks). A [`Connection`]
//! keeps its TLS fields, which stay `None`, so its plain paths are the
//! same code with and without the feature, and every TLS path below is
//! proven unreachable by the compiler (`match *self {}`) rather than
//! asserted at run time.

use super::handshake::HandshakeState;
use super::{Connection, Transmit};
use crate::error::StoredError;
use crate::tls::TlsError;
use bytes::BytesMut;
use std::time::{Duration, Instant};

/// A TLS session: none can exist without the `tls` feature.
pub(crate) enum TlsSession {}

impl TlsSession {
    pub(super) fn handshake_timeout(&self) -> Duration {
        match *self {}
    }
}

/// A `start_tls` waiting for the plaintext before it to be sent (holds a
/// [`TlsSession`], so none exists either).
pub(super) struct PendingTls {
    pub(super) session: TlsSession,
    pub(super) pre: BytesMut,
    pub(super) started: Instant,
}

impl PendingTls {
    pub(super) fn deadline(&self) -> Instant {
        match self.session {}
    }
}

/// A connection's TLS layer: none exists without the `tls` feature.
pub(super) enum Tls {}

impl Tls {
    pub(super) fn handshake(&self) -> HandshakeState {
        match *self {}
    }

    pub(super) fn close_notify_sent(&self) -> bool {
        match *self {}
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        match *self {}
    }

    pub(super) fn expired(&self, _now: Instant) -> Option<TlsError> {
        match *self {}
    }

    pub(super) fn fail_handshake(&mut self, _e: Option<&StoredError>) -> bool {
        match *self {}
    }

    pub(super) fn wants_recv(&self, _reader_wants: bool) -> bool {
        match *self {}
    }

    pub(super) fn recv_room(&mut self) -> &mut [u8] {
        match *self {}
    }

    pub(super) fn commit(&mut self, _n: usize) {
        match *self {}
    }

    pub(super) fn sent(&mut self, _n: usize) {
        match *self {}
    }

    pub(super) fn all_sent(&self) -> bool {
        match *self {}
    }
}

impl Connection {
    pub(crate) fn with_tls(_limit: usize, session: TlsSession, _now: Instant) -> Connection {
        match session {}
    }

    pub(super) fn install_tls(&mut self, session: TlsSession, _pre: BytesMut, _now: Instant) {
        match session {}
    }

    pub(super) fn tls_pump(&mut self) {
        if let Some(tls) = &self.tls {
            match **tls {}
        }
    }

    pub(super) fn tls_eof(&mut self) {
        self.tls_pump();
    }

    pub(super) fn tls_transmit(&mut self, _now: Instant) -> Transmit<'_> {
        match self.tls.as_deref() {
            Some(tls) => match *tls {},
            None => Transmit::Idle,
        }
    }
}
