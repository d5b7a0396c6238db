//! Runs `streams-tokio`'s `json_lines_child` example (newline-delimited
//! JSON with a Python child over its stdio) so that it cannot rot: it
//! needs the `process` feature, which this package enables. (The other
//! transport examples, `content_length` and `line_protocol`, carry tests
//! of their own that `cargo test -p streams-tokio` runs.)

#[allow(dead_code)]
#[path = "../../crates/streams-tokio/examples/json_lines_child.rs"]
mod json_lines_child;

use json_lines_child::{Reply, Request};
use std::time::Duration;

#[test]
fn json_lines_child_answers_every_request_in_order() {
    let requests: Vec<Request> = (0..50)
        .map(|i| Request {
            id: i,
            method: if i % 10 == 3 { "mul" } else { "add" },
            params: [i as i64, -2 * i as i64],
        })
        .collect();
    let python = streams_suite::python();
    let python = python.to_str().expect("a UTF-8 path");
    let replies = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(
                Duration::from_secs(60),
                json_lines_child::run(python, &requests),
            )
            .await
            .expect("the session took over 60 s")
        })
        .unwrap();
    assert_eq!(replies.len(), requests.len());
    for (r, (id, reply)) in requests.iter().zip(replies) {
        assert_eq!(id, r.id);
        let expected = if r.method == "add" {
            Reply::Result(r.params[0] + r.params[1])
        } else {
            Reply::Error("unknown method mul".into())
        };
        assert_eq!(reply, expected);
    }
}
