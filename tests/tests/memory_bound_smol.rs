//! The memory-bound test on smol, alone in its binary: it counts the whole
//! process's heap with its own global allocator.

mod smol {
    streams_suite::memory_bound_suite!(streams_suite::SmolAdapter);
}
