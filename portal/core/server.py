"""Running the portal under uvicorn, one process or several.

With several workers uvicorn binds the listening socket itself without naming the TCP
protocol, and asyncio then leaves Nagle's algorithm on for every accepted connection: each
response (headers, then body) waits for the client's delayed ACK, about 40 ms. We bind the
socket ourselves, as TCP, so accepted connections get TCP_NODELAY as in single-process mode.

Where the system has SO_REUSEPORT (Linux), each worker listens on a socket of its own on the
same port and the kernel shares new connections out between them. On one shared socket the
worker that wakes first accepts every connection waiting (asyncio accepts up to the backlog
at once): under `make bench` one worker took all 32 connections and the other sat idle, so a
2-core machine served lists on one core.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "portal.app:create_app"
_REUSE_PORT = getattr(socket, "SO_REUSEPORT", None)


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class WorkerSocket:
    """Stands for a socket in the list uvicorn hands each worker process: unpickled in the
    worker, it is a new socket bound to the same address with SO_REUSEPORT, that worker's
    own. A worker that is replaced binds a fresh one the same way."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self):
        return _worker_socket, (self.host, self.port)


def _worker_socket(host: str, port: int) -> socket.socket:
    return listening_socket(host, port, reuse_port=True)


def worker_sockets(host: str, port: int) -> tuple[socket.socket, list]:
    """The supervisor's socket and what each worker is given. The port is first bound
    without SO_REUSEPORT, so that a port another program (or another portal) listens on
    fails here with its error rather than sharing its connections with ours; the socket
    kept is bound but never listening: it holds the port for the workers and is given no
    connections."""
    if _REUSE_PORT is None:
        sock = listening_socket(host, port)
        return sock, [sock]
    probe = listening_socket(host, port)
    port = probe.getsockname()[1]
    probe.close()
    sock = listening_socket(host, port, reuse_port=True)
    return sock, [WorkerSocket(host, port)]


def serve(host: str, port: int, workers: int) -> None:
    # A request still running 10 s after a stop signal no longer holds up a restart.
    config = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers,
                            log_config=None, access_log=False, proxy_headers=True,
                            server_header=False, timeout_graceful_shutdown=10)
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    sock, given = worker_sockets(host, port)
    try:
        Multiprocess(config, sockets=given).run()
    finally:
        sock.close()
