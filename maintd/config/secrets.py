"""Secrets named in the calendar, read at the moment they are needed.

A secret is a literal string, ``{env: NAME}`` (an environment variable of maintd) or
``{file: PATH}`` (a file; a relative PATH is looked up in systemd's $CREDENTIALS_DIRECTORY,
which `LoadCredential=` fills, then in the working directory). Reading one never logs it.
"""

from __future__ import annotations

import os
from pathlib import Path

from maintd.config.types import EnvSecret, FileSecret
from maintd.errors import MaintdError


class SecretError(MaintdError):
    """A secret the calendar names cannot be read (the message never holds the secret)."""


def resolve_secret(secret: str | EnvSecret | FileSecret) -> str:
    """Return the secret's value. Raises SecretError naming the variable or file, not the value."""
    if isinstance(secret, str):
        return secret
    if isinstance(secret, EnvSecret):
        value = os.environ.get(secret.env)
        if value is None:
            raise SecretError(f"environment variable {secret.env} is not set")
        return value
    path = credential_path(secret.file)
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except OSError as error:
        raise SecretError(f"cannot read secret file {path}: {error.strerror}") from None


def credential_path(name: str) -> Path:
    """Where a file named in the calendar is: absolute as given, else in
    $CREDENTIALS_DIRECTORY when it exists there, else relative to the working directory."""
    path = Path(name)
    if path.is_absolute():
        return path
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / path).exists():
        return Path(credentials) / path
    return path
