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


def test_each_worker_gets_a_socket_of_its_own_and_connections_are_shared_between_them():
    """With several workers each unpickles its own SO_REUSEPORT socket on the one port, so
    the kernel spreads new connections over the workers (one shared socket let the first
    worker awake accept all 32 of a benchmark's connections)."""
    import pickle
    import select

    import pytest

    from portal.core.server import WorkerSocket, worker_sockets

    if not hasattr(socket, "SO_REUSEPORT"):
        pytest.skip("no SO_REUSEPORT on this system: the workers share one socket")
    holder, (spec,) = worker_sockets("127.0.0.1", 0)  # the supervisor's, never listening
    port = holder.getsockname()[1]
    assert isinstance(spec, WorkerSocket)
    workers = [pickle.loads(pickle.dumps(spec)) for _ in range(2)]  # noqa: S301 - our own object
    clients = []
    try:
        for sock in workers:
            assert isinstance(sock, socket.socket) and sock.getsockname()[1] == port
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            sock.listen(128)
        for _ in range(64):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            clients.append(client)
        accepted = [0, 0]
        while sum(accepted) < 64:  # drain both queues
            ready, _, _ = select.select(workers, [], [], 1.0)
            if not ready:
                break
            for sock in ready:
                conn, _ = sock.accept()
                conn.close()
                accepted[workers.index(sock)] += 1
        assert sum(accepted) == 64
        assert min(accepted) > 0, accepted  # 2**-63 that the hash sends all to one side
    finally:
        for s in [*clients, *workers, holder]:
            s.close()


def test_a_port_another_server_listens_on_is_refused_not_shared():
    """Two portals started on one port would otherwise split its connections between them."""
    import pytest

    from portal.core.server import CannotListen, worker_sockets

    other = listening_socket("127.0.0.1", 0, reuse_port=hasattr(socket, "SO_REUSEPORT"))
    other.listen(8)
    try:
        with pytest.raises(CannotListen):
            worker_sockets("127.0.0.1", other.getsockname()[1])
    finally:
        other.close()


def test_while_no_worker_listens_the_port_stays_ours():
    """Between the supervisor's bind and its workers' (or with every worker down) no other
    program can take the port."""
    import pytest

    from portal.core.server import worker_sockets

    holder, _ = worker_sockets("127.0.0.1", 0)
    port = holder.getsockname()[1]
    intruder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        with pytest.raises(OSError):
            intruder.bind(("127.0.0.1", port))
    finally:
        intruder.close()
        holder.close()


def test_a_port_reopens_at_once_after_a_stop_with_connections_in_time_wait():
    from portal.core.server import worker_sockets

    holder, (spec,) = worker_sockets("127.0.0.1", 0)
    port = holder.getsockname()[1]
    import pickle

    worker = pickle.loads(pickle.dumps(spec))  # noqa: S301 - our own object
    worker.listen(8)
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    accepted, _ = worker.accept()
    accepted.close()  # the server closes first: its side waits in TIME_WAIT
    client.recv(1)
    client.close()
    worker.close()
    holder.close()
    again, _ = worker_sockets("127.0.0.1", port)  # a restart straight away
    again.close()
