"""`axspa msasss TABLE.csv [--json]` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from axspa.cli import main
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES


def write_table(tmp_path: Path, grades: dict, name: str = "reading.csv") -> Path:
    p = tmp_path / name
    p.write_text("site,grade\n" + "".join(f"{s},{'' if g is None else g}\n" for s, g in grades.items()))
    return p


def reading() -> dict:
    # Cervical: 10 scored summing to 15 (mean 1.5), C7i and T1s unscorable -> 15 + 2 * 1.5 = 18.
    cervical = dict(zip(CERVICAL_SITES, [3, 3, 2, 2, 1, 1, 1, 1, 1, 0, None, None]))
    # Lumbar: all 12 scored, sum 6.
    lumbar = dict(zip(LUMBAR_SITES, [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]))
    return cervical | lumbar


def test_json_output(tmp_path, capsys):
    assert main(["msasss", str(write_table(tmp_path, reading())), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "cervical": {"raw": 15, "imputed": 18.0, "imputed_sites": ["C7i", "T1s"], "missing": False},
        "lumbar": {"raw": 6, "imputed": 6.0, "imputed_sites": [], "missing": False},
        "total": 24.0,
    }


def test_json_missing_segment(tmp_path, capsys):
    grades = dict(zip(CERVICAL_SITES, [1] * 8 + [None] * 4))  # 4 unscorable, no lumbar rows
    assert main(["msasss", str(write_table(tmp_path, grades)), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cervical"] == {"raw": 8, "imputed": None, "imputed_sites": [], "missing": True}
    assert doc["lumbar"]["imputed"] is None and doc["lumbar"]["missing"] is True
    assert doc["total"] is None


def test_human_summary(tmp_path, capsys):
    assert main(["msasss", str(write_table(tmp_path, reading()))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["cervical  raw 15, score 18 (imputed C7i, T1s)",
                   "lumbar    raw 6, score 6",
                   "total     24 (0-72)"]


def test_bad_table_is_one_line_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text("site,grade\nC2i,7\n")
    assert main(["msasss", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(p) in err and "line 2" in err and "0 to 3" in err


def test_installed_command(tmp_path):
    exe = Path(sys.executable).parent / "axspa"
    table = write_table(tmp_path, reading())
    done = subprocess.run([str(exe), "msasss", str(table), "--json"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 24.0
    missing = subprocess.run([str(exe), "msasss", str(tmp_path / "nope.csv")], capture_output=True,
                             text=True, timeout=60, check=False)
    assert missing.returncode == 2
    assert "nope.csv: file not found" in missing.stderr and "Traceback" not in missing.stderr
