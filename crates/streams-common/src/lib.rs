//! Runtime-independent parts of the asyncio-style streams (work in progress).
