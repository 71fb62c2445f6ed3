"""One settings object for the whole portal, read from ``PORTAL_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "please-change-me"}


class SettingsError(Exception):
    """Settings that cannot work; the message is one line a person can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    data_dir: Path = Path("./var")
    database_url: str | None = None
    base_url: str | None = None
    secret_key: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_upload_mb: int = Field(25, ge=1, le=1024)
    # One lifetime for staff sessions, workspace and back office alike (not stretched by use).
    session_hours: int = Field(8, ge=1, le=24)
    link_validity_days_after_due: int = Field(30, ge=1, le=365)
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-west-2"
    s3_checksums: Literal["when_supported", "when_required"] = "when_required"
    smtp_url: str | None = None
    mail_from: str = "supplier-assurance@localhost"
    db_pool_size: int = Field(10, ge=1, le=200)
    # The scheduled jobs (reminders, expiry, the outbox, rescoring) run inside `portal serve`
    # every this many seconds, in each worker (they are safe to run at once); 0 leaves them to
    # cron (`portal jobs run`). Off by default only in tests, which run them by hand.
    jobs_interval_seconds: int | None = Field(None, ge=0, le=86_400)
    # The organisation's Ed25519 signing key (PEM, PKCS#8) for answer bundles; by default one
    # is generated at first use in <data dir>/signing-keys/ (never in the database or backups).
    signing_key_file: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = urlparse(value).scheme
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError("must be an http(s) URL such as https://suppliers.example.nhs.uk")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        if self.secret_key is not None:
            if self.secret_key.strip().lower() in _PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
                raise ValueError("PORTAL_SECRET_KEY is a well-known default or shorter than 16 characters")
        return self

    # Derived values -----------------------------------------------------------------
    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'portal.sqlite3'}"

    @property
    def is_postgres(self) -> bool:
        return self.effective_database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        url = self.effective_database_url
        return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else Path(url[9:])

    @property
    def effective_base_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def https(self) -> bool:
        return self.effective_base_url.startswith("https://")

    @property
    def evidence_path(self) -> Path:
        return self.data_path / "evidence"

    @property
    def jobs_interval(self) -> int:
        if self.jobs_interval_seconds is not None:
            return self.jobs_interval_seconds
        return 0 if self.env == "test" else 60

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        if self.env == "production":
            raise SettingsError("PORTAL_SECRET_KEY must be set in production")
        key_file = self.data_path / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_path.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place (which fails if the file exists): two worker
        # processes starting together agree on one key, and neither reads a half-written file.
        draft = key_file.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            os.unlink(draft)
        return key_file.read_text().strip()


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = "PORTAL_" + "_".join(str(p) for p in item["loc"]).upper() if item["loc"] else "settings"
        parts.append(f"{name}: {item['msg']}")
    return "invalid settings: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
