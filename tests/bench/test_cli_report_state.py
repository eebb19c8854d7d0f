"""The report state is one truth: the service's report versions are what ``packbench report``
writes, an approval made with ``packbench report-version`` shows in the service, and the file
name carries the language (en and zh_CN never share a path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, register
from fastapi.testclient import TestClient

from results.accounts import create_user, issue_token
from service.app import create_app
from service.settings import Settings
from service.store import open_store


def _service(store_dir: Path) -> tuple[TestClient, dict[str, str]]:
    """The QA service on the station's own store: an author, QA approvers, and the station's
    operator (``tester``) holding a QA account so the author-may-not-approve rule can be met."""
    settings = Settings(str(store_dir / "store.sqlite3"), store_dir / "evidence")
    store = open_store(settings, migrate=False)
    tokens = {}
    with store.sessions.begin() as session:
        accounts = (
            ("wang.wei", "technician"),
            ("zhao.min", "qa"),
            ("qian.li", "qa"),
            ("tester", "qa"),
        )
        for name, role in accounts:
            create_user(session, name, role=role, printed_name=name.title(), actor="test")
            tokens[name], _ = issue_token(session, name, actor="test")
    return TestClient(create_app(settings, store=store)), tokens


def test_draft_reports_in_each_language_get_their_own_file(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    station = ("--station", str(sim_station))
    paths = set()
    for lang in ("en", "zh_CN"):
        for fmt in ("html", "pdf"):
            code, out, err = cli(
                capsys, "report", number, "--lang", lang, "--format", fmt, *station
            )
            assert code == 0, err
            path = Path(out.strip())
            assert path.name.endswith(f"-{lang}.{fmt}") and path.is_file()
            assert "DRAFT - not approved: no report version has been created yet" in err
            paths.add(path)
    assert len(paths) == 4


def test_approval_in_the_service_shows_in_packbench_report_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    station = ("--station", str(sim_station))
    client, tokens = _service(tmp_path)
    as_author = {"Authorization": f"Bearer {tokens['wang.wei']}"}
    as_qa = {"Authorization": f"Bearer {tokens['zhao.min']}"}
    made = client.post(
        f"/api/complaints/{number}/reports", json={"locale": "en"}, headers=as_author
    )
    assert made.status_code == 201, made.text
    report_id = made.json()["id"]
    assert made.json()["filename"].endswith("-v1-en.pdf")

    code, out, err = cli(capsys, "report", number, *station)
    assert code == 0 and "version 1 awaits approval in the service" in err

    approved = client.post(f"/api/reports/{report_id}/approve", headers=as_qa)
    assert approved.status_code == 200, approved.text
    code, out, err = cli(capsys, "report", number, *station)
    assert code == 0, err
    assert "approved: version 1, approved by zhao.min" in err and "DRAFT" not in err
    written = Path(out.strip())
    assert written.name.endswith("-v1-en.html")
    served = client.get(f"/api/reports/{report_id}/html", headers=as_qa)
    assert written.read_bytes() == served.content  # the very version the service approved
    assert "DRAFT - not approved" not in written.read_text(encoding="utf-8")
    code, _out, err = cli(capsys, "report", number, "--lang", "zh_CN", *station)
    assert "DRAFT - not approved" in err  # approval is per language version

    # And back: a version frozen and approved from the command line is approved in the service.
    code, out, err = cli(capsys, "report-version", "create", number, "--lang", "zh_CN", *station)
    assert code == 0 and "version 1 created as a draft" in out, err

    def approve_as(user: str, printed: str) -> tuple[int, str, str]:
        return cli(
            capsys, "report-version", "approve", number, "--lang", "zh_CN", "--name", printed,
            "--token", tokens[user], *station,
        )  # fmt: skip

    code, out, err = approve_as("wang.wei", "Wang Wei")
    assert code != 0 and "--token: user 'wang.wei' has role 'technician'" in err
    code, out, err = approve_as("tester", "T")
    assert code != 0 and "separation of duties" in err  # the author may not approve
    code, out, err = cli(
        capsys, "report-version", "approve", number, "--lang", "zh_CN", "--name", "Q",
        "--token", "not-a-token", *station,
    )  # fmt: skip
    assert code != 0 and "--token: the token is unknown or revoked" in err
    code, out, err = approve_as("qian.li", "Qian Li")
    assert code == 0, err
    listed = client.get(f"/api/complaints/{number}/reports", headers=as_qa).json()
    zh = next(r for r in listed if r["language"] == "zh_CN")
    assert zh["status"] == "approved" and zh["approved_by"] == "qian.li"
    code, out, err = cli(capsys, "report", number, "--lang", "zh_CN", *station)
    assert "approved: version 1, approved by qian.li" in err
    code, out, _err = cli(capsys, "report-version", "list", number, *station)
    assert "en     v1   approved by zhao.min" in out and "zh_CN  v1   approved by qian.li" in out
