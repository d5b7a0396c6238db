//! The memory-bound test on tokio, alone in its binary: it counts the whole
//! process's heap with its own global allocator.

mod tokio {
    streams_suite::memory_bound_suite!(streams_suite::TokioAdapter);
}
