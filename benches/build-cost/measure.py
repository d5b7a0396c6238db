#!/usr/bin/env python3
"""Cold build cost of a minimal line-echo server without TLS: on
streams-tokio (streams-tokio-echo/) against Tokio + tokio-util
(tokio-util-echo/).

Each round builds both projects from scratch, one after the other, in a
fresh target directory (dependencies downloaded beforehand, so only
compiling is timed), and counts the crates compiled. Prints every round,
then the median and the spread (min-max) of each, and the ratios.

    python3 benches/build-cost/measure.py [--rounds 5] [--profile dev|release] [--jobs N]

Timings move with the machine and with whatever else runs on it: compare
the ratio, and measure on an idle machine (the load average is printed).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS = ["streams-tokio-echo", "tokio-util-echo"]


def build(project: str, profile: str, jobs: int | None) -> tuple[float, int]:
    """One cold build: (seconds, crates compiled)."""
    target = tempfile.mkdtemp(prefix=f"build-cost-{project}-")
    try:
        cmd = ["cargo", "build", "--locked", "--profile", profile]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        env = dict(os.environ, CARGO_TARGET_DIR=target, CARGO_TERM_COLOR="never")
        env.pop("RUSTC_WRAPPER", None)  # no compiler cache
        start = time.monotonic()
        out = subprocess.run(
            cmd, cwd=HERE / project, env=env, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - start
        if out.returncode != 0:
            raise SystemExit(f"{project}: cargo build failed:\n{out.stderr}")
        crates = len(re.findall(r"^\s*Compiling \S+ v", out.stderr, re.M))
        return elapsed, crates
    finally:
        shutil.rmtree(target, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 5)))
    ap.add_argument("--profile", default=os.environ.get("PROFILE", "dev"))
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    if args.rounds < 1:
        raise SystemExit("--rounds must be at least 1")

    for p in PROJECTS:
        subprocess.run(["cargo", "fetch", "--locked", "-q"], cwd=HERE / p, check=True)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{rustc}; profile {args.profile}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f} at the start")

    times: dict[str, list[float]] = {p: [] for p in PROJECTS}
    crates: dict[str, set[int]] = {p: set() for p in PROJECTS}
    for r in range(args.rounds):
        # Alternate the order so that a drift in load hits both alike.
        order = PROJECTS if r % 2 == 0 else PROJECTS[::-1]
        for p in order:
            t, n = build(p, args.profile, args.jobs)
            times[p].append(t)
            crates[p].add(n)
            print(f"  round {r + 1}: {p:20} {t:6.1f} s  {n} crates", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")

    ours, base = PROJECTS
    med = {p: statistics.median(times[p]) for p in PROJECTS}
    count = {p: max(crates[p]) for p in PROJECTS}
    print()
    print(f"| project | crates compiled | cold {args.profile} build, median of {args.rounds} | min-max |")
    print("|---|---:|---:|---:|")
    for p in PROJECTS:
        print(f"| {p} | {count[p]} | {med[p]:.1f} s | {min(times[p]):.1f}-{max(times[p]):.1f} s |")
    pair = [a / b for a, b in zip(times[ours], times[base])]
    print()
    print(f"ratio {ours} / {base}: crates {count[ours] / count[base]:.2f}, "
          f"time {med[ours] / med[base]:.2f} (per round {min(pair):.2f}-{max(pair):.2f}); "
          f"target at most 1.25 for both")


if __name__ == "__main__":
    main()
