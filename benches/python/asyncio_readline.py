#!/usr/bin/env python3
"""CPython asyncio `StreamReader.readline` on the benchmark's profiles.

Usage:
    python3 benches/python/asyncio_readline.py [--mib 8] [--rounds 3]
        [--criterion target/criterion]

Builds the same data as `benches/src/lib.rs` (lines of 16 B, 80 B, 1 KiB,
and 80 B CRLF lines read with `readuntil(b"\\r\\n")`), feeds it with
`feed_data` in 64 KiB chunks, and after each chunk reads every line that
chunk completed. Prints the throughput (best of `--rounds`), and its ratio
to the `memchr` scan that criterion measured for the same profile (read
from `<criterion>/lines_<profile>/memchr/new/`), printing that figure too.

Standard library only. Use the newest CPython available, e.g.
`~/.pyenv/versions/3.13*/bin/python3`.
"""

import argparse
import asyncio
import json
import os
import sys
import time

CHUNK = 64 * 1024
LIMIT = 64 * 1024
PROFILES = [("16B", 16, False), ("80B", 80, False), ("1KiB", 1024, False), ("80B_CRLF", 80, True)]


POOL = 1 << 20


def body_bytes(n):
    """The first `n` bytes of the generator of `benches::lines` (xorshift32,
    'A'..='z'): the line bodies, terminators left out."""
    out = bytearray(n)
    state = 0x2545F491
    mask = 0xFFFFFFFF
    for i in range(n):
        state ^= (state << 13) & mask
        state ^= state >> 17
        state ^= (state << 5) & mask
        out[i] = 65 + state % 58
    return bytes(out)


def lines(total, line_len, crlf, pool):
    """Like `benches::lines`: identical for the first MiB of line bodies,
    which then repeat (generating 8 MiB byte by byte in Python is slow)."""
    term = b"\r\n" if crlf else b"\n"
    body = line_len - len(term)
    parts = []
    pos = 0
    for _ in range(total // line_len):
        if pos + body > len(pool):
            pos = 0
        parts.append(pool[pos : pos + body])
        parts.append(term)
        pos += body
    return b"".join(parts)


async def run(chunks, counts, crlf):
    reader = asyncio.StreamReader(limit=LIMIT)
    if crlf:
        read = lambda: reader.readuntil(b"\r\n")  # noqa: E731
    else:
        read = reader.readline
    total = 0
    start = time.perf_counter()
    for chunk, count in zip(chunks, counts):
        reader.feed_data(chunk)
        for _ in range(count):
            total += len(await read())
    elapsed = time.perf_counter() - start
    reader.feed_eof()
    assert reader.at_eof()
    return total, elapsed


def memchr_figure(criterion, profile):
    path = os.path.join(criterion, f"lines_{profile}", "memchr", "new")
    try:
        with open(os.path.join(path, "benchmark.json")) as f:
            nbytes = json.load(f)["throughput"]["Bytes"]
        with open(os.path.join(path, "estimates.json")) as f:
            ns = json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None
    return nbytes / (ns * 1e-9)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=8, help="MiB of lines per profile")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--criterion", default=os.path.join("target", "criterion"))
    args = ap.parse_args()

    print(f"CPython {sys.version.split()[0]}, {args.mib} MiB per profile, 64 KiB feeds\n")
    print("| profile | asyncio | `memchr` scan (criterion) | ratio |")
    print("|---|---:|---:|---:|")
    pool = body_bytes(POOL)
    for name, line_len, crlf in PROFILES:
        data = lines(args.mib << 20, line_len, crlf, pool)
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        # Lines each chunk completes (`\n` ends every line, CRLF included).
        counts = [c.count(b"\n") for c in chunks]
        best = None
        for _ in range(args.rounds):
            total, elapsed = asyncio.run(run(chunks, counts, crlf))
            assert total == len(data)
            best = elapsed if best is None else min(best, elapsed)
        rate = len(data) / best
        base = memchr_figure(args.criterion, name)
        if base is None:
            print(f"| {name} | {rate / 1e6:.0f} MB/s | — | — |")
        else:
            print(f"| {name} | {rate / 1e6:.0f} MB/s | {base / 1e9:.2f} GB/s | {rate / base:.4f} |")


if __name__ == "__main__":
    main()
