"""axspa.slicer.trust: a bundle's own code runs only after the user agrees."""

from __future__ import annotations

import pytest

from axspa.slicer import trust


def test_bundle_code_is_loaded_only_after_the_user_agrees():
    from axspa.bundles import BundleCodeError

    loads, questions = [], []

    def load(trust):
        loads.append(trust)
        if not trust:
            raise BundleCodeError("model bundle 'x' in /m: predictor lab:Net is not part of axspa; loading it "
                                  "would run the bundle's code", hint="pass --trust-bundle-code to allow")
        return "model"

    trusted = set()
    with pytest.raises(BundleCodeError, match="chose not to run its code"):
        trust.load_trusting(load, lambda reason: questions.append(reason) or False, trusted, "/m")
    assert loads == [False] and trusted == set()
    assert questions == ["model bundle 'x' in /m: predictor lab:Net is not part of axspa; loading it would "
                         "run the bundle's code"]
    assert trust.load_trusting(load, lambda reason: True, trusted, "/m") == "model"
    assert loads == [False, False, True] and trusted == {"/m"}
    # Trusted once: not asked again for the same folder.
    assert trust.load_trusting(load, lambda reason: pytest.fail("asked twice"), trusted, "/m") == "model"
    # A bundle that runs no foreign code loads without a question.
    assert trust.load_trusting(lambda trust: "safe", lambda reason: pytest.fail("asked"), set()) == "safe"
