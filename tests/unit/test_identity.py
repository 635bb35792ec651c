"""The identity key: decrypted once while the file and passphrase stay the same (the bcrypt KDF
costs about a CPU-second per load), a wrong passphrase said plainly and paid for once."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from maintd.config.types import FileSecret
from maintd.execute.identity import IdentityError, load_identity
from maintd.execute.targets import HostTarget


def make_key(path: Path, passphrase: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-N", passphrase, "-f", str(path)],
        check=True,
    )


@pytest.fixture
def target(tmp_path: Path) -> HostTarget:
    make_key(tmp_path / "id", "right horse")
    secret = tmp_path / "passphrase"
    secret.write_text("right horse\n")
    return HostTarget(
        name="h", transport="ssh", address="127.0.0.1", port=22, user="u",
        identity=str(tmp_path / "id"), passphrase=FileSecret(file=str(secret)), agent=False,
        known_hosts=str(tmp_path / "known_hosts"), connect_timeout=1, keepalive=0,
        max_sessions=1, become=False,
    )  # fmt: skip


def test_a_key_is_decrypted_once_while_nothing_changes(target: HostTarget) -> None:
    first = load_identity(target)
    assert load_identity(target) is first


def test_a_replaced_key_file_is_read_again(target: HostTarget, tmp_path: Path) -> None:
    first = load_identity(target)
    os.unlink(tmp_path / "id")
    make_key(tmp_path / "id", "right horse")
    again = load_identity(target)
    assert again is not first and again.fingerprint != first.fingerprint


def test_a_wrong_passphrase_is_named_and_a_corrected_one_is_used(
    target: HostTarget, tmp_path: Path
) -> None:
    (tmp_path / "passphrase").write_text("wrong horse\n")
    with pytest.raises(IdentityError, match="wrong passphrase, or not a private key") as caught:
        load_identity(target)
    assert "horse" not in str(caught.value)
    (tmp_path / "passphrase").write_text("right horse\n")
    assert load_identity(target).get_name() == "ssh-ed25519"


def test_a_missing_identity_file_is_named(target: HostTarget, tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="cannot load identity .*nothing"):
        load_identity(replace(target, identity=str(tmp_path / "nothing")))
