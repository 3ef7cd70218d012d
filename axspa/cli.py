"""The ``axspa`` command. Each subcommand lives in ``axspa/commands/<name>.py`` and exposes
``register(subparsers)``; errors a user can fix are printed as one line, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from axspa import __version__
from axspa.bundles import ModelMissingError, command_line_text
from axspa.image import InputError
from axspa.jobs import DependencyError

# Subcommand modules, in the order `axspa --help` lists them. A module that is not there
# (a feature not built yet) is skipped.
COMMAND_MODULES = ("spine", "msasss", "sij", "hip", "batch", "clinical", "phantom", "agree", "progression", "report",
                   "demo", "train", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axspa", description="Score axial spondyloarthritis imaging: mSASSS, sacroiliitis, hip STIR MRI.")
    parser.add_argument("--version", action="version", version=f"axspa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"axspa.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"axspa.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ModelMissingError as exc:
        print(f"axspa {args.command}: {command_line_text(exc)}", file=sys.stderr)
        return 3
    except (InputError, FileNotFoundError) as exc:
        print(f"axspa {args.command}: {exc}", file=sys.stderr)
        return 2
    except DependencyError as exc:
        print(f"axspa {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"axspa {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`, which stopped reading: not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # --out is a file, not writable, a folder where a file goes, a full disk: one line, not a traceback.
        print(f"axspa {args.command}: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 (a model raising on an odd input, a bug: one line, the case failed)
        from axspa.jobs import failure_reason

        reason, trace = failure_reason(exc)
        log = _save_traceback(args.command, trace) if trace else None
        where = f" (traceback in {log})" if log else ""
        print(f"axspa {args.command}: failed: {reason}{where}",
              file=sys.stderr)
        return 1


def _save_traceback(command: str, trace: str) -> str | None:
    """The traceback of an unexpected error, kept in a log file for a bug report; its path, or None."""
    import tempfile

    try:
        fd, path = tempfile.mkstemp(prefix=f"axspa-{command}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(trace)
        return path
    except OSError:
        return None


def os_error_text(exc: OSError) -> str:
    """One line naming the path and the reason of an OS error (jobs.run_batch says the same of a case)."""
    from axspa.jobs import os_error_text as text

    return text(exc)


if __name__ == "__main__":
    sys.exit(main())
