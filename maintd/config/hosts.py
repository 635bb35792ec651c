"""Where maintenance runs: hosts, how to reach them over SSH, and the defaults they inherit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from maintd.config.base import CalendarModel
from maintd.config.types import Duration, ParamValue, SecretReference

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ALL_HOSTS = "all"  # in a task's `hosts` or a window's `pause`: every host of the calendar


def check_name(value: str) -> str:
    """Reject names that would be awkward in a log line, a URL or a file name."""
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return value


class SshSettings(CalendarModel):
    """How maintd connects to hosts over SSH. Host-level fields override these."""

    user: str = Field("root", description="Login user on the hosts.", examples=["maint"])
    port: int = Field(22, ge=1, le=65535, description="SSH port.")
    identity: str | None = Field(
        None,
        description="Private key file. Relative paths are looked up in $CREDENTIALS_DIRECTORY "
        "(systemd LoadCredential=) first. No key search and no agent unless `agent: true`.",
        examples=["/etc/maintd/id_ed25519"],
    )
    passphrase: SecretReference | None = Field(
        None,
        description="Passphrase of the identity: `{env: NAME}` or `{file: PATH}`, never a literal.",
        examples=[{"env": "MAINTD_KEY_PASSPHRASE"}],
    )
    known_hosts: str = Field(
        "/etc/maintd/known_hosts",
        description="The known_hosts file host keys are verified against (never auto-accepted).",
    )
    agent: bool = Field(False, description="Also offer keys from a running ssh-agent.")
    connect_timeout: Duration = Field(
        timedelta(seconds=10),
        description="Limit for TCP connect, SSH banner and authentication each.",
    )
    keepalive: Duration = Field(
        timedelta(seconds=30), description="Interval of SSH keepalive packets."
    )


class Host(CalendarModel):
    """One machine maintd maintains. Unset fields take `defaults.ssh`."""

    address: str | None = Field(
        None,
        description="IP address or DNS name; the host's own name when unset.",
        examples=["10.0.0.5"],
    )
    transport: Literal["ssh", "local"] = Field(
        "ssh", description="`ssh` (agentless, paramiko) or `local` (the maintenance host itself)."
    )
    port: int | None = Field(None, ge=1, le=65535, description="SSH port.")
    user: str | None = Field(None, description="Login user.")
    identity: str | None = Field(None, description="Private key file for this host.")
    passphrase: SecretReference | None = Field(
        None, description="Passphrase of this host's identity."
    )
    jump: str | None = Field(
        None, description="Name of another host to connect through (like ProxyJump)."
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Groups the host belongs to; tasks select hosts by name, group or `all`.",
        examples=[["databases", "eu"]],
    )
    vars: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Free values for this host, usable as `${vars.NAME}` in task params.",
    )
    become: bool = Field(False, description="Run every check on this host under `sudo -n`.")
    concurrency: int | None = Field(
        None,
        ge=1,
        description="Checks at once on this host (default: defaults.concurrency.per_host).",
    )

    @field_validator("groups")
    @classmethod
    def _valid_group_names(cls, values: list[str]) -> list[str]:
        return [check_name(value) for value in values]
