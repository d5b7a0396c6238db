#!/usr/bin/env python3
"""Runs reader traces against CPython's own asyncio.StreamReader.

Reads trace cases (JSON Lines, shared/conformance/TRACE-FORMAT.md) on
standard input and writes one JSON line per case on standard output:

    {"name": ..., "got": [results...], "obs": [[paused, at_eof], ...]}

`got` holds one result per operation, in the trace's result forms. `obs`
holds one entry per op of the trace (events and operations alike), taken
once the event loop has settled after that op: whether the reader has
paused its (fake) transport, and `reader.at_eof()`.

A case that cannot be replayed (an operation issued while another is
pending, a feed after EOF, ...) is reported as {"name": ..., "error": ...}.

Replay rules: every read runs as its own task; after every op or event the
loop runs until that task has finished or waits for data again. `at_eof`
is called directly (it is not a coroutine). `readuntil` with exactly one
separator passes it as bytes; with none or several it passes a tuple
(Python 3.13's alternatives). Only the public API of StreamReader is used.
"""

import asyncio
import json
import sys

# Loop iterations granted to a task after each step. One is enough (a task
# woken by its waiter runs before the driver that yielded after waking it);
# the rest is margin. Extra iterations cannot change anything once the task
# is finished or waiting on its future again.
SETTLE_ROUNDS = 3


class Unreplayable(Exception):
    """The trace breaks a replay rule."""


class RecordingTransport:
    """Just enough of a transport for StreamReader's flow control."""

    def __init__(self):
        self.paused = False

    def pause_reading(self):
        self.paused = True

    def resume_reading(self):
        self.paused = False


def result_of(kind, task):
    """A finished task's outcome in the trace's result form."""
    exc = task.exception()
    if exc is None:
        return {"ok": task.result().hex()}
    if isinstance(exc, asyncio.IncompleteReadError):
        return {"incomplete": exc.partial.hex(), "expected": exc.expected}
    if isinstance(exc, asyncio.LimitOverrunError):
        return {"overrun": exc.consumed}
    if isinstance(exc, ConnectionResetError):
        return {"failed": True}
    if isinstance(exc, ValueError):
        # readline turns a limit overrun into a ValueError; every other
        # ValueError here is an argument check.
        if kind == "readline":
            return {"line_too_long": True}
        return {"invalid_argument": True}
    return {"unexpected_error": repr(exc)}


def start(reader, kind, arg):
    """The coroutine for one read operation."""
    if kind == "read":
        return reader.read(arg)
    if kind == "readline":
        return reader.readline()
    if kind == "readexactly":
        return reader.readexactly(arg)
    if kind == "readuntil":
        seps = [bytes.fromhex(s) for s in arg]
        return reader.readuntil(seps[0] if len(seps) == 1 else tuple(seps))
    raise Unreplayable(f"unknown operation {kind!r}")


async def settle(task):
    for _ in range(SETTLE_ROUNDS):
        if task is None or task.done():
            return
        await asyncio.sleep(0)


async def run_case(case):
    reader = asyncio.StreamReader(limit=case["limit"])
    transport = RecordingTransport()
    reader.set_transport(transport)
    got, obs = [], []
    pending = None  # (kind, task)
    try:
        for op in case["ops"]:
            if not isinstance(op, dict) or len(op) != 1:
                raise Unreplayable(f"op must have exactly one key: {op!r}")
            ((kind, arg),) = op.items()
            if kind in ("feed", "eof", "fail"):
                if kind == "feed":
                    reader.feed_data(bytes.fromhex(arg))
                elif kind == "eof":
                    reader.feed_eof()
                else:
                    reader.set_exception(ConnectionResetError())
            elif pending is not None:
                raise Unreplayable(f"operation {op!r} issued while another is pending")
            elif kind == "at_eof":
                got.append({"at_eof": reader.at_eof()})
            else:
                pending = (kind, asyncio.ensure_future(start(reader, kind, arg)))
            if pending is not None:
                await settle(pending[1])
                if pending[1].done():
                    got.append(result_of(*pending))
                    pending = None
            obs.append([transport.paused, reader.at_eof()])
        if pending is not None:
            got.append({"pending": True})
        return {"name": case.get("name"), "got": got, "obs": obs}
    except (Unreplayable, AssertionError, KeyError, TypeError, ValueError) as e:
        return {"name": case.get("name"), "error": repr(e)}
    finally:
        if pending is not None and not pending[1].done():
            pending[1].cancel()
            try:
                await pending[1]
            except asyncio.CancelledError:
                pass


async def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except ValueError as e:
            out.write(json.dumps({"name": None, "error": f"bad JSON: {e}"}) + "\n")
            continue
        out.write(json.dumps(await run_case(case), separators=(",", ":")) + "\n")
    out.flush()


if __name__ == "__main__":
    asyncio.run(main())
