"""The deploy checks of the guards kept outside the code (issue 12, item 6): a missing
checkpoint key, an app that connects as the owner of its tables, an owner URL naming
another database, a checkpoint directory inside the web root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "x9!k2-" + "production-secret-key-for-the-deploy-check-0123456789"
CHECKPOINT_KEY = "checkpoint-key-for-the-deploy-check-0123456789"
SETTINGS_ENV = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "LEDGER_CHECKPOINT_KEY",
    "LEDGER_CHECKPOINT_DIR",
}


def check_deploy(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": "kj.example.cn",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout + result.stderr


def test_production_without_a_checkpoint_key_is_warned():
    assert "ledger.W001" in check_deploy()
    assert "ledger.W001" not in check_deploy(LEDGER_CHECKPOINT_KEY=CHECKPOINT_KEY)


def test_a_short_checkpoint_key_is_an_error():
    assert "ledger.E002" in check_deploy(LEDGER_CHECKPOINT_KEY="short")


def test_a_checkpoint_directory_the_web_server_serves_is_an_error():
    output = check_deploy(
        LEDGER_CHECKPOINT_KEY=CHECKPOINT_KEY, LEDGER_CHECKPOINT_DIR=str(ROOT / "static" / "cp")
    )
    assert "ledger.E001" in output


def test_production_on_postgresql_as_the_tables_owner_is_warned():
    app = "postgres://kjfund_app@db.example.cn:5432/kjfund"
    assert "ledger.W002" in check_deploy(DATABASE_URL=app, LEDGER_CHECKPOINT_KEY=CHECKPOINT_KEY)
    output = check_deploy(
        DATABASE_URL=app,
        DATABASE_OWNER_URL="postgres://kjfund_owner@db.example.cn:5432/kjfund",
        LEDGER_CHECKPOINT_KEY=CHECKPOINT_KEY,
    )
    assert "no issues" in output, output


def test_an_owner_url_naming_another_database_is_an_error():
    output = check_deploy(
        DATABASE_URL="postgres://kjfund_app@db.example.cn:5432/kjfund",
        DATABASE_OWNER_URL="postgres://kjfund_owner@db.example.cn:5432/another",
        LEDGER_CHECKPOINT_KEY=CHECKPOINT_KEY,
    )
    assert "ledger.E003" in output
