//! Spare small receive rooms, a few per thread.
//!
//! A quiet connection gives its receive room back so that an idle one
//! holds none; without a place to put it, the next request on that
//! connection would allocate and zero a fresh room (a 4 KiB `calloc`, too
//! large for the allocator's per-thread cache, and a `free`): about a
//! thousand instructions per request on a request/response server. Rooms
//! given back go here instead, and the next connection on the same thread
//! that needs one takes it as it is: no allocation, no zeroing (a room only
//! needs to be initialised; what a receive writes into it is all anyone
//! reads of it).
//!
//! Bounded: at most [`SPARE_MAX`] rooms of [`ROOM`] bytes per thread that
//! ever ran a driver (256 KiB): enough for as many connections as
//! received a request in one turn of the runtime before their readers
//! took it, on a busy server; a room given back when that many are spare
//! is freed.

use bytes::BytesMut;
use std::cell::RefCell;

/// The size of a pooled room: the small receive room.
pub(super) const ROOM: usize = 4 * 1024;
/// How many spare rooms a thread keeps at most.
pub(super) const SPARE_MAX: usize = 64;

thread_local! {
    static SPARE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// A room of [`ROOM`] initialised bytes, of which this handle is the only
/// one: a spare one when this thread has one, else a new zeroed one.
pub(super) fn take() -> BytesMut {
    SPARE
        .try_with(|spare| spare.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| BytesMut::zeroed(ROOM))
}

/// Gives back a room that came from [`take`], whole and still the only
/// handle to its memory (the caller's word: a room a chunk was split off
/// must not come here). Freed when this thread already keeps
/// [`SPARE_MAX`] (or is exiting).
pub(super) fn give_back(room: BytesMut) {
    debug_assert_eq!(room.len(), ROOM);
    // During the thread's exit the pool may be gone: the room is then
    // dropped here, as it would have been without a pool.
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARE_MAX {
                spare.push(room);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_given_back_is_taken_again_without_a_new_allocation() {
        let room = take();
        let ptr = room.as_ptr();
        give_back(room);
        let again = take();
        assert_eq!(again.as_ptr(), ptr);
        assert_eq!(again.len(), ROOM);
    }

    #[test]
    fn a_thread_keeps_at_most_spare_max_rooms() {
        std::thread::spawn(|| {
            let rooms: Vec<BytesMut> = (0..SPARE_MAX + 5).map(|_| take()).collect();
            rooms.into_iter().for_each(give_back);
            assert_eq!(SPARE.with(|s| s.borrow().len()), SPARE_MAX);
        })
        .join()
        .expect("the pool thread");
    }
}
