#!/usr/bin/env python3
"""CPython asyncio streams: the loopback line echo of `benches/echo.rs`.

Usage:
    python3 benches/python/asyncio_echo.py [--lines 300000] [--rounds 1]
        [--timeout 60] [--uvloop]

One process, one event loop (so one core): a `start_server` echo
(`readline` / `write` / `drain`) on 127.0.0.1, and a client that writes
every line of 80 bytes with `write` + `drain` from one task while another
counts the echoed lines with `readline`. Prints `lines_per_s=<float>` (the
median of `--rounds`), the line `benches/echo.rs` reads. `--uvloop` uses
uvloop's event loop if it is installed. Standard library only otherwise.
"""

import argparse
import asyncio
import statistics
import sys
import time

LINE = 80


def payload(n):
    out = []
    for i in range(n):
        head = b"%09d " % i
        body = bytes(ord("a") + ((len(head) + j + i) % 26) for j in range(LINE - 1 - len(head)))
        out.append(head + body + b"\n")
    return out


async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()


async def one_run(lines):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send():
        for line in lines:
            writer.write(line)
            await writer.drain()

    start = time.perf_counter()
    sender = asyncio.create_task(send())
    total = 0
    for _ in range(len(lines)):
        line = await reader.readline()
        if not line:
            raise RuntimeError("early EOF")
        total += len(line)
    elapsed = time.perf_counter() - start
    await sender
    if total != LINE * len(lines):
        raise RuntimeError(f"echoed {total} bytes, sent {LINE * len(lines)}")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return len(lines) / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--uvloop", action="store_true")
    args = ap.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    lines = payload(args.lines)
    rates = []
    for _ in range(max(1, args.rounds)):
        rate = asyncio.run(asyncio.wait_for(one_run(lines), args.timeout))
        print(f"round: {rate / 1e6:.3f} M lines/s", file=sys.stderr)
        rates.append(rate)
    print(f"lines_per_s={statistics.median(rates)}")


if __name__ == "__main__":
    main()
