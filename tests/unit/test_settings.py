"""Settings: defaults, validation in one line, the generated secret key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from pydantic import ValidationError

from portal.settings import Settings, describe_validation_error


@pytest.fixture(autouse=True)
def no_portal_environment(monkeypatch):
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        monkeypatch.delenv(name)


def make(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_are_local_and_sqlite(tmp_path):
    settings = make(data_dir=tmp_path)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/portal.sqlite3"
    assert settings.effective_base_url == "http://127.0.0.1:8000"
    assert not settings.is_postgres


def test_postgres_url_is_recognised():
    assert make(database_url="postgresql://u@h:5432/db").is_postgres


@pytest.mark.parametrize("field,value", [("port", "70000"), ("database_url", "mysql://x"),
                                         ("base_url", "not-a-url"), ("secret_key", "changeme"),
                                         ("max_upload_mb", "0")])
def test_invalid_values_are_named_in_one_line(field, value):
    with pytest.raises(ValidationError) as error:
        make(**{field: value})
    message = describe_validation_error(error.value)
    assert "\n" not in message
    assert f"PORTAL_{field.upper()}" in message or "PORTAL_SECRET_KEY" in message


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    settings = make(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert make(data_dir=tmp_path).resolved_secret_key() == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_processes_starting_together_agree_on_one_generated_key(tmp_path):
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_generated_key, [str(tmp_path)] * 8)
    assert len(set(keys)) == 1 and len(keys[0]) >= 32, keys
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no drafts left


def _generated_key(data_dir: str) -> str:
    return make(data_dir=data_dir).resolved_secret_key()


def test_production_needs_an_explicit_secret(tmp_path):
    from portal.settings import SettingsError

    with pytest.raises(SettingsError):
        make(data_dir=tmp_path, env="production").resolved_secret_key()


def test_cli_stops_with_one_clear_line_on_bad_settings(tmp_path):
    env = {**os.environ, "PICCOLO_CONF": "portal.piccolo_conf", "PORTAL_PORT": "eighty", "PORTAL_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "portal.cli", "migrate"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "PORTAL_PORT" in result.stderr
    assert "Traceback" not in result.stderr
