"""Production settings refuse to start half-configured and are clean under --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "x9!k2-" + "production-secret-key-for-the-deploy-check-0123456789"


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # the ledger's deploy checks read these too (tests/ledger/test_checks.py)
    ledger = {
        "DATABASE_URL",
        "DATABASE_OWNER_URL",
        "LEDGER_CHECKPOINT_KEY",
        "LEDGER_CHECKPOINT_DIR",
    }
    base = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", *ledger}
    }
    base["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", env={"ALLOWED_HOSTS": "kj.example.cn"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", env={"SECRET_KEY": GOOD_KEY})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "kj.example.cn",
            "LEDGER_CHECKPOINT_KEY": "checkpoint-" + GOOD_KEY,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
