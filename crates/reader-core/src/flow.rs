//! asyncio's flow-control rule for a stream reader's buffer, stated once.
//!
//! asyncio's `StreamReader` pauses its transport when a feed leaves more
//! than `2 * limit` bytes buffered (`feed_data`), and resumes it when a
//! read leaves `limit` bytes or fewer (`_maybe_resume_transport`). The
//! band in between is hysteresis: a paused transport stays paused until
//! the buffer is down to the limit, a running one keeps running until the
//! buffer is above twice the limit.
//!
//! [`Reader`](crate::Reader) applies these two functions (and, besides
//! them, resumes before a read waits, as asyncio does); a driver that
//! keeps its own receive buffer calls them to apply the identical rule.
//! Both saturate: a limit near `usize::MAX` never overflows.
//!
//! ```
//! use reader_core::flow::{should_pause, should_resume};
//!
//! let limit = 10;
//! assert!(!should_pause(20, limit)); // 2 * limit is not more than 2 * limit
//! assert!(should_pause(21, limit));
//! assert!(!should_resume(11, limit)); // paused above the limit...
//! assert!(should_resume(10, limit)); // ...resumed at it
//! assert!(!should_pause(usize::MAX, usize::MAX)); // saturating
//! ```

/// Whether a transport should pause reading with `buffered` bytes in a
/// reader whose limit is `limit`: more than `2 * limit` (saturating).
#[inline]
#[must_use]
pub const fn should_pause(buffered: usize, limit: usize) -> bool {
    buffered > limit.saturating_mul(2)
}

/// Whether a paused transport should resume reading with `buffered` bytes
/// in a reader whose limit is `limit`: `limit` or fewer.
#[inline]
#[must_use]
pub const fn should_resume(buffered: usize, limit: usize) -> bool {
    buffered <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_between_limit_and_twice_the_limit_keeps_the_state() {
        for limit in [1, 2, 10, 64 * 1024] {
            for buffered in limit + 1..=2 * limit {
                assert!(!should_pause(buffered, limit), "{buffered}/{limit}");
                assert!(!should_resume(buffered, limit), "{buffered}/{limit}");
            }
            assert!(should_pause(2 * limit + 1, limit));
            assert!(should_resume(limit, limit));
            assert!(should_resume(0, limit));
        }
    }

    #[test]
    fn limits_near_usize_max_saturate() {
        for limit in [usize::MAX, usize::MAX - 1, usize::MAX / 2 + 1] {
            assert!(!should_pause(usize::MAX, limit), "{limit}");
            assert!(should_resume(limit, limit));
            assert!(!should_resume(limit.saturating_add(1), limit - 1));
        }
        // usize::MAX is odd: twice its half is usize::MAX - 1.
        assert!(should_pause(usize::MAX, usize::MAX / 2));
        assert!(!should_pause(usize::MAX - 1, usize::MAX / 2));
    }
}
