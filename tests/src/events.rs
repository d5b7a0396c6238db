//! A `tracing` subscriber for tests: records one field of every event.

use std::fmt;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the `Debug` text of the field named `field` of every event
/// that has one, in order.
pub struct FieldRecorder {
    field: &'static str,
    seen: Arc<Mutex<Vec<String>>>,
}

impl FieldRecorder {
    /// The subscriber, and the list it records into.
    pub fn new(field: &'static str) -> (Self, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::<Mutex<Vec<String>>>::default();
        (
            FieldRecorder {
                field,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

/// Finds one field of an event.
struct FindField {
    name: &'static str,
    value: Option<String>,
}

impl Visit for FindField {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == self.name {
            self.value = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for FieldRecorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut find = FindField {
            name: self.field,
            value: None,
        };
        event.record(&mut find);
        if let Some(value) = find.value {
            self.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(value);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
