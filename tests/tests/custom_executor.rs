//! Runs `streams-common`'s `custom_executor` example: reader-core and the
//! shared write state driven by a hand-written `poll(2)` loop, no async
//! runtime at all.

#[path = "../../crates/streams-common/examples/custom_executor.rs"]
mod example;

#[test]
fn custom_executor_lines_limits_and_water_marks() {
    let lines = 2_000;
    let limit = 64;
    let stats = example::run(lines, limit, 4 * 1024).expect("the loop completes");
    // Each line comes back upper-cased, in order; the one line over the
    // limit is answered with asyncio's error (if it arrived in two pieces,
    // its tail comes back as a line of its own, as in asyncio).
    let mut expected = (0..lines).filter(|&i| i != lines / 2);
    let mut errors = 0;
    for reply in &stats.replies {
        if reply.starts_with("error: ") {
            assert!(
                reply == "error: Separator is found, but chunk is longer than limit"
                    || reply == "error: Separator is not found, and chunk exceed the limit",
                "{reply}"
            );
            errors += 1;
        } else if !reply.is_empty() && reply.bytes().all(|b| b == b'X') {
            assert!(reply.len() <= limit + 1, "a tail of the long line: {reply}");
        } else {
            let i = expected.next().expect("no more lines were sent");
            assert_eq!(reply, &format!("LINE {i}"));
        }
    }
    assert_eq!(expected.next(), None, "every line answered");
    assert_eq!(errors, 1);
    // 2,000 lines are more than the 4 KiB high-water mark: the client had
    // to wait for its buffer to drain, and did, without losing a byte.
    assert!(stats.client_drain_waits > 0);
}
