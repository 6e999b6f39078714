"""Evidence commands (key create/show, evidence, verify), registered onto the main CLI group."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from ..service.evidence import (
    DEFAULT_MAX_BUNDLE_BYTES,
    EvidenceError,
    bundle_for,
    create_key,
    default_key_path,
    load_private_key,
    parse_public_key,
    public_key_b64,
    verify_bundle,
)
from ..store.base import Store
from .options import db_option
from .service_commands import run_with_store

console = Console(stderr=False)
errors = Console(stderr=True)


def register(group: click.Group) -> None:
    group.add_command(key)
    group.add_command(evidence)
    group.add_command(verify)


def _fail(message: str, code: int = 2) -> None:
    errors.print(f"[red]error:[/red] {message}")
    sys.exit(code)


@click.group()
def key() -> None:
    """The Ed25519 key that signs evidence bundles (public part served at /v1/keys)."""


@key.command("create")
@click.option("--path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the private key (default: the user data dir, or CONSENTWATCH_EVIDENCE_KEY).")
@click.option("--force", is_flag=True, help="Replace an existing key (bundles signed with it stop verifying).")
def key_create(path: str | None, force: bool) -> None:
    """Create the signing key and print its public part (base64)."""
    try:
        written = create_key(Path(path) if path else None, overwrite=force)
    except EvidenceError as exc:
        _fail(str(exc))
    errors.print(f"private key written to {written} (mode 0600); public key:")
    click.echo(public_key_b64(load_private_key(written)))


@key.command("show")
@click.option("--path", type=click.Path(dir_okay=False), default=None)
def key_show(path: str | None) -> None:
    """Print the public key (base64, as /v1/keys publishes it)."""
    try:
        click.echo(public_key_b64(load_private_key(Path(path) if path else None)))
    except EvidenceError as exc:
        _fail(str(exc))


@click.command()
@click.argument("domain")
@click.option("--audit", "audit_id", type=int, default=None, help="Report id (default: the latest audit).")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--max-mib", type=click.IntRange(1), default=DEFAULT_MAX_BUNDLE_BYTES // 2**20, show_default=True,
              help="Cap on the bundle (uncompressed), when it has to be built; a kept bundle is written as kept.")
@db_option()
def evidence(domain: str, audit_id: int | None, out: str, max_mib: int, db: str | None) -> None:
    """Write the signed evidence bundle of a stored audit of DOMAIN (the same bytes the API serves)."""

    async def fetch(store: Store) -> tuple[int, bytes] | None:
        report = await store.report(domain, audit_id)
        capture = await store.capture(report.capture_id) if report and report.capture_id else None
        if report is None or capture is None:
            return None
        return report.report_id, await bundle_for(store, report, capture, load_private_key, max_mib * 2**20)

    try:
        found = run_with_store(db, fetch)
    except EvidenceError as exc:  # no key to build with, or over the cap
        _fail(str(exc))
    if found is None:
        _fail(f"no stored audit{f' {audit_id}' if audit_id else ''} of {domain} with its capture", 1)
    report_id, bundle = found
    Path(out).write_bytes(bundle)
    errors.print(f"evidence bundle of audit {report_id} written to {out}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_text", default=None,
              help="The signer's public key (base64 from /v1/keys, a PEM, or @FILE). Default: this machine's key.")
def verify(bundle: str, key_text: str | None) -> None:
    """Check BUNDLE.zip: the manifest's Ed25519 signature and every file's SHA-256. Exit 1 when it fails."""
    try:
        if key_text is None:
            trusted = load_private_key().public_key()
        else:
            text = Path(key_text[1:]).read_text() if key_text.startswith("@") else key_text
            trusted = parse_public_key(text)
    except (EvidenceError, OSError) as exc:
        _fail(str(exc))
    result = verify_bundle(Path(bundle).read_bytes(), [trusted])
    if result.ok:
        m = result.manifest or {}
        console.print(f"[green]OK[/green] audit {m.get('audit_id')} of {m.get('domain')}: signature valid "
                      f"(key {m.get('key_id')}), {len(m.get('files', []))} files match their SHA-256")
        return
    for problem in result.problems:
        errors.print(f"[red]FAILED[/red] {problem}")
    sys.exit(1)


__all__ = ["default_key_path", "register"]
