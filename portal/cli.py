"""`portal`: everything a person or cron runs (serve, migrate, demo, seed, users, tokens)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from portal.settings import SettingsError, get_settings


def _run(coro_factory: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async command; domain errors become one line and exit code 1."""
    from portal.core.db import close_pool
    from portal.core.errors import PortalError

    async def run_then_close() -> Any:
        try:
            return await coro_factory()
        finally:
            await close_pool(timeout=3)

    try:
        return asyncio.run(run_then_close())
    except PortalError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    except (OSError, ConnectionError) as error:
        click.echo(f"error: cannot reach the database or a file: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # one line, not a traceback; PORTAL_LOG_LEVEL=DEBUG shows more
        if get_settings().log_level == "DEBUG":
            raise
        hint = " (has `portal migrate` been run?)" if "no such" in str(error) or \
            "does not exist" in str(error) else ""
        click.echo(f"error: {type(error).__name__}: {str(error)[:300]}{hint}", err=True)
        sys.exit(1)


@click.group()
def cli() -> None:
    """Supplier assurance portal for NHS organisations (DSPT standard 10)."""
    settings = get_settings()  # fail early, in one line, on bad settings
    from portal.wiring import wire

    wire()
    from portal.core.logging import configure_logging

    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)


@cli.command()
def migrate() -> None:
    """Apply database migrations (safe to run repeatedly)."""
    from portal.core.migrations import migrate as run_migrations

    _run(run_migrations)
    click.echo("migrations applied")


@cli.command()
@click.option("--host", default=None, help="Overrides PORTAL_HOST")
@click.option("--port", type=int, default=None, help="Overrides PORTAL_PORT")
def serve(host: str | None, port: int | None) -> None:
    """Serve the portal with uvicorn (PORTAL_WORKERS processes)."""
    from portal.core.server import CannotListen
    from portal.core.server import serve as run_server

    settings = get_settings()
    from portal.core.logging import configure_logging

    configure_logging(settings.log_level)
    click.echo(f"portal listening on http://{host or settings.host}:{port or settings.port} "
               f"(admin at /admin/, API docs at /schema)", err=True)
    try:
        run_server(host or settings.host, port or settings.port, settings.workers)
    except CannotListen as error:  # the port, bound before any worker starts
        raise click.ClickException(f"Can't listen on {error}. Stop what is using it, or "
                                   "choose another port with --port.") from None


@cli.command()
def demo() -> None:
    """Load the demo organisation, suppliers and staff logins (idempotent)."""
    from portal.demo import load_demo

    result = _run(lambda: load_demo(data_dir=get_settings().data_path))
    click.echo(f"demo data ready ({result.created_suppliers} suppliers added)")
    click.echo("staff logins for /admin/ (also kept in "
               f"{result.credentials_file}):")
    for username, password in result.credentials.items():
        click.echo(f"  {username:18} {password}")
    click.echo("demo-admin and demo-reviewer also need an authenticator code (sign in at /staff/login):")
    for username, key in result.authenticator_keys.items():
        click.echo(f"  {username:18} authenticator key {key}  (or: portal demo-code {username})")


@cli.command("demo-code")
@click.argument("username")
def demo_code(username: str) -> None:
    """Print the current authenticator code of a demo user (development only)."""
    from portal.core import totp

    settings = get_settings()
    key_file = settings.data_path / f"demo-totp-{username}"
    if settings.env == "production" or not username.startswith("demo-") or not key_file.exists():
        click.echo("error: only for demo users outside production", err=True)
        sys.exit(1)
    click.echo(totp.code_at(key_file.read_text().strip(), totp.current_step()))


@cli.command()
@click.option("--suppliers", "count", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--contracts", type=click.IntRange(0, 20), default=3, show_default=True)
@click.option("--certifications", type=click.IntRange(0, 20), default=3, show_default=True)
def seed(count: int, contracts: int, certifications: int) -> None:
    """Generate synthetic suppliers with contracts and certifications (for benchmarks)."""
    from portal.demo import seed as run_seed

    def progress(done: int, total: int) -> None:
        click.echo(f"\r{done}/{total} suppliers", nl=False, err=True)

    result = _run(lambda: run_seed(suppliers_count=count, contracts_per_supplier=contracts,
                                   certifications_per_supplier=certifications, progress=progress))
    click.echo("", err=True)
    click.echo(f"seeded {count} suppliers in {result['seconds']:.1f}s")


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        return password_file.read_text().rstrip("\r\n")
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise click.ClickException("the passwords differ")
    return first


@cli.command("create-user")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "procurement", "reviewer", "auditor"]),
              required=True)
@click.option("--email", default="")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the password from this file instead of a prompt")
def create_user(username: str, role: str, email: str, password_file: Path | None) -> None:
    """Create a staff user with one role."""
    from portal.core import staff

    password = _read_password(password_file)
    user_id = _run(lambda: staff.create_user(username=username, password=password, role=role,
                                             email=email))
    click.echo(f"created {role} user {username} (id {user_id})")


@cli.command("create-token")
@click.option("--name", required=True, help="Who or what uses it, e.g. 'finance-sync'")
@click.option("--role", type=click.Choice(["admin", "procurement", "reviewer", "auditor"]),
              required=True)
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None)
def create_token(name: str, role: str, expires_days: int | None) -> None:
    """Create an API token; it is printed once, as the last line, and only its hash is kept."""
    from portal.core import staff

    issued = _run(lambda: staff.create_token(name=name, role=role, expires_in_days=expires_days))
    click.echo(f"token {issued.id} '{issued.name}' ({issued.role}); store it now, it is not shown again:")
    click.echo(issued.token)


@cli.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2_147_483_647))
def revoke_token(token_id: int) -> None:
    """Revoke an API token by id."""
    from portal.core import staff

    _run(lambda: staff.revoke_token(token_id=token_id))
    click.echo(f"token {token_id} revoked")


@cli.group()
def questionnaires() -> None:
    """Questionnaire definitions."""


@questionnaires.command("check")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Check definitions in another folder")
def questionnaires_check(directory: Path | None) -> None:
    """Validate every definition; name the file and question of each fault."""
    from questionnaires.loader import DEFINITIONS_DIR, check_all

    definitions, faults = check_all(directory or DEFINITIONS_DIR)
    for definition in definitions:
        click.echo(f"ok  {definition.key} {definition.version} "
                   f"({len(definition.questions())} questions, {definition.content_hash[:12]})")
    for fault in faults:
        click.echo(f"ERR {fault}", err=True)
    if faults:
        sys.exit(1)


@cli.group()
def jobs() -> None:
    """Scheduled work, for cron."""


@jobs.command("run")
def jobs_run() -> None:
    """Send reminders, expire links and dispatch the outbox (safe to run twice at once)."""
    from portal.jobs import run_all

    result = _run(lambda: run_all(get_settings()))
    click.echo(" ".join(f"{k}={v}" for k, v in result.items()))
    if result.get("failed_jobs"):
        sys.exit(1)  # every job still ran; cron hears that one failed


@cli.group()
def contracts() -> None:
    """Contract documents."""


@contracts.command("scan")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every clause key)")
def contracts_scan(path: Path, as_json: bool) -> None:
    """Scan a contract (.docx or PDF) for the clause library's terms."""
    import json

    from portal.contracts.reader import UnreadableContract
    from portal.contracts.scanner import scan_document

    try:
        result = scan_document(path.read_bytes(), filename=path.name)
    except UnreadableContract as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    for note in result.notes:
        click.echo(f"note: {note}")
    for finding in result.clauses:
        click.echo(f"{finding.status:8} {finding.key:38} {finding.location}"
                   + (f"  ({finding.reason})" if finding.reason and finding.present else ""))
    if result.breach_immediate:
        click.echo("breach notification: immediately")
    else:
        click.echo(f"breach notification: {result.breach_notification_hours or 'no'} hours")


@contracts.command("evaluate")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--detail/--no-detail", default=True, show_default=True,
              help="List each document's misses")
def contracts_evaluate(folder: Path, detail: bool) -> None:
    """Precision, recall and F1 per clause key over a labelled folder (labels.json)."""
    from portal.contracts.evaluate import evaluate_folder

    try:
        report = evaluate_folder(folder)
    except (FileNotFoundError, ValueError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo("\n".join(report.lines(title=f"Labelled folder {folder}", detail=detail)))


@cli.group("import")
def import_() -> None:
    """Import the DSPT register export or a supplier spreadsheet."""


def _progress(done: int, total: int) -> None:
    click.echo(f"\r{done}/{total} rows", nl=False, err=True)


def _print_report(report: dict) -> None:
    click.echo("", err=True)
    for key, value in report.items():
        if key != "errors":
            click.echo(f"{key}: {value}")
    for error in report["errors"]:
        click.echo(f"  {error}")


@import_.command("dspt")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_dspt_command(path: Path) -> None:
    """Import the toolkit's organisation-search CSV and verify suppliers by ODS code."""
    from portal.certifications.register_import import import_dspt

    text = path.read_text(encoding="utf-8-sig", errors="replace").replace("\x00", "")
    report = _run(lambda: import_dspt(text, progress=_progress))
    _print_report(report.as_dict())


@import_.command("suppliers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing")
def import_suppliers_command(path: Path, dry_run: bool) -> None:
    """Onboard suppliers from a CSV (idempotent on supplier_key; see README for columns)."""
    from portal.suppliers.importer import import_suppliers

    text = path.read_text(encoding="utf-8-sig", errors="replace").replace("\x00", "")
    report = _run(lambda: import_suppliers(text, dry_run=dry_run, progress=_progress))
    _print_report(report.as_dict())
    if report.errors and not (report.created or report.updated or report.unchanged):
        sys.exit(1)


@cli.group()
def report() -> None:
    """Write reports to files."""


@report.command("dspt-evidence")
@click.option("--toolkit", default="2026-27", show_default=True)
@click.option("--annex", type=click.Choice(["ndg", "caf"]), default=None,
              help="Add the other view (standard 10 items or CAF A4.a) as an annex")
@click.option("--as-at", "as_at", default=None, metavar="YYYY-MM-DD",
              help="Build the pack from the records as they stood at the end of that day")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def report_dspt(toolkit: str, annex: str | None, as_at: str | None, output: Path | None) -> None:
    """The DSPT evidence pack (.docx) for the organisation's category: standard 10 items or
    CAF A4.a."""
    from portal.reports.evidence import evidence_pack

    filename, data = _run(lambda: evidence_pack(toolkit=toolkit, annex=annex, as_at=as_at))
    target = output or Path(filename)
    target.write_bytes(data)
    click.echo(str(target))


@cli.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; name the first broken event."""
    from portal.core.audit import verify

    result = _run(verify)
    if result.broken_at is None:
        waiting = f" ({result.pending} newer events wait for their transactions to finish)" \
            if result.pending else ""
        click.echo(f"audit trail intact: {result.checked} events verified{waiting}")
        return
    click.echo(f"audit trail BROKEN at event {result.broken_at}: {result.problem} "
               f"({result.checked} events before it verified)", err=True)
    sys.exit(1)


@cli.group("signing-key")
def signing_key() -> None:
    """The organisation's key for signing answer bundles."""


def _echo_key(key) -> None:
    from portal.bundles.envelope import format_fingerprint

    click.echo(f"{key.status}: key id {key.key_id}, public key {key.public_key}")
    click.echo(f"  fingerprint {format_fingerprint(key.fingerprint)}")


@signing_key.command("show")
def signing_key_show() -> None:
    """Print every signing key (active first, then retired ones), with fingerprints."""
    from portal.bundles.keys import all_keys

    for key in all_keys():
        _echo_key(key)


@signing_key.command("rotate")
def signing_key_rotate() -> None:
    """Make a new signing key; the old one's public half is kept to verify old bundles.
    Tell the organisations that trust you the new fingerprint."""
    from portal.bundles.keys import rotate

    old, new = rotate()
    _echo_key(old)
    _echo_key(new)


@cli.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def backup_command(output: Path) -> None:
    """Back up the database and evidence files into one archive (.tar.gz)."""
    from portal.core.backup import backup

    counts = _run(lambda: backup(output))
    click.echo(f"backup written to {output}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore a backup into an empty, migrated database (run `portal migrate` first)."""
    from portal.core.backup import restore

    counts = _run(lambda: restore(archive))
    click.echo("restored: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))


@cli.command("permissions")
def permissions() -> None:
    """Print the permission matrix (as in the README)."""
    from portal.core.permissions import markdown_table

    click.echo(markdown_table())


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SettingsError as error:
        click.echo(f"portal: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
