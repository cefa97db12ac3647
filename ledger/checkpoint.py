"""A checkpoint of the hash chain kept outside the database.

The hash chain (``ledger.chain``) shows that no posted entry was changed, but only against
itself: whoever can write to the database can empty the journal (nothing left to check),
or rewrite entries and recompute every hash after them (a new chain that checks out).
A checkpoint is the answer from outside: ``manage.py ledger_checkpoint``, run on a
schedule, verifies the whole ledger and, only if it is sound, writes the latest sealed
position of the chain and the hash there to a file, sealed with HMAC-SHA256 under a key
from the environment (``LEDGER_CHECKPOINT_KEY``), never from the database. ``ledger_verify``
then checks that the journal still holds that position with that hash; a truncated or
re-hashed journal does not, and without the key nobody can write a checkpoint that
vouches for the new one.

The file (``ledger-checkpoint.json`` in ``LEDGER_CHECKPOINT_DIR``) is one JSON object::

    {"format": "kjfund-ledger-checkpoint", "version": 1,
     "position": 1234, "hash": "<64 hex>", "sealed_at": "2026-11-23T01:00:00.000000Z",
     "key_id": "<16 hex>", "mac": "<64 hex>"}

``position`` is a position in the chain and ``hash`` the chain's hash there: the ``seq``
and ``hash`` of the last sealed entry, which ends the latest sealed block (entries are
sealed in blocks by ``ledger_seal``; run it just before the checkpoint so that the
checkpoint covers everything posted until then). ``key_id`` names the key (an HMAC of a fixed
text, not the key) so that a file sealed under another key is told apart from an altered
one. The file is replaced whole (write, then rename), so a reader never sees half of it.

What a checkpoint cannot see: entries posted after it (the next one covers them), and a
genuine older checkpoint file put back in place of the newest; keep the directory where
the database's users cannot write, and copies elsewhere if that matters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock

FORMAT = "kjfund-ledger-checkpoint"
VERSION = 1
FILENAME = "ledger-checkpoint.json"
MIN_KEY_LENGTH = 32
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message says why, for a person."""


class CheckpointNotConfigured(CheckpointError):
    pass


class CheckpointMissing(CheckpointError):
    pass


class CheckpointInvalid(CheckpointError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    """The latest sealed position of the chain and its hash, as of ``sealed_at``."""

    position: int
    hash: str
    sealed_at: dt.datetime

    @property
    def sealed_at_text(self) -> str:
        """When it was sealed, in Beijing time, for people."""
        return clock.iso_datetime(self.sealed_at)


def is_configured() -> bool:
    return bool(getattr(settings, "LEDGER_CHECKPOINT_KEY", ""))


def _key() -> bytes:
    key = getattr(settings, "LEDGER_CHECKPOINT_KEY", "")
    if not key:
        raise CheckpointNotConfigured(
            _(
                "No ledger checkpoint is configured: set LEDGER_CHECKPOINT_KEY (and "
                "LEDGER_CHECKPOINT_DIR) in the environment."
            )
        )
    if len(key) < MIN_KEY_LENGTH:
        raise CheckpointNotConfigured(
            _("LEDGER_CHECKPOINT_KEY must be at least %(n)d characters long.")
            % {"n": MIN_KEY_LENGTH}
        )
    return str(key).encode()


def checkpoint_path() -> Path:
    return Path(settings.LEDGER_CHECKPOINT_DIR) / FILENAME


def key_id(key: bytes) -> str:
    return hmac.new(key, b"kjfund-ledger-checkpoint key id", hashlib.sha256).hexdigest()[:16]


def _mac(key: bytes, position: int, chain_hash: str, sealed_at: str) -> str:
    text = "|".join([FORMAT, str(VERSION), str(position), chain_hash, sealed_at])
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def read_checkpoint() -> Checkpoint:
    """The checkpoint on file, its seal checked; raises a ``CheckpointError`` saying why
    there is none to use."""
    key = _key()
    path = checkpoint_path()

    def invalid(reason: str) -> CheckpointInvalid:
        return CheckpointInvalid(
            _("The ledger checkpoint %(path)s is not valid: %(reason)s.")
            % {"path": path, "reason": reason}
        )

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointMissing(
            _(
                "The ledger checkpoint %(path)s is missing: none was written yet "
                "(manage.py ledger_checkpoint --first) or it was removed."
            )
            % {"path": path}
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise invalid(_("it cannot be read (%(error)s)") % {"error": error}) from error
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise invalid(_("it is not a ledger checkpoint")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise invalid(_("it is not a ledger checkpoint"))
    if data.get("version") != VERSION:
        raise invalid(_("its version %(version)s is unknown") % {"version": data.get("version")})
    position, chain_hash = data.get("position"), data.get("hash")
    sealed_at, mac = data.get("sealed_at"), data.get("mac")
    if (
        not isinstance(position, int)
        or isinstance(position, bool)
        or position < 0
        or not isinstance(chain_hash, str)
        or not _HEX64.fullmatch(chain_hash)
        or not isinstance(sealed_at, str)
        or not isinstance(mac, str)
    ):
        raise invalid(_("it is not a ledger checkpoint"))
    if data.get("key_id") != key_id(key):
        raise invalid(
            _("it was sealed with another key (key %(theirs)s; this server's key is %(ours)s)")
            % {"theirs": data.get("key_id"), "ours": key_id(key)}
        )
    if not hmac.compare_digest(mac, _mac(key, position, chain_hash, sealed_at)):
        raise invalid(_("its seal does not match its content: it was altered"))
    try:
        when = dt.datetime.strptime(sealed_at, _TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise invalid(_("it is not a ledger checkpoint")) from None
    return Checkpoint(position=position, hash=chain_hash, sealed_at=when)


def write_checkpoint(*, position: int, chain_hash: str) -> Checkpoint:
    """Seal ``position`` and ``chain_hash`` and put them on file, replacing the previous
    checkpoint in one step. The caller has verified the ledger first."""
    key = _key()
    sealed_at = timezone.now()
    sealed_text = sealed_at.astimezone(dt.UTC).strftime(_TIME_FORMAT)
    body = {
        "format": FORMAT,
        "version": VERSION,
        "position": position,
        "hash": chain_hash,
        "sealed_at": sealed_text,
        "key_id": key_id(key),
        "mac": _mac(key, position, chain_hash, sealed_text),
    }
    path = checkpoint_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ledger-checkpoint-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Checkpoint(position=position, hash=chain_hash, sealed_at=sealed_at)
