//! asyncio streams on Tokio (work in progress).
