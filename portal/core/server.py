"""Running the portal under uvicorn, one process or several.

With several workers uvicorn binds the listening socket itself without naming the TCP
protocol, and asyncio then leaves Nagle's algorithm on for every accepted connection: each
response (headers, then body) waits for the client's delayed ACK, about 40 ms. We bind the
socket ourselves, as TCP, so accepted connections get TCP_NODELAY as in single-process mode.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "portal.app:create_app"


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(host: str, port: int, workers: int) -> None:
    # A request still running 10 s after a stop signal no longer holds up a restart.
    config = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers,
                            log_config=None, access_log=False, proxy_headers=True,
                            server_header=False, timeout_graceful_shutdown=10)
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    sock = listening_socket(host, port)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
