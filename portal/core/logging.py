"""structlog JSON logs, one line per event, each carrying the request id.

Logged fields are chosen, never whole requests: no bodies, cookies, tokens or answers.
"""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import unquote

import structlog

_SECRET_PATH = re.compile(r"/(respond|notify)/+[^/?#]*", re.IGNORECASE)


# 32+ URL-safe base64 characters with both cases: a random secret, never one of our own
# path segments (question ids and keys are lower case, ids are numbers)
_TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])"
                         r"[A-Za-z0-9_-]{32,}")


def redact_path(path: str) -> str:
    """Supplier link tokens travel in the path; keep them out of every log line.

    Matched on the decoded path (decoded again while anything is still percent-encoded, so
    "/respon%64/<token>" or "/respon%2564/<token>" is known as /respond/), in any letter case.
    """
    decoded = path
    for _ in range(3):
        once = unquote(decoded, errors="replace")
        if once == decoded:
            break
        decoded = once
    decoded = _SECRET_PATH.sub(lambda m: f"/{m.group(1).lower()}/***", decoded)
    # and anything else in the path that looks like a link secret, wherever it sits
    # ("/respond/./<token>", "/respond;<token>", a token pasted into another route)
    return _TOKEN_LIKE.sub("***", decoded)


def configure_logging(level: str = "INFO") -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Route the standard library's loggers (uvicorn, piccolo, litestar) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer()],
    ))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn's access log would print raw paths (with link tokens); we log requests ourselves.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


def get_logger(name: str = "portal") -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)
