"""Log lines: one JSON object per line (production) or plain text (development), with the request id.

Only what the service chooses goes into a line: the time, the level, the logger, the message, the
request id and, for access lines, the method, the route template, the status and the duration.
An exception is written as its type and its frames, never its message: a database error's message
carries the SQL parameters, and other messages may quote what a client sent.
"""

from __future__ import annotations

import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import orjson

from skills_vc.config import Settings

__all__ = [
    "ACCESS_LOGGER",
    "REQUEST_ID",
    "JsonFormatter",
    "LogFormat",
    "PlainFormatter",
    "RequestContext",
    "log_format",
    "uvicorn_log_config",
]

LogFormat = Literal["json", "plain"]

ACCESS_LOGGER = "skills_vc.access"

# The id of the request being served; the access middleware sets it for the request's task.
REQUEST_ID: ContextVar[str | None] = ContextVar("skills_vc_request_id", default=None)

# The fields an access line adds to the record (``extra=``), in the order they are written.
_ACCESS_FIELDS = ("method", "route", "status", "duration_ms")
_MAX_FRAMES = 30

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def log_format(settings: Settings) -> LogFormat:
    """``SKILLS_VC_LOG_FORMAT``, else JSON in production and plain text in development."""
    if settings.log_format is not None:
        return settings.log_format
    return "json" if settings.mode == "production" else "plain"


class RequestContext(logging.Filter):
    """Stamps each record with the id of the request it was logged for (``None`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def _exception(exc_info: ExcInfo) -> dict[str, Any] | None:
    kind, _value, tb = exc_info
    if kind is None:
        return None
    frames = traceback.extract_tb(tb)[-_MAX_FRAMES:]
    return {
        "type": f"{kind.__module__}.{kind.__qualname__}",
        "frames": [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames],
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with only the fields listed in this module's docstring."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for name in _ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = _exception(record.exc_info)
        return orjson.dumps(line).decode()


class PlainFormatter(logging.Formatter):
    """``time level logger message request_id=... duration_ms=...``, exceptions without messages."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # The base class would add the exception's own text; the frames are added here instead.
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info = exc_info
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            text += f" request_id={request_id}"
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            text += f" duration_ms={duration}"
        described = _exception(exc_info) if exc_info else None
        if described is not None:
            text += "\n  " + described["type"] + "".join(f"\n    {frame}" for frame in described["frames"])
        return text


def uvicorn_log_config(settings: Settings, *, access_log: bool) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` that ``skills-vc serve`` hands to uvicorn (each worker applies it).

    uvicorn's own access log is replaced by the application's access lines, which name the route
    template (``/c/{token}``) and never the path, the query string or the client's address.
    """
    formatter = JsonFormatter if log_format(settings) == "json" else PlainFormatter
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": f"{__name__}.RequestContext"}},
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request"],
            }
        },
        "root": {"level": "INFO", "handlers": ["default"]},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            ACCESS_LOGGER: {"level": "INFO" if access_log else "WARNING"},
            # At INFO these would write every SQL statement with its parameters, and every URL fetched.
            "sqlalchemy": quiet,
            "httpx": quiet,
            "httpcore": quiet,
        },
    }
