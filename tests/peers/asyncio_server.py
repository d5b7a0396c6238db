"""An asyncio server for the interoperability tests.

Usage: asyncio_server.py MODE. Prints "PORT <n>" once listening, then one
line per fact observed; serves a single connection and exits.
"""
import asyncio
import socket
import struct
import sys

LIMIT = 1024


async def main(mode):
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        try:
            if mode == "echo":
                async for line in reader:
                    writer.write(line)
                    await writer.drain()
            elif mode == "halfclose":
                data = await reader.read()
                writer.write(b"got " + data)
                await writer.drain()
            elif mode == "big":
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
            elif mode == "overlimit":
                writer.write(b"z" * 2000 + b"\n")
                await writer.drain()
                try:
                    await reader.readline()
                    print("server said: no error", flush=True)
                except ValueError as e:
                    print("server said: " + str(e), flush=True)
                await reader.read()
            elif mode == "reset":
                writer.write(b"partial line without end")
                await writer.drain()
                await asyncio.sleep(0.1)
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                done.set_result(None)
                return
            writer.close()
            await writer.wait_closed()
        finally:
            if not done.done():
                done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=LIMIT)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.wait_for(done, 60)
    server.close()
    await server.wait_closed()
    print("server done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
