#!/usr/bin/env python3
"""The RESP example's servers under `redis-benchmark`: requests/s, server
CPU per request and system calls per request, as ratios to the
hand-written server of the same runtime. Not a CI step.

Usage:
    python3 benches/resp_bench.py [--rounds 3] [--requests 200000]
        [--clients 50] [--pipelines 1,16] [--sizes 3,1024]
        [--impls tokio-hand,streams-tokio,...] [--no-python] [--no-syscalls]
        [--no-times] [--quick] [--binary target/release/examples/resp]

What it does:

- installs `redis-tools` with apt-get when `redis-benchmark` is missing;
- builds the example (`cargo build --release -p benches --example resp`);
- for each round, each pipeline depth (`-P`) and value size (`-d`), runs
  every server in turn (interleaved, so that a change in the machine's load
  hits them all): starts it pinned to CPU 0 (the multi-thread Tokio ones
  get 2 workers and are not pinned), runs
  `redis-benchmark -t ping,set,get -n N -c 50 -P P -d D --csv` pinned to
  CPU 1, and reads the server's CPU time (the run time of every thread,
  `/proc/PID/task/*/schedstat`, in nanoseconds; utime + stime from
  `/proc/PID/stat`, in clock ticks, without schedstat) before and after: CPU microseconds per request, and
  requests/s over the whole run (4 tests: PING_INLINE, PING_MBULK, SET,
  GET, N requests each);
- prints, per depth and size, the median over the rounds of each figure
  and of its ratio to the same round's hand-written server of the same
  runtime (`tokio-hand` for `streams-tokio*` and `tokio-codec`,
  `tokio-hand-mt` for `streams-tokio-mt*`, `smol-hand` for
  `streams-smol*`, and `tokio-hand`
  for CPython asyncio), with the ratio's spread (min-max over the rounds),
  and for `streams-tokio` (owned `Bytes` arguments) its CPU ratio to its
  owned-argument peer, `tokio-codec` (a tokio-util codec cutting `Bytes`
  out of its read buffer);
- then, once per server, depth and size, counts the server's system calls
  with perf tracepoints (`perf stat -e syscalls:sys_enter_recvfrom ... -p
  PID`: counts, which unlike times are not noisy), per request: receives,
  receives that failed with EAGAIN, sends, epoll_wait / epoll_ctl, futex,
  and all system calls. Falls back to `strace -c -f -p PID` without perf
  tracepoints.

`--instructions` instead counts the user-space instructions per request
of each server under valgrind's callgrind (two runs, of N and 2N requests
per test, so that start-up cancels out; N = `--requests` / 10): a count,
not a time, so it can be taken on a busy machine. The kernel's share (the
system calls) is not in it.

`--quick` is one round of 20,000 requests per test. Times are only
meaningful on an otherwise idle machine; the counts are meaningful anyway.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
TESTS = 4  # -t ping,set,get runs PING_INLINE, PING_MBULK, SET, GET
BASELINE = {
    "tokio-hand": "tokio-hand",
    "tokio-codec": "tokio-hand",
    "streams-tokio": "tokio-hand",
    "streams-tokio-into": "tokio-hand",
    "tokio-hand-mt": "tokio-hand-mt",
    "streams-tokio-mt": "tokio-hand-mt",
    "streams-tokio-mt-into": "tokio-hand-mt",
    "smol-hand": "smol-hand",
    "streams-smol": "smol-hand",
    "streams-smol-into": "smol-hand",
    "asyncio": "tokio-hand",
}
# The owned-argument peer of a server whose requests come as owned `Bytes`
# (a tokio-util codec cutting `Bytes` out of its read buffer), for a
# second ratio beside the one to the hand-written server.
OWNED_PEER = {
    "streams-tokio": "tokio-codec",
}
DEFAULT_IMPLS = [
    "tokio-hand",
    "tokio-codec",
    "streams-tokio",
    "streams-tokio-into",
    "tokio-hand-mt",
    "streams-tokio-mt",
    "smol-hand",
    "streams-smol",
    "streams-smol-into",
]
PORT = 16379
# Columns of the system-call table: each a sum of tracepoints (with an
# optional perf filter).
SYSCALLS = [
    ("recvfrom", [("syscalls:sys_enter_recvfrom", None)]),
    ("recvfrom EAGAIN", [("syscalls:sys_exit_recvfrom", "ret == -11")]),
    ("sendto/writev", [("syscalls:sys_enter_sendto", None), ("syscalls:sys_enter_writev", None)]),
    ("epoll wait", [
        ("syscalls:sys_enter_epoll_wait", None),
        ("syscalls:sys_enter_epoll_pwait", None),
        ("syscalls:sys_enter_epoll_pwait2", None),
    ]),
    ("epoll_ctl", [("syscalls:sys_enter_epoll_ctl", None)]),
    ("futex", [("syscalls:sys_enter_futex", None)]),
    ("read/write", [("syscalls:sys_enter_read", None), ("syscalls:sys_enter_write", None)]),
    ("all", [("raw_syscalls:sys_enter", None)]),
]
# strace's names for the same columns.
STRACE = {
    "recvfrom": ["recvfrom"],
    "sendto/writev": ["sendto", "writev"],
    "epoll wait": ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
    "epoll_ctl": ["epoll_ctl"],
    "futex": ["futex"],
    "read/write": ["read", "write"],
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_redis_benchmark():
    if shutil.which("redis-benchmark"):
        return
    log("redis-benchmark is missing: installing redis-tools")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(sudo + ["apt-get", "install", "-y", "redis-tools"], env=env).returncode:
        subprocess.run(sudo + ["apt-get", "update"], env=env, check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "redis-tools"], env=env, check=True)


def build():
    subprocess.run(
        ["cargo", "build", "--release", "-p", "benches", "--example", "resp"],
        cwd=ROOT,
        check=True,
    )
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return os.path.join(json.loads(meta.stdout)["target_directory"], "release", "examples", "resp")


def python():
    versions = os.path.expanduser("~/.pyenv/versions")
    found = sorted(
        os.path.join(versions, v, "bin", "python3")
        for v in (os.listdir(versions) if os.path.isdir(versions) else [])
        if v.startswith("3.13")
    )
    return found[-1] if found else sys.executable


class Server:
    """One server process, started and waited for; killed on exit."""

    def __init__(self, binary, impl, py, wrap=()):
        if impl == "asyncio":
            cmd = [py, os.path.join(ROOT, "benches", "python", "asyncio_resp.py")]
        else:
            cmd = [binary, impl, "--threads", "2"]
        cmd = list(wrap) + cmd + ["--port", str(PORT)]
        if "-mt" not in impl:
            cmd = ["taskset", "-c", "0"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            self.stop()
            raise RuntimeError(f"{impl} did not start: {line!r}")

    def cpu_seconds(self):
        """CPU time of every thread so far: from schedstat (nanoseconds)
        when the kernel has it, else utime + stime (clock ticks)."""
        pid = self.proc.pid
        try:
            total = 0
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            return total / 1e9
        except (OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 (1-based) of the line.
            return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def benchmark(requests, clients, pipeline, size):
    """Runs redis-benchmark; returns the total requests/s."""
    cmd = [
        "taskset", "-c", "1",
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(PORT),
        "-t", "ping,set,get", "-n", str(requests), "-c", str(clients),
        "-P", str(pipeline), "-d", str(size), "--csv",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise RuntimeError(f"redis-benchmark failed: {out.stderr}")
    seconds = 0.0
    tests = 0
    for row in out.stdout.splitlines()[1:]:
        cols = [c.strip('"') for c in row.split(",")]
        if len(cols) > 1 and cols[1]:
            seconds += requests / float(cols[1])
            tests += 1
    if tests != TESTS:
        raise RuntimeError(f"expected {TESTS} tests, got: {out.stdout}")
    return TESTS * requests / seconds


def one_run(binary, impl, py, args, pipeline, size):
    server = Server(binary, impl, py)
    try:
        before = server.cpu_seconds()
        rps = benchmark(args.requests, args.clients, pipeline, size)
        cpu = server.cpu_seconds() - before
    finally:
        server.stop()
    return rps, cpu * 1e6 / (TESTS * args.requests)


def count_syscalls(binary, impl, py, args, pipeline, size):
    """Per-request system call counts of one run, by name."""
    server = Server(binary, impl, py)
    out_file = f"/tmp/resp_bench_perf_{os.getpid()}.txt"
    try:
        if shutil.which("perf"):
            cmd = ["perf", "stat", "-x", ",", "-o", out_file, "-p", str(server.proc.pid)]
            for _, events in SYSCALLS:
                for event, flt in events:
                    cmd += ["-e", event] + (["--filter", flt] if flt else [])
        else:
            cmd = ["strace", "-c", "-f", "-o", out_file, "-p", str(server.proc.pid)]
        tracer = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        time.sleep(1)  # let the tracer attach (a start-up delay, not a measurement)
        benchmark(args.requests, args.clients, pipeline, size)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=60)
    finally:
        server.stop()
    with open(out_file) as f:
        text = f.read()
    os.unlink(out_file)
    total = TESTS * args.requests
    counts = {}
    if shutil.which("perf"):
        rows = [l.split(",") for l in text.splitlines() if l and not l.startswith("#")]
        values = [int(r[0]) for r in rows if len(r) > 2 and r[0].strip().isdigit()]
        for name, events in SYSCALLS:
            counts[name] = sum(values[: len(events)]) / total
            values = values[len(events):]
    else:
        calls, errors = {}, {}
        for line in text.splitlines():
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*(\w+)$", line)
            if m:
                calls[m.group(3)] = int(m.group(1))
                errors[m.group(3)] = int(m.group(2) or 0)
        for name, sys_names in STRACE.items():
            counts[name] = sum(calls.get(n, 0) for n in sys_names) / total
        counts["recvfrom EAGAIN"] = errors.get("recvfrom", 0) / total
        counts["all"] = sum(calls.values()) / total
    return counts


# libc's memset / memcpy / memmove use `rep stosb` / `rep movsb` for
# larger sizes, which callgrind counts once per byte: a 4 KiB memset shows
# as 4,096 instructions where the CPU spends about a hundred cycles. The
# counts are therefore given with and without these functions.
REP_STRING = re.compile(r"__mem(set|cpy|move)\w*")


def callgrind_totals(out_file):
    """(all instructions, instructions in libc's memset/memcpy/memmove)."""
    with open(out_file) as f:
        total = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
    listing = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out_file],
                             capture_output=True, text=True).stdout
    rep = 0
    for line in listing.splitlines():
        m = re.match(r"\s*([\d,]+) \(.*?\)\s+(.*)", line)
        if m and REP_STRING.search(m.group(2)) and "PROGRAM TOTALS" not in line:
            rep += int(m.group(1).replace(",", ""))
    return total, rep


def count_instructions(binary, impl, args, pipeline, size):
    """User-space instructions per request under callgrind: (all, without
    libc's memset/memcpy/memmove)."""
    totals = []
    n = max(args.requests // 10, 1000)
    for requests in (n, 2 * n):
        out_file = f"/tmp/resp_bench_cg_{os.getpid()}.out"
        wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
        server = Server(binary, impl, None, wrap)
        try:
            benchmark(requests, args.clients, pipeline, size)
        finally:
            server.stop()
        totals.append(callgrind_totals(out_file))
        os.unlink(out_file)
    per = TESTS * n
    return ((totals[1][0] - totals[0][0]) / per,
            ((totals[1][0] - totals[1][1]) - (totals[0][0] - totals[0][1])) / per)


def spread(values):
    return f"{min(values):.2f}-{max(values):.2f}" if values else ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=200_000)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--pipelines", default="1,16")
    p.add_argument("--sizes", default="3,1024")
    p.add_argument("--impls", default=",".join(DEFAULT_IMPLS))
    p.add_argument("--no-python", action="store_true")
    p.add_argument("--no-syscalls", action="store_true")
    p.add_argument("--no-times", action="store_true")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--instructions", action="store_true")
    p.add_argument("--binary", help="the built example (skips the cargo build)")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.requests = 1, 20_000
    impls = [i for i in args.impls.split(",") if i]
    if not args.no_python:
        impls.append("asyncio")
    # Every ratio needs its baseline in the same run.
    for i in list(impls):
        if BASELINE[i] not in impls:
            impls.insert(0, BASELINE[i])
    peers = {i: OWNED_PEER[i] for i in impls if OWNED_PEER.get(i) in impls}
    configs = [(int(pl), int(sz)) for pl in args.pipelines.split(",") for sz in args.sizes.split(",")]

    ensure_redis_benchmark()
    binary = args.binary or build()
    py = python()
    print(f"redis-benchmark -t ping,set,get -n {args.requests} -c {args.clients}; "
          f"{args.rounds} rounds; CPU time from /proc/PID/task/*/schedstat; {py}")

    if args.instructions:
        impls = [i for i in impls if i != "asyncio"]
        for pipeline, size in configs:
            print(f"\n-P {pipeline}, -d {size}: user-space instructions per request (callgrind)\n")
            print("| server | instructions/request | ratio | without memset/memcpy | ratio "
                  "| ratio to the owned peer |")
            print("|---|---:|---:|---:|---:|---:|")
            counts = {}
            for impl in impls:
                counts[impl] = count_instructions(binary, impl, args, pipeline, size)
                log(f"instructions -P {pipeline} -d {size} {impl}: {counts[impl][0]:.0f} "
                    f"({counts[impl][1]:.0f} without memset/memcpy)")
            for impl in impls:
                (a, b), (ba, bb) = counts[impl], counts[BASELINE[impl]]
                peer = f"{b / counts[peers[impl]][1]:.2f}" if impl in peers else ""
                print(f"| {impl} | {a:.0f} | {a / ba:.2f} | {b:.0f} | {b / bb:.2f} | {peer} |")
        return

    if not args.no_times:
        # results[(pipeline, size)][impl] = [(rps, cpu_us), ...] per round
        results = {c: {i: [] for i in impls} for c in configs}
        for rnd in range(args.rounds):
            for pipeline, size in configs:
                for impl in impls:
                    rps, cpu = one_run(binary, impl, py, args, pipeline, size)
                    results[(pipeline, size)][impl].append((rps, cpu))
                    log(f"round {rnd} -P {pipeline} -d {size} {impl:<22} {rps / 1e3:8.1f} k req/s {cpu:6.2f} us/req")
        for (pipeline, size), by_impl in results.items():
            print(f"\n-P {pipeline}, -d {size}: median of {args.rounds} rounds; ratios to the "
                  "hand-written server of the same runtime, per round\n")
            print("| server | k requests/s | ratio | spread | CPU µs/request | ratio | spread "
                  "| CPU ratio to the owned peer | spread |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for impl, runs in by_impl.items():
                base = by_impl[BASELINE[impl]]
                rps_r = [r / b for (r, _), (b, _) in zip(runs, base)]
                cpu_r = [c / b for (_, c), (_, b) in zip(runs, base)]
                print(f"| {impl} | {statistics.median(r for r, _ in runs) / 1e3:.1f} "
                      f"| {statistics.median(rps_r):.2f} | {spread(rps_r)} "
                      f"| {statistics.median(c for _, c in runs):.2f} "
                      f"| {statistics.median(cpu_r):.2f} | {spread(cpu_r)} ", end="")
                if impl in peers:
                    peer_r = [c / b for (_, c), (_, b) in zip(runs, by_impl[peers[impl]])]
                    print(f"| {statistics.median(peer_r):.2f} | {spread(peer_r)} |")
                else:
                    print("| | |")

    if not args.no_syscalls:
        names = [n for n, _ in SYSCALLS]
        for pipeline, size in configs:
            print(f"\n-P {pipeline}, -d {size}: system calls per request (one run each)\n")
            print("| server | " + " | ".join(names) + " |")
            print("|---|" + "---:|" * len(names))
            for impl in impls:
                counts = count_syscalls(binary, impl, py, args, pipeline, size)
                log(f"syscalls -P {pipeline} -d {size} {impl}: {counts}")
                print(f"| {impl} | " + " | ".join(f"{counts.get(n, 0):.3f}" for n in names) + " |")


if __name__ == "__main__":
    main()
