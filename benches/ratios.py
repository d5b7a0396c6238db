#!/usr/bin/env python3
"""Print the README's throughput table from criterion's JSON estimates.

Usage: python3 benches/ratios.py [CRITERION_DIR]   (default: target/criterion)

Reads <dir>/<group>/<bench>/new/{benchmark,estimates}.json as written by
`cargo bench -p benches --bench reader`, and prints, in Markdown:

* per profile, every reader's throughput as a ratio to the `memchr` scan
  of the same group (hence of the same run), then the `memchr` figure;
* the tuple-of-separators case, the same way;
* the byte-at-a-time cases as plain throughput.

Standard library only.
"""

import json
import os
import sys

PROFILES = [
    ("lines_16B", "16 B"),
    ("lines_80B", "80 B"),
    ("lines_1KiB", "1 KiB"),
    ("lines_80B_CRLF", "80 B CRLF"),
]

READERS = [
    ("memchr_copied", "`memchr` scan after copying each chunk (the bound for a copying reader)"),
    ("core_borrowed_feed", "reader-core borrowed, `feed`"),
    ("core_borrowed_spare", "reader-core borrowed, `spare_capacity`+`commit`"),
    ("core_owned_feed", "reader-core owned `Bytes`, `feed`"),
    ("core_owned_spare", "reader-core owned `Bytes`, `spare_capacity`+`commit`"),
    ("core_borrowed_bytes", "reader-core borrowed, `feed_bytes` (no copy)"),
    ("core_owned_bytes", "reader-core owned `Bytes`, `feed_bytes` (no copy)"),
    ("tokio_read_until", "tokio `BufReader::read_until` into a reused `Vec`"),
    ("lines_codec", "tokio-util `FramedRead<_, LinesCodec>`"),
]


def load(root):
    """{(group_id, function_id): bytes per second}"""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        throughput = bench.get("throughput") or {}
        nbytes = throughput.get("Bytes")
        if not nbytes:
            continue
        # Criterion's estimates are nanoseconds per iteration. The median is
        # less sensitive than the mean to the other jobs on a shared machine.
        ns = est["median"]["point_estimate"]
        out[(bench["group_id"], bench["function_id"])] = nbytes / (ns * 1e-9)
    return out


def gbs(rate):
    return f"{rate / 1e9:.2f} GB/s"


def ratio(res, group, name):
    base = res.get((group, "memchr"))
    rate = res.get((group, name))
    if base is None or rate is None:
        return "—"
    return f"{rate / base:.2f}"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "criterion")
    res = load(root)
    if not res:
        sys.exit(f"no criterion estimates under {root}")

    print("Throughput as a ratio to a `memchr` scan that stops at every delimiter")
    print("(same run; 64 MiB of lines fed in 64 KiB chunks):\n")
    print("| reader | " + " | ".join(label for _, label in PROFILES) + " |")
    print("|---|" + "---:|" * len(PROFILES))
    for name, label in READERS:
        cells = [ratio(res, group, name) for group, _ in PROFILES]
        print(f"| {label} | " + " | ".join(cells) + " |")
    cells = [gbs(res[(g, "memchr")]) if (g, "memchr") in res else "—" for g, _ in PROFILES]
    print("| `memchr` scan (= 1.00) | " + " | ".join(cells) + " |")

    group = "tuple_80B"
    if (group, "memchr") in res:
        print('\n`readuntil([b"\\r\\n", b"\\n", b";"])` on the 80 B profile:\n')
        print("| reader | ratio to `memchr` on `\\n` | throughput |")
        print("|---|---:|---:|")
        for name, label in READERS:
            if (group, name) in res:
                print(f"| {label} | {ratio(res, group, name)} | {gbs(res[(group, name)])} |")
        print(f"| `memchr` scan | 1.00 | {gbs(res[(group, 'memchr')])} |")

    rows = sorted((fn, rate) for (g, fn), rate in res.items() if g == "byte_at_a_time")
    if rows:
        print("\nOne line at the limit, fed one byte at a time (a read after each byte):\n")
        print("| case | throughput |")
        print("|---|---:|")
        for fn, rate in rows:
            print(f"| `{fn}` | {rate / 1e6:.1f} MB/s |")


if __name__ == "__main__":
    main()
