"""The README works as written (issue 11, part 3): every command in its code blocks runs on a fresh clone and
prints what the README shows; the names, files and models it mentions exist.

Commands are taken from the fenced blocks marked ``sh`` or ``console`` (``text`` blocks are usage summaries with
placeholders, ``python`` blocks run in Slicer's console). In a ``console`` block a line ``$ COMMAND`` is run
and the lines after it, up to the next ``$``, are its expected output (a line ``...`` stands for any lines);
in a ``sh`` block every line is a command whose output is not shown. They run in a scratch folder that holds
``Resources`` and ``.venv`` of this checkout, with ``.venv/bin`` first on the PATH (as after
``source .venv/bin/activate``). Skipped, each saying why: ``make test`` (this suite), commands that train
models or run benchmarks (minutes to hours), and commands that need 3D Slicer.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
VENV = Path(sys.executable).parent.parent  # .venv (or .venv39 under make test-py39)

SKIPPED = (
    ("make test", "runs this test suite"),
    ("make bench", "runs the benchmarks (minutes)"),
    ("make spine-models", "trains the spine models (hours on CPU)"),
    ("axspa train", "trains a model"),
    ("Slicer ", "needs 3D Slicer"),
    ("cmake ", "needs a 3D Slicer build tree"),
)


@dataclass
class Command:
    block: int
    line: str
    expected: list[str] | None  # None: output not shown in the README

    @property
    def id(self) -> str:
        return f"block{self.block}: {self.line}"


def readme_commands(text: str = README) -> list[Command]:
    commands = []
    for block, match in enumerate(re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)):
        kind, body = match.group(1), match.group(2).splitlines()
        if kind == "console":
            for i, line in enumerate(body):
                if line.startswith("$ "):
                    output = []
                    for after in body[i + 1:]:
                        if after.startswith("$ "):
                            break
                        output.append(after.rstrip())
                    commands.append(Command(block, line[2:].strip(), output))
        elif kind == "sh":
            for line in body:
                line = line.split("  #")[0].strip()
                if line and not line.startswith("#"):
                    commands.append(Command(block, line, None))
    return commands


COMMANDS = readme_commands()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line '...' (indented or not) stands for any number of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and matches(rest, actual[1:])


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    """A scratch folder per code block, holding this checkout's Resources and .venv; commands already run."""
    folders: dict[int, tuple[Path, set[int]]] = {}

    def folder(block: int) -> tuple[Path, set[int]]:
        if block not in folders:
            path = tmp_path_factory.mktemp(f"readme-block{block}")
            (path / "Resources").symlink_to(REPO / "Resources")
            (path / ".venv").symlink_to(VENV)
            folders[block] = (path, set())
        return folders[block]

    return folder


def run(command: Command, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{cwd / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "VIRTUAL_ENV": str(cwd / ".venv"), "COLUMNS": "100"}
    line = command.line
    if line.startswith("make "):  # the Makefile lives in the checkout; its outputs go to the scratch folder
        line = f"make -C {REPO} {line[5:]} OUT={cwd / 'out' / 'demo'}"
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def why_not_run(command: Command) -> str | None:
    for start, why in SKIPPED:
        if command.line.startswith(start):
            return why
    if command.line.startswith("make demo") and subprocess.run(
            ["make", "-C", str(REPO), "-q", "venv"], capture_output=True).returncode != 0:
        return (".venv is older than pyproject.toml/Makefile, so make demo would reinstall it (axspa demo itself "
                "is tested in Testing/commands/test_demo_and_samples.py)")
    scores = command.line.startswith(("axspa spine", "axspa sij")) or (
        command.line.startswith("axspa batch") and "--plan" not in command.line)
    if scores and not all(importlib.util.find_spec(package) for package in ("torch", "monai")):
        return "the models need torch and MONAI (the train extra), not installed in this Python"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=[c.id for c in COMMANDS])
def test_readme_command_runs_as_written(command, workdirs):
    why = why_not_run(command)
    if why:
        pytest.skip(f"not run: {why}")
    cwd, done = workdirs(command.block)
    earlier = [c for c in COMMANDS[:COMMANDS.index(command)] if c.block == command.block]
    for before in earlier:  # what the block ran before this command (a report reads an earlier output)
        if why_not_run(before) and before.expected is not None:
            pytest.skip(f"not run: it reads the output of '{before.line}', which was not run here")
        if id(before) not in done and not why_not_run(before):
            run(before, cwd)
            done.add(id(before))
    result = run(command, cwd)
    done.add(id(command))
    assert result.returncode == 0, f"{command.line}\n{result.stdout}\n{result.stderr}"
    if command.expected is not None:
        actual = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
        assert matches(command.expected, actual), (
            f"{command.line} printed:\n" + "\n".join(actual) + "\n\nthe README shows:\n" + "\n".join(command.expected))


def test_the_readme_has_commands_to_run():
    lines = [c.line for c in COMMANDS]
    assert "make demo" in lines and any(line.startswith("axspa msasss") for line in lines)
    assert sum(1 for c in COMMANDS if c.expected) >= 6


def test_matches_understands_elisions():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "  ...", "d"], ["a", "d"])
    assert not matches(["a", "d"], ["a", "b", "d"]) and not matches(["a"], ["a", "b"])


# ----------------------------------------------------------------------------- what the README names exists

def test_links_and_pictures_exist_and_no_file_users_do_not_have_is_cited():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if not target.startswith(("http://", "https://")):
            assert (REPO / target).exists(), f"README links to {target}, which is not in the repository"
    assert "SPEC.md" not in README  # users do not have it: docs/formats.md describes the files
    assert "../shared" not in README.replace("`../shared/data` is present", "")  # examples use shipped data


def _ui_texts(module: str) -> set[str]:
    """Every text the module's panel can show: the .ui's strings and the module's translatable strings."""
    ui = (REPO / module / "Resources" / "UI" / f"{module}.ui").read_text(encoding="utf-8")
    texts = set(re.findall(r"<string>([^<]*)</string>", ui))
    for path in (REPO / module).rglob("*.py"):  # texts the module sets (button names that change, choices)
        texts |= {a or b for a, b in re.findall(r""""([^"\n]+)"|'([^'\n]+)'""", path.read_text(encoding="utf-8"))}
    return {" ".join(t.replace("...", "…").split()) for t in texts}


@pytest.mark.parametrize("module, title", [("AxSpAScoring", "AxSpA Scoring"), ("HipInflammation", "Hip Inflammation")])
def test_button_and_section_names_in_the_readme_match_the_panel(module, title):
    paragraph = re.search(rf"^- \*\*{title}\*\*:(.*?)(?=^- \*\*|^\S)", README, flags=re.M | re.S)
    assert paragraph, f"README has no '- **{title}**:' paragraph"
    names = re.findall(r"(?<![*\w])\*([^*\s][^*]*?)\*(?!\*)", paragraph.group(1))
    assert names, f"the {title} paragraph names no button"
    texts = _ui_texts(module)
    missing = [n for n in names if " ".join(n.replace("...", "…").split()) not in texts]
    assert not missing, f"{title}: the README names {missing}, which the panel does not show"


def test_make_demo_says_how_to_run_axspa():
    recipe = re.search(r"^demo:.*?\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), flags=re.M).group(1)
    assert "source $(VENV)/bin/activate" in recipe and "$(VENV)/bin/axspa" in recipe
    assert "source .venv/bin/activate" in README and ".venv/bin/axspa" in README


def test_the_readme_and_the_hip_panel_say_which_models_are_shipped():
    shipped = sorted(p.parent.name for p in (REPO / "Resources" / "Models").glob("*/bundle.json"))
    models = README[README.index("## Models"):README.index("## What is validated")]
    listed = sorted(re.findall(r"^- `([\w-]+)`:", models, flags=re.M))
    assert listed == shipped, f"README lists {listed} as shipped; Resources/Models holds {shipped}"
    for family, bundle in (("sacroiliac", "sij-grader"), ("hip", "hip-segmenter")):
        says_none = re.search(rf"No (?:\w+ or )?{family}(?: or \w+)? model is shipped yet", README)
        assert bool(says_none) == (bundle not in shipped), f"README on the {family} model vs Resources/Models"
    help_text = (REPO / "HipInflammation" / "HipInflammation.py").read_text(encoding="utf-8")
    if "hip-segmenter" not in shipped:
        assert "shipped with the extension" not in help_text


def test_the_licence_is_declared_in_current_spdx_form():
    """pyproject.toml: `license = "<SPDX expression>"` and `license-files` (PEP 639), with a setuptools that
    reads them; the old table form prints a deprecation banner at every install."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "Apache-2\.0"$', text, flags=re.M)
    files = re.search(r"^license-files = \[(.*)\]$", text, flags=re.M)
    assert files and all((REPO / f.strip(' "')).is_file() for f in files.group(1).split(","))
    assert "license = {" not in text and int(re.search(r"requires = \[\"setuptools>=(\d+)", text).group(1)) >= 77
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")[:200]
