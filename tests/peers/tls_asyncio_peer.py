"""An asyncio TLS peer for the TLS interoperability tests.

Usage:
  tls_asyncio_peer.py server CERT KEY   prints "PORT <n>", serves one TLS
                                        connection: echoes lines until EOF,
                                        then prints "server done" and exits.
  tls_asyncio_peer.py client PORT CA NAME
                                        connects with TLS (CA trusted,
                                        server_hostname NAME), sends one line,
                                        prints the reply and whether the
                                        server's EOF closed the writer.
Every wait is bounded by asyncio.timeout-style wait_for calls.
"""
import asyncio
import ssl
import sys

T = 20


async def server(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), T)
                if not line:
                    break
                writer.write(b"echo: " + line)
                await asyncio.wait_for(writer.drain(), T)
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), T)
        finally:
            if not done.done():
                done.set_result(None)

    srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print("PORT", srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.wait_for(done, 60)
    srv.close()
    print("server done", flush=True)


async def client(port, ca, name):
    ctx = ssl.create_default_context(cafile=ca)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname=name), T
    )
    print("version", writer.get_extra_info("ssl_object").version(), flush=True)
    writer.write(b"hello from asyncio\n")
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), T)
    print("reply", line.decode().strip(), flush=True)
    rest = await asyncio.wait_for(reader.read(), T)
    print("eof", repr(rest), writer.is_closing(), flush=True)
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), T)
    except (ConnectionError, ssl.SSLError) as e:
        print("wait_closed", type(e).__name__, flush=True)
    print("client done", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(client(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
