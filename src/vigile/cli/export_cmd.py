"""`vigile export plan | run | verify | open | keygen`: safe migration extractions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..protect import (
    ProtectError,
    load_private,
    load_profile,
    load_public,
    open_export,
    plan_export,
    read_secret,
    run_export,
    verify_export,
    write_secret,
    write_signing_key,
)
from .app import app, console, fail

export_app = typer.Typer(
    help="Export a database or file safely: minimised, pseudonymised, encrypted, signed.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

SOURCE_HELP = "A SQL database URL (sqlite:///lab.db, postgresql://…) or a file vigile can read."


@export_app.command("plan")
def plan(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the profile here."),
    rows: int = typer.Option(50_000, "--rows", help="Rows sampled per table to classify columns."),
) -> None:
    """Propose an export profile (YAML): every column with its category and a safe action."""
    try:
        text = plan_export(source, rows)
    except ProtectError as e:
        fail(str(e))
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(
            f"profile written to {output}; review it before `vigile export run`", markup=False
        )
    else:
        sys.stdout.write(text)


@export_app.command("keygen")
def keygen(
    folder: Path = typer.Argument(..., help="Where to write the exporter's keys (kept private)."),
    recipient: bool = typer.Option(
        False, "--recipient", help="Also create an age identity for a recipient (for tests, demos)."
    ),
) -> None:
    """Create a signing key pair and a pseudonymisation secret (never shipped with exports)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fp = write_signing_key(folder / "signing.key", folder / "signing.pub")
        write_secret(folder / "pseudonym.secret")
    except FileExistsError:
        fail(f"{folder}: keys already exist there, not overwritten")
    console.print(f"signing key {fp}: {folder / 'signing.key'} (public: signing.pub)", markup=False)
    console.print(f"pseudonymisation secret: {folder / 'pseudonym.secret'}", markup=False)
    if recipient:
        from pyrage import x25519

        ident = x25519.Identity.generate()
        (folder / "recipient.agekey").write_text(f"{ident}\n")
        (folder / "recipient.agekey").chmod(0o600)
        console.print(f"recipient public key: {ident.to_public()}", markup=False)


@export_app.command("run")
def run(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    profile: Path = typer.Option(..., "--profile", "-p", help="Export profile (YAML)."),
    recipients: list[str] = typer.Option(
        ..., "--recipient", "-r", help="age public key (age1…) of the receiving party; repeatable."
    ),
    out: Path = typer.Option(..., "--out", help="New folder for the encrypted export."),
    signing_key: Path = typer.Option(
        ..., "--signing-key", envvar="VIGILE_SIGNING_KEY", help="Ed25519 private key (PEM)."
    ),
    secret_file: Path = typer.Option(
        ...,
        "--secret-file",
        envvar="VIGILE_EXPORT_SECRET",
        help="Pseudonymisation secret, held outside the export.",
    ),  # fmt: skip
    by: str | None = typer.Option(None, "--by", help="Who exports (default: user@host)."),
    register: bool = typer.Option(
        False, "--register", help="Register the export in the provenance registry (--db)."
    ),
    to: str | None = typer.Option(
        None, "--to", help="With --register: who receives it (default: the age recipients)."
    ),
    purpose: str | None = typer.Option(None, "--purpose", help="With --register: why."),
    db: str | None = typer.Option(
        None, "--db", envvar="VIGILE_DB", help="With --register: the case store's database."
    ),
    canaries: int = typer.Option(
        0,
        "--canaries",
        help="With --register: plant this many canary records (0-50) in the "
        "export, in its own columns and styles.",
    ),  # fmt: skip
    patients: Path | None = typer.Option(
        None,
        "--patients",
        help="With --canaries: patient database; no canary collides with any of its patients.",
    ),  # fmt: skip
    email_domain: str | None = typer.Option(
        None,
        "--canary-email-domain",
        help="With --canaries: a domain you monitor, for the canaries' e-mails.",
    ),  # fmt: skip
) -> None:
    """Export SOURCE through PROFILE, encrypted to the recipients, with a signed manifest."""
    from ..provenance import ProvenanceError

    hook = None
    if (canaries or patients or email_domain) and not register:
        fail("--canaries, --patients and --canary-email-domain go with --register")
    if patients is not None and not patients.is_file():
        fail(f"{patients}: no such file")
    if register:
        if not purpose:
            fail("--register needs --purpose (why the export is made)")
        from ..provenance import open_registry
        from ..provenance.hook import ExportHook

        try:
            reg = open_registry(db, create=True)
        except ProvenanceError as e:
            fail(str(e))
        hook = ExportHook(reg, name=out.name, recipient=to or ", ".join(recipients),
                          purpose=purpose, canaries=canaries, patients=patients,
                          email_domain=email_domain)  # fmt: skip
    try:
        manifest = run_export(
            source, load_profile(profile), recipients, out, load_private(signing_key),
            read_secret(secret_file), exported_by=by, provenance=hook,
        )  # fmt: skip
    except (ProtectError, ProvenanceError) as e:
        fail(str(e))
    finally:
        if hook is not None:
            hook.registry.close()
    if hook is not None:
        planted = f", with {canaries} canary records" if canaries else ""
        console.print(f"registered in the provenance registry as {out.name!r}{planted}",
                      markup=False)  # fmt: skip
    for p in manifest["parts"]:
        console.print(
            f"{p['table']}: {p['rows']} rows, {len(p['columns'])} columns out, "
            f"{len(p['dropped'])} dropped -> {out / p['file']}",
            markup=False,
        )
    console.print(f"signed manifest: {out / 'manifest.json'}; expires {manifest['expires_at']}")


def _signer(path: Path | None) -> str | None:
    try:
        return load_public(path) if path else None
    except ProtectError as e:
        fail(str(e))


@export_app.command("verify")
def verify(
    folder: Path = typer.Argument(..., help="An export folder."),
    signer: Path | None = typer.Option(
        None, "--signer", help="Expected signer's public key (PEM)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the check as JSON."),
) -> None:
    """Check the manifest's signature, every part's sha256 and the expiry. Exit 1 if not clean."""
    v = verify_export(folder, _signer(signer))
    if as_json:
        sys.stdout.write(json.dumps({"ok": v.ok, "problems": v.problems}, indent=1) + "\n")
    elif v.ok:
        m = v.manifest or {}
        console.print(
            f"OK: signed by {m['signer']['fingerprint']}, exported by {m['exported_by']} on "
            f"{m['created_at']}, expires {m['expires_at']}, {len(m['parts'])} part(s) intact",
            markup=False,
        )
        if signer is None:
            console.print(
                "note: signer not pinned; pass --signer to check who signed", markup=False
            )
    else:
        for p in v.problems:
            console.print(f"FAIL: {p}", markup=False)
    if not v.ok:
        raise typer.Exit(1)


@export_app.command("open")
def open_(
    folder: Path = typer.Argument(..., help="An export folder."),
    identity: Path = typer.Option(..., "--identity", "-i", help="Recipient's age identity file."),
    out: Path = typer.Option(..., "--out", help="Where to write the decrypted Parquet files."),
    signer: Path | None = typer.Option(
        None, "--signer", help="Expected signer's public key (PEM)."
    ),
) -> None:
    """Decrypt an export for its recipient; refuses an expired or tampered export."""
    try:
        files = open_export(folder, identity, out, _signer(signer))
    except ProtectError as e:
        fail(str(e), code=1)
    for f in files:
        console.print(f"decrypted {f}", markup=False)
