//! The memory-bound test on async_std, alone in its binary: it counts the whole
//! process's heap with its own global allocator.

mod async_std {
    streams_suite::memory_bound_suite!(streams_suite::AsyncStdAdapter);
}
