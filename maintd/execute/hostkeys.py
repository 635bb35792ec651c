"""known_hosts: read it, look a host up in it, add a trusted key to it.

Read line by line so that one line paramiko cannot use (``@cert-authority``, ``@revoked``, an
unknown key type) is skipped instead of spoiling the whole file. Hashed host names
(``|1|salt|hash``) are matched as OpenSSH does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeyEntry

from maintd.runtime import make_directories

DEFAULT_PORT = 22
DIRECTORY_MODE = 0o700  # as ~/.ssh: which hosts maintd trusts is nobody else's business
# A recorded ssh-rsa key may be offered under any of these signature algorithms.
KEY_TYPE_TO_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


def host_key_name(address: str, port: int) -> str:
    """The name a host goes by in known_hosts: ``address``, or ``[address]:port``."""
    return address if port == DEFAULT_PORT else f"[{address}]:{port}"


def describe_key(key: paramiko.PKey) -> str:
    """A key as people compare it: its type and SHA256 fingerprint."""
    return f"{key.get_name()} {key.fingerprint}"


@dataclass
class KnownHosts:
    """The entries of one known_hosts file."""

    path: Path
    entries: list[HostKeyEntry] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | str) -> KnownHosts:
        """Read ``path``; a missing file is an empty list (every host is then unknown)."""
        known = cls(Path(path))
        try:
            lines = known.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return known
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith(("#", "@")):
                continue
            try:
                entry = HostKeyEntry.from_line(text, number)
            except paramiko.SSHException:
                continue
            if entry is not None and entry.key is not None:
                known.entries.append(entry)
        return known

    def lookup(self, name: str) -> list[paramiko.PKey]:
        """The keys recorded for ``name`` (plain or hashed entries)."""
        found = []
        for entry in self.entries:
            for recorded in entry.hostnames:
                if recorded == name or (
                    recorded.startswith("|1|") and _hashed_matches(recorded, name)
                ):
                    found.append(entry.key)
                    break
        return found

    def add(self, name: str, key: paramiko.PKey) -> None:
        """Append ``name``'s key to the file (created 0600, missing directories above it 0700)."""
        make_directories(self.path.parent, DIRECTORY_MODE)
        line = f"{name} {key.get_name()} {key.get_base64()}\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as file:
            file.write(line)
        self.entries.append(HostKeyEntry([name], key))


def _hashed_matches(recorded: str, name: str) -> bool:
    salt = recorded.split("|")[2]
    return bool(paramiko.HostKeys.hash_host(name, salt) == recorded)


def preferred_algorithms(recorded: list[paramiko.PKey], offered: tuple[str, ...]) -> list[str]:
    """Host key algorithms to negotiate: those of the recorded keys first, so a host with
    several keys shows the one we know instead of looking changed."""
    wanted: list[str] = []
    for key in recorded:
        for algorithm in KEY_TYPE_TO_ALGORITHMS.get(key.get_name(), (key.get_name(),)):
            if algorithm in offered and algorithm not in wanted:
                wanted.append(algorithm)
    return wanted + [algorithm for algorithm in offered if algorithm not in wanted]
