"""The zh_CN PDF report really draws its Chinese: poppler extracts the Chinese sentences, the
CJK font travels in the file as a subset, and the rasterised page shows a distinct glyph for
each distinct character (a missing glyph is drawn as the same empty box, "tofu", for all).

pdftoppm/pdftotext/pdffonts come from poppler-utils (``.ci/run`` installs it): skipped where
they are missing, except under ``CI=true``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from service_support import Service
from test_chinese_complete import _store_with_everything
from test_manual_pages import _login

from results.reports.labels import catalogue

POPPLER = ("pdftoppm", "pdftotext", "pdffonts")
DPI = 150
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER) and os.environ.get("CI") != "true",
    reason="poppler-utils (pdftoppm, pdftotext, pdffonts) not installed",
)

Bitmap = npt.NDArray[np.bool_]


def _read_pgm(path: Path) -> npt.NDArray[np.uint8]:
    """A binary (P5) 8-bit PGM, as pdftoppm -gray writes it."""
    data = path.read_bytes()
    fields = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields is not None, "not a binary PGM"
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data[fields.end() : fields.end() + width * height], dtype=np.uint8)
    return pixels.reshape(height, width)


def glyph_cells(page: npt.NDArray[np.uint8], box: tuple[float, ...], n: int) -> list[Bitmap]:
    """The ``n`` equal cells of a word's box (PDF points) as ink bitmaps: CJK glyphs are full
    width, so each cell holds one character."""
    x0, y0, x1, y1 = (round(v * DPI / 72) for v in box)
    ink = page[y0:y1, x0:x1] < 128
    width = ink.shape[1] / n
    return [ink[:, round(i * width) : round((i + 1) * width)] for i in range(n)]


def tofu_pairs(word: str, cells: list[Bitmap]) -> list[tuple[str, str]]:
    """Pairs of different characters drawn (almost) alike, and characters drawn with no ink."""
    bad: list[tuple[str, str]] = []
    for i, (ch, cell) in enumerate(zip(word, cells, strict=True)):
        if cell.mean() < 0.02:
            bad.append((ch, ch))
        for other, other_cell in zip(word[i + 1 :], cells[i + 1 :], strict=True):
            if other == ch:
                continue
            w = min(cell.shape[1], other_cell.shape[1])
            differ = (cell[:, :w] ^ other_cell[:, :w]).mean()
            if differ < 0.03:
                bad.append((ch, other))
    return bad


def test_the_check_sees_tofu_and_sees_glyphs() -> None:
    """Boxes all alike fail; different shapes pass (the check can fail)."""
    box = np.zeros((20, 20), dtype=bool)
    box[2:18, 2] = box[2:18, 17] = box[2, 2:18] = box[17, 2:18] = True
    assert tofu_pairs("电压", [box, box.copy()]) == [("电", "压")]
    other = box.copy()
    other[10, 2:18] = other[2:18, 10] = True
    assert tofu_pairs("电压", [box, other]) == []
    assert tofu_pairs("电", [np.zeros((20, 20), dtype=bool)]) == [("电", "电")]


def _words(bbox_html: str) -> list[tuple[int, str, tuple[float, ...]]]:
    """(page index, text, box) of each word ``pdftotext -bbox`` found."""
    found: list[tuple[int, str, tuple[float, ...]]] = []
    for index, page in enumerate(re.split(r"<page\b", bbox_html)[1:]):
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page,
        ):
            found.append((index, m[5], tuple(float(m[i]) for i in range(1, 5))))
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_chinese_pdf_report_draws_its_chinese_glyphs(service: Service, tmp_path: Path) -> None:
    _number, _run, report_id = _store_with_everything(service)
    _login(service, "zhao.min")
    pdf = tmp_path / "report.pdf"
    r = service.client.get(f"/reports/{report_id}?format=pdf")
    assert r.status_code == 200
    pdf.write_bytes(r.content)

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    t = catalogue("zh_CN")
    for key in ("section.diagnosis", "section.measurements", "section.disposition"):
        assert t[key] in text, key

    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    embedded_subsets = [line for line in fonts if re.search(r"\byes\s+yes\s+(yes|no)\s", line)]
    assert any("+" in line.split()[0] for line in embedded_subsets), fonts

    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = [
        (page, word, box)
        for page, word, box in _words(bbox)
        if len(word) >= 3 and all(CJK.match(ch) for ch in word) and len(set(word)) >= 3
    ]
    assert words, "no Chinese word of three or more characters found in the PDF"
    checked = 0
    for page_index in sorted({page for page, _w, _b in words})[:2]:
        prefix = tmp_path / f"page{page_index}"
        subprocess.run(
            [
                "pdftoppm",
                "-gray",
                "-r",
                str(DPI),
                "-f",
                str(page_index + 1),
                "-l",
                str(page_index + 1),
                "-singlefile",
                str(pdf),
                str(prefix),
            ],
            check=True,
        )
        page = _read_pgm(prefix.with_suffix(".pgm"))
        for _p, word, box in [w for w in words if w[0] == page_index][:8]:
            cells = glyph_cells(page, box, len(word))
            assert tofu_pairs(word, cells) == [], word
            checked += 1
    assert checked >= 3
