//! Replays the public conformance sample recorded from CPython
//! (`shared/conformance/sample.jsonl`) and requires every case to match.

mod outside;
mod trace;

#[test]
fn public_sample_matches_cpython() {
    let Some(text) = outside::sample("public_sample_matches_cpython") else {
        return;
    };
    let results = trace::replay_lines(&text);
    assert!(results.len() >= 2000, "sample too small: {}", results.len());
    let mut failures = Vec::new();
    for (case, got) in &results {
        let name = case["name"].as_str().unwrap_or("?");
        match got {
            Ok(got) if Some(&serde_json::json!(got)) == case.get("expect") => {}
            Ok(got) => failures.push(format!(
                "{name}: expected {} got {}",
                case["expect"],
                serde_json::json!(got)
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from CPython:\n{}",
        failures.len(),
        results.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
