"""Running the portal under uvicorn, one process or several.

With several workers uvicorn binds the listening socket itself without naming the TCP
protocol, and asyncio then leaves Nagle's algorithm on for every accepted connection: each
response (headers, then body) waits for the client's delayed ACK, about 40 ms. We bind the
socket ourselves, as TCP, so accepted connections get TCP_NODELAY as in single-process mode.

Where the system has SO_REUSEPORT (Linux), each worker listens on a socket of its own on the
same port and the kernel shares new connections out between them. On one shared socket the
worker that wakes first accepts every connection waiting (asyncio accepts up to the backlog
at once): under `make bench` one worker took all 32 connections and the other sat idle, so a
2-core machine served lists on one core. The price: connections already queued at a worker
that stops (a restart, a crash) are reset rather than taken by another worker; clients retry.
"""

from __future__ import annotations

import errno
import socket
import sys

import uvicorn
from uvicorn.server import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

APP = "portal.app:create_app"
# Linux spreads connections over SO_REUSEPORT sockets; macOS and the BSDs accept the option
# but give every connection to one socket, so there the workers share one socket as before.
_REUSE_PORT = getattr(socket, "SO_REUSEPORT", None) if sys.platform.startswith("linux") else None


class CannotListen(Exception):
    """The address can't be listened on (in use, or not ours to bind); raised before any
    worker starts."""


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if reuse_port:
        # SO_REUSEPORT alone, without SO_REUSEADDR: only sockets of this same user that set
        # SO_REUSEPORT too (our workers) can bind beside it, so nobody can slip onto the port
        # while no worker is listening; it still rebinds over old TIME_WAIT connections.
        sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    try:
        return listening_socket(host, port, reuse_port=True)
    except OSError as error:
        # Exit as a worker that failed to start, so the supervisor stops with it instead of
        # starting a new worker every half second.
        print(f"worker can't listen on {host}:{port}: {error}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None


def worker_sockets(host: str, port: int) -> tuple[socket.socket, list]:
    """The supervisor's socket and what each worker is given (raises CannotListen).

    The socket kept is bound with SO_REUSEPORT but never listening: it holds the port for
    the workers, refusing any other program (the kernel lets only this same user's
    SO_REUSEPORT sockets beside it), and is given no connections. A server of this same user
    already listening there (another portal) would be let in, so the address is tried first:
    if something answers, the port is taken and nothing is shared."""
    try:
        if _REUSE_PORT is None:
            shared = listening_socket(host, port)
            return shared, [shared]
        try:
            sock = listening_socket(host, port, reuse_port=True)
        except OSError as error:
            if error.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
                raise
            shared = listening_socket(host, port)  # a kernel without it: one shared socket
            return shared, [shared]
    except OSError as error:
        raise CannotListen(f"{host}:{port}: {error.strerror or error}") from None
    port = sock.getsockname()[1]
    if _answers(host, port):
        sock.close()
        raise CannotListen(f"{host}:{port}: another server is already listening there")
    return sock, [WorkerSocket(host, port)]


def _answers(host: str, port: int) -> bool:
    # a wildcard address is tried on loopback (a mapping, not a bind)
    target = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False


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
