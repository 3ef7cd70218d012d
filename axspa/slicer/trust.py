"""Trust prompts: a model bundle that would run its own code is loaded only after the user agrees."""

from __future__ import annotations

from typing import Any, Callable


def load_trusting(load: Callable[[bool], Any], confirm: Callable[[str], bool], trusted: set,
                  key: str = "") -> Any:
    """``load(trust_code)`` a model, asking before it may run a bundle's own code.

    Bundles are data passed between labs: ``load(False)`` raises axspa.bundles.BundleCodeError when a
    bundle would run code outside axspa/MONAI. Then ``confirm(reason)`` asks the user (``reason`` names the
    bundle and its code; the caller words and translates the question); yes loads with ``load(True)`` and
    remembers ``key`` (the model folder) in ``trusted`` so the question is not asked again this session;
    no raises BundleCodeError saying so (a ModelMissingError: the panels report it calmly)."""
    from axspa.bundles import BundleCodeError

    if key in trusted:
        return load(True)
    try:
        return load(False)
    except BundleCodeError as exc:
        reason = str(exc)  # the error's text; its command-line hint (exc.hint) is not for the panel
        if not confirm(reason):
            raise BundleCodeError(f"{reason}; you chose not to run its code") from exc
    trusted.add(key)
    return load(True)


def confirm_bundle_code(slicer_module: Any, reason: str, title: str, tr: Callable[[str], str] = lambda t: t) -> bool:
    """Both modules' ``confirmBundleCode``: ask whether a bundle may run its own code (``reason``: BundleCodeError's
    text, without the command line's hint), in a Yes/No window titled ``title``; ``tr`` translates."""
    return slicer_module.util.confirmYesNoDisplay(
        reason + ".\n\n" + tr("This model bundle brings its own Python code, which runs with your permissions "
                              "when it loads. Trust it only if you know who made it.") + "\n\n"
        + tr("Load it and run its code?"), windowTitle=title)
