"""Several workers share a socket we bind ourselves, so responses are not held back by Nagle."""

from __future__ import annotations

import asyncio
import socket

from portal.core.server import listening_socket


async def test_connections_accepted_on_the_shared_socket_send_without_delay():
    sock = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_connect(reader, writer):
        raw = writer.get_extra_info("socket")
        accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname())
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_uvicorns_own_socket_would_not_name_tcp():
    """Why server.py binds the socket: if uvicorn starts naming the protocol, drop ours."""
    from uvicorn import Config

    config = Config("portal.app:create_app", host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.proto == 0
    finally:
        sock.close()
