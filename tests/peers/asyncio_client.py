"""An asyncio client for the interoperability tests.

Usage: asyncio_client.py MODE PORT. Prints what it observed, one fact per
line, and exits 0 when the exchange went as expected.
"""
import asyncio
import socket
import struct
import sys

LIMIT = 1024
BIG = 16 * 1024 * 1024


async def main(mode, port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=LIMIT)
    if mode == "echo":
        for line in [b"hello\n", b"world\n", b"x" * 500 + b"\n"]:
            writer.write(line)
            await writer.drain()
            got = await reader.readline()
            assert got == line, (got, line)
        print("echo ok")
    elif mode == "halfclose":
        writer.write(b"request")
        writer.write_eof()
        reply = await reader.read()
        assert reply == b"got request", reply
        assert reader.at_eof()
        print("halfclose ok")
    elif mode == "big":
        payload = bytes(range(256)) * (BIG // 256)

        async def receive():
            return await reader.readexactly(BIG)

        task = asyncio.ensure_future(receive())
        for i in range(0, BIG, 1 << 20):
            writer.write(payload[i:i + (1 << 20)])
            await writer.drain()
        writer.write_eof()
        got = await task
        assert got == payload
        print("big ok")
    elif mode == "overlimit":
        writer.write(b"y" * 2000 + b"\n")
        await writer.drain()
        # The server reports what its readline said, then sends a long line.
        theirs = (await reader.readline()).decode().strip()
        try:
            await reader.readline()
            mine = "no error"
        except ValueError as e:
            mine = str(e)
        print("server said: " + theirs)
        print("client said: " + mine)
    elif mode == "reset":
        writer.write(b"partial line without end")
        await writer.drain()
        await asyncio.sleep(0.1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        print("reset sent")
        return
    writer.close()
    await writer.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
