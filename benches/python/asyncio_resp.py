#!/usr/bin/env python3
"""CPython asyncio streams: the Redis-protocol server of
`benches/examples/resp/` (`streams.rs`), for `benches/resp_bench.py`.

Usage:
    python3 benches/python/asyncio_resp.py [--port 6379]

The same protocol and commands (PING, ECHO, SET, GET, DEL, INCR, array
and inline requests, the same caps and error replies), read the same way:
`readuntil(b"\\r\\n")` for the `*N` and `$len` lines, `readexactly(len + 2)`
for each bulk string, `write` + `drain` per reply. Listens on 127.0.0.1,
prints `listening on ADDR` once it does, serves until killed. Standard
library only.
"""

import argparse
import asyncio
import sys

MAX_BULK = 1024 * 1024
MAX_ARGS = 1024
MAX_LINE = 64 * 1024


class ProtocolError(Exception):
    pass


def parse_int(digits):
    if not digits or len(digits.lstrip(b"-")) > 19:
        return None
    body = digits[1:] if digits.startswith(b"-") else digits
    if not body.isdigit():
        return None
    return int(digits)


def header(line):
    if not line.startswith(b"*"):
        return None
    n = parse_int(line[1:])
    if n is None or n > MAX_ARGS:
        raise ProtocolError("invalid multibulk length")
    return max(n, 0)


def bulk_len(line):
    if not line.startswith(b"$"):
        first = chr(line[0]) if line else " "
        raise ProtocolError(f"expected '$', got '{first}'")
    n = parse_int(line[1:])
    if n is None or n < 0 or n > MAX_BULK:
        raise ProtocolError("invalid bulk length")
    return n


def bulk(data):
    return b"$%d\r\n%s\r\n" % (len(data), data)


ARITY = {
    b"PING": lambda n: n <= 1,
    b"ECHO": lambda n: n == 1,
    b"GET": lambda n: n == 1,
    b"SET": lambda n: n == 2,
    b"DEL": lambda n: n >= 1,
    b"INCR": lambda n: n == 1,
}


def execute(store, args):
    if not args:
        return b""
    name, rest = args[0].upper(), args[1:]
    if name not in ARITY:
        return b"-ERR unknown command '%s'\r\n" % args[0]
    if not ARITY[name](len(rest)):
        return b"-ERR wrong number of arguments for '%s' command\r\n" % args[0].lower()
    if name == b"PING":
        return bulk(rest[0]) if rest else b"+PONG\r\n"
    if name == b"ECHO":
        return bulk(rest[0])
    if name == b"GET":
        v = store.get(rest[0])
        return b"$-1\r\n" if v is None else bulk(v)
    if name == b"SET":
        store[rest[0]] = rest[1]
        return b"+OK\r\n"
    if name == b"DEL":
        return b":%d\r\n" % sum(store.pop(k, None) is not None for k in rest)
    # INCR
    old = store.get(rest[0], b"0")
    n = parse_int(old)
    if n is None:
        return b"-ERR value is not an integer or out of range\r\n"
    if n + 1 > 2**63 - 1:
        return b"-ERR increment or decrement would overflow\r\n"
    store[rest[0]] = b"%d" % (n + 1)
    return b":%d\r\n" % (n + 1)


async def read_request(reader):
    line = (await reader.readuntil(b"\r\n"))[:-2]
    n = header(line)
    if n is None:
        return line.split()
    args = []
    for _ in range(n):
        length = bulk_len((await reader.readuntil(b"\r\n"))[:-2])
        data = await reader.readexactly(length + 2)
        if data[length:] != b"\r\n":
            raise ProtocolError("bulk string not terminated")
        args.append(data[:length])
    return args


def handler(store):
    async def handle(reader, writer):
        try:
            while True:
                args = await read_request(reader)
                writer.write(execute(store, args))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.LimitOverrunError:
            writer.write(b"-ERR Protocol error: too big or unterminated line\r\n")
        except ProtocolError as e:
            writer.write(b"-ERR Protocol error: %s\r\n" % str(e).encode())
        writer.close()

    return handle


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=6379)
    args = parser.parse_args()
    server = await asyncio.start_server(handler({}), "127.0.0.1", args.port, limit=MAX_LINE)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
