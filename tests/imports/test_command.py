"""``manage.py import_xlsx``: dry run unless --commit, exit 1 on bad rows, 0 on a good
file, a clear answer for kinds that are not there yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation

from .conftest import ORG_HEADER, org_code, xlsx

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, rows) -> str:
    path = tmp_path / "单位.xlsx"
    path.write_bytes(xlsx(rows, ORG_HEADER).getvalue())
    return str(path)


GOOD = [
    [org_code("m1"), "命令行甲", "企业", "西湖区", "", ""],
    [org_code("m2"), "命令行乙", "事业单位", "餘杭區", "", ""],
]
BAD = [GOOD[0], [org_code("m2"), "命令行乙", "事业单位", "月球区", "", ""]]


def run(*args: str) -> int:
    """Runs the command; returns the exit status the shell would see (``manage.py``
    exits with a ``CommandError``'s ``returncode``, printing it on stderr)."""
    import sys

    try:
        call_command("import_xlsx", *args)
    except CommandError as error:
        sys.stderr.write(f"CommandError: {error}\n")
        return error.returncode
    return 0


def test_a_bad_file_exits_non_zero_printing_each_bad_row(demo_world, tmp_path, capsys):
    status = run("--kind", "organisations", write(tmp_path, BAD), "--commit")
    out, err = capsys.readouterr()
    assert status == 1
    assert "3\t所属区县\t" in out
    assert "月球区" in out
    assert "未导入" in err
    assert not Organisation.objects.filter(name__startswith="命令行").exists()


def test_a_good_file_is_only_checked_without_commit(demo_world, tmp_path, capsys):
    status = run("--kind", "organisations", write(tmp_path, GOOD))
    out, _err = capsys.readouterr()
    assert status == 0
    assert "--commit" in out
    assert not Organisation.objects.filter(name__startswith="命令行").exists()


def test_a_good_file_with_commit_imports_and_shows_progress(demo_world, tmp_path, capsys):
    status = run("--kind", "organisations", write(tmp_path, GOOD), "--commit")
    out, err = capsys.readouterr()
    assert status == 0
    assert Organisation.objects.filter(name__startswith="命令行").count() == 2
    assert "新增 2 条" in out
    assert "[" in err and "2/2" in err  # the progress bar
    # and again: nothing new
    assert run("--kind", "organisations", write(tmp_path, GOOD), "--commit") == 0
    assert Organisation.objects.filter(name__startswith="命令行").count() == 2


def test_as_a_user_their_area_applies(demo_world, tmp_path, capsys):
    status = run(
        "--kind", "organisations", write(tmp_path, GOOD), "--commit", "--as", "district_officer"
    )
    out, _err = capsys.readouterr()
    assert status == 1
    assert "3\t所属区县\t" in out  # 余杭区 is not theirs
    assert run("--kind", "organisations", write(tmp_path, GOOD), "--as", "auditor") == 2


@pytest.mark.parametrize("kind", ["bank_statement", "repayments"])
def test_kinds_not_built_yet_answer_cleanly(tmp_path, capsys, kind, monkeypatch):
    from core import importing

    monkeypatch.delitem(importing._registry, kind)  # as before an app registers it
    status = run("--kind", kind, write(tmp_path, GOOD))
    _out, err = capsys.readouterr()
    assert status == 2
    assert "尚未开放" in err
    assert "Traceback" not in err


def test_the_help_lists_every_kind(capsys):
    with pytest.raises(SystemExit):
        call_command("import_xlsx", "--help")
    out = capsys.readouterr().out
    for kind in ("organisations", "experts", "bank_statement", "repayments", "scores"):
        assert kind in out
