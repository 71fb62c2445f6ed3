import contextlib
import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    """A port nothing listens on right now, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_portal(workers: int = 1, **env_overrides: str):
    """The portal served by uvicorn on a loopback port, against the test database (with
    `workers` > 1, several processes share it, as in production)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PORTAL_PORT": str(port), "PORTAL_BASE_URL": base, **env_overrides}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--timeout-graceful-shutdown", "3",
         *(["--workers", str(workers)] if workers > 1 else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core CI machine can be slow to start workers
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the portal did not start")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # say so, but don't leave it running
            process.kill()
            process.wait()
            raise
