"""The client key maintd logs in with: the calendar's identity file and its passphrase.

Decrypting an OpenSSH key runs its bcrypt KDF: about a CPU-second at ssh-keygen's default 16
rounds. Loaded keys are kept while the file and the passphrase stay the same, so that cost is
paid once, not on every connection; a failure is kept too, so a wrong passphrase costs one KDF
rather than one per fire, until the file or the passphrase changes.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import paramiko

from maintd.config.secrets import SecretError, credential_path, resolve_secret
from maintd.execute.targets import HostTarget


class IdentityError(Exception):
    """The identity could not be loaded; the message says why, never the passphrase."""


def load_identity(target: HostTarget) -> paramiko.PKey:
    """``target``'s identity key, decrypted with its passphrase if it has one."""
    path = credential_path(target.identity or "")
    try:
        passphrase = resolve_secret(target.passphrase) if target.passphrase else None
    except SecretError as error:
        raise IdentityError(f"identity passphrase: {error}") from error
    return _LOADED.load(path, passphrase)


class _LoadedKeys:
    def __init__(self) -> None:
        self._keys: dict[tuple[object, ...], paramiko.PKey | IdentityError] = {}
        self._lock = threading.Lock()

    def load(self, path: Path, passphrase: str | None) -> paramiko.PKey:
        try:
            stat = path.stat()
        except OSError as error:
            raise IdentityError(f"cannot load identity {path}: {error}") from error
        secret = None if passphrase is None else hashlib.sha256(passphrase.encode()).digest()
        version = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, secret)
        with self._lock:
            found = self._keys.get(version)
            if found is None:
                found = _decrypt(path, passphrase)
                # One version per file: an edited key or a new passphrase replaces the old one.
                self._keys = {
                    key: value for key, value in self._keys.items() if key[0] != str(path)
                }
                self._keys[version] = found
        if isinstance(found, IdentityError):
            raise IdentityError(str(found))
        return found


def _decrypt(path: Path, passphrase: str | None) -> paramiko.PKey | IdentityError:
    try:
        # paramiko 5 wants bytes here, whatever its type stubs say.
        secret = None if passphrase is None else passphrase.encode()
        return paramiko.PKey.from_path(path, secret)  # type: ignore[arg-type]
    except (OSError, paramiko.SSHException, ValueError, TypeError) as error:
        # A wrong passphrase shows as paramiko's "Valid PEM but no BEGIN/END delimiters" or
        # the like: say what it most likely means.
        likely = "wrong passphrase, or not a private key" if passphrase else "not a usable key"
        return IdentityError(f"cannot load identity {path}: {likely} ({error})")


_LOADED = _LoadedKeys()
