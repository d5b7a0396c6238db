//! One direction of an in-memory transport, with a log of every byte that
//! entered it (what the receiver's application must read, in order).

use std::collections::VecDeque;

#[derive(Default)]
pub struct Wire {
    /// Bytes in flight.
    pub data: VecDeque<u8>,
    /// Every byte that entered, in order (`log[received()..]` is `data`).
    pub log: Vec<u8>,
    /// The sender shut its write side down or closed: EOF after `data`.
    pub shut: bool,
    /// The receiver closed its transport: what is sent is dropped.
    pub receiver_closed: bool,
    /// A sink: accepts everything, keeps nothing (single-core mode).
    pub sink: bool,
    /// Some byte in flight was changed.
    pub corrupted: bool,
    /// Bytes accepted, kept or not.
    pub total: usize,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("in_flight", &self.data.len())
            .field("logged", &self.log.len())
            .field("total", &self.total)
            .field("shut", &self.shut)
            .field("receiver_closed", &self.receiver_closed)
            .field("corrupted", &self.corrupted)
            .finish()
    }
}

impl Wire {
    pub fn sink() -> Wire {
        Wire {
            sink: true,
            ..Wire::default()
        }
    }

    /// How many logged bytes the receiver has taken.
    pub fn received(&self) -> usize {
        self.log.len() - self.data.len()
    }

    /// The bytes the receiver has taken.
    pub fn received_bytes(&self) -> &[u8] {
        &self.log[..self.received()]
    }

    /// Accepts all of `bytes` (a socket buffer with room).
    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len();
        if self.receiver_closed || self.sink {
            return;
        }
        self.data.extend(bytes);
        self.log.extend_from_slice(bytes);
    }

    /// Takes up to `n` bytes in flight into `room`; returns how many.
    pub fn take_into(&mut self, room: &mut [u8], n: usize) -> usize {
        let n = n.min(room.len()).min(self.data.len());
        for (slot, b) in room.iter_mut().zip(self.data.drain(..n)) {
            *slot = b;
        }
        n
    }

    /// Changes the in-flight byte at `at` (modulo what is in flight), in
    /// the log too.
    pub fn corrupt(&mut self, at: usize, xor: u8) {
        if self.data.is_empty() {
            return;
        }
        let i = at % self.data.len();
        let x = xor.max(1);
        let pos = self.received() + i;
        self.data[i] ^= x;
        self.log[pos] ^= x;
        self.corrupted = true;
    }
}
