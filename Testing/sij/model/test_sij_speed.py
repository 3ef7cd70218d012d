"""Sacroiliitis speed on 2 CPU threads (``make bench``): model load, one full-size AP pelvis film graded end to
end (locator, both crops, grades, the direct estimate, Grad-CAM on the film grid), and beside it in the same run
the published designs with random weights (only their cost matters): Bressem et al. 2021, ResNet-50 on the whole
film at 768 x 768; the anatomy-aware pair of Dorfner, Bressem et al. 2024, a MONAI UNet (16-256 channels) finding
the joints at 512 x 512 and ResNet-50 grading two 224 x 224 crops (our reading of that paper's sizes). Ratios are
printed. Not a timed test: it prints and checks only that everything ran."""

from __future__ import annotations

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

pytestmark = pytest.mark.benchmark


def _best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def test_sij_speed_against_the_published_designs(tmp_path):
    from monai.networks.nets import UNet, resnet50

    from axspa.bundles import ModelCorruptError, ModelMissingError
    from axspa.io.radiograph import read_radiograph
    from axspa.phantom.pelvis import PelvisConfig, make_pelvis_case, write_pelvis_case
    from axspa.sij.pipeline import load_models, score_pelvis

    torch.set_num_threads(2)
    truth = write_pelvis_case(make_pelvis_case("bench", 1, 0, PelvisConfig(photo_fraction=0.0)), tmp_path)
    film = read_radiograph(str(tmp_path / truth["input"]["path"]))
    t0 = time.perf_counter()
    try:
        model = load_models()
    except ModelCorruptError:
        raise
    except ModelMissingError as exc:
        pytest.skip(str(exc))
    load_s = time.perf_counter() - t0
    ours = _best_of(lambda: score_pelvis(film, model))
    with torch.no_grad():
        whole = resnet50(spatial_dims=2, n_input_channels=3, num_classes=2).eval()
        x768 = torch.rand(1, 3, 768, 768)
        bressem = _best_of(lambda: whole(x768))
        finder = UNet(spatial_dims=2, in_channels=1, out_channels=2, channels=(16, 32, 64, 128, 256),
                      strides=(2, 2, 2, 2), num_res_units=2).eval()
        grader = resnet50(spatial_dims=2, n_input_channels=3, num_classes=2).eval()
        x512, crops = torch.rand(1, 1, 512, 512), torch.rand(2, 3, 224, 224)
        pair = _best_of(lambda: (finder(x512), grader(crops)))
    print(f"\nsij on 2 threads, film {film.rows}x{film.columns}: load {load_s:.2f} s; ours {ours:.3f} s per film "
          f"end to end; ResNet-50 768 px (Bressem 2021) {bressem:.3f} s = {bressem / ours:.1f}x ours; UNet 512 + "
          f"ResNet-50 on 2 crops of 224 (Dorfner 2024) {pair:.3f} s = {pair / ours:.1f}x ours")
    assert ours > 0 and np.isfinite([bressem, pair]).all()
