"""Synthetic coronal hip STIR phantoms: determinism, truth, geometry, lesion prevalence, contrast."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk  # noqa: N813 - the name every SimpleITK user writes

from axspa.hip.scores import HipScoreConfig, hip_scores
from axspa.hip.segments import HIP_SEGMENTS, SEGMENT_BY_NAME
from axspa.io.segfile import read_seg_nrrd
from axspa.io.volume import read_volume
from axspa.phantom.hip import HipPhantomConfig, generate_hip_case, hip_montage_tile, render_hip_case
from axspa.phantom.hip.geometry import _sample_geometry
from axspa.phantom.hip.render import _render
from axspa.results import validate

SMALL = HipPhantomConfig(size="small")
ALL_LESIONS = HipPhantomConfig(size="small", bme_prevalence=1.0, acetabular_bme_prevalence=1.0,
                               effusion_prevalence=1.0)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("hip")
    doc = generate_hip_case(out, "hip0003", [11, 3], ALL_LESIONS)
    return out / "hip0003", doc


def test_same_seed_same_bytes_other_seed_other_image(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate_hip_case(tmp_path / name, "hip0001", [5, 1], SMALL)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(a) >= {"hip0001/truth.json", "hip0001/truth.seg.nrrd"}
    assert any(name.startswith("hip0001/dicom/") for name in a)
    assert a.keys() == b.keys()
    assert all(a[name] == b[name] for name in a), [n for n in a if a[n] != b[n]]
    generate_hip_case(tmp_path / "c", "hip0001", [5, 2], SMALL)
    stir_a = read_volume(tmp_path / "a" / "hip0001" / "dicom").array
    stir_c = read_volume(tmp_path / "c" / "hip0001" / "dicom").array
    assert stir_a.shape != stir_c.shape or not np.array_equal(stir_a, stir_c)


def test_truth_validates_and_equals_scores_from_the_files(case: tuple[Path, dict]) -> None:
    case_dir, doc = case
    validate(doc, "hip")
    on_disk = json.loads((case_dir / "truth.json").read_text())
    validate(on_disk, "hip")
    assert on_disk == doc
    # A user re-scores the written files with the engine and gets the truth back.
    volume = read_volume(case_dir / "dicom")
    masks, seg_ijk_to_ras = read_seg_nrrd(case_dir / "truth.seg.nrrd")
    assert set(masks) == {s.name for s in HIP_SEGMENTS}
    np.testing.assert_allclose(seg_ijk_to_ras, volume.ijk_to_ras, atol=1e-4)
    again = hip_scores(volume.array, masks, volume.ijk_to_ras, HipScoreConfig())
    for side in ("right", "left"):
        want, got = doc["sides"][side], again[side]
        assert got["femoral_head_found"] is True
        assert list(got["scoring_slices"]) == want["scoring_slices"]
        assert {k: int(v) for k, v in got["himriss"].items()} == want["himriss"]
        for key in ("gray_value", "area_fraction"):
            assert float(got["unet_score"][key]) == pytest.approx(want["unet_score"][key], rel=1e-6)
        for name, ml in want["lesion_volume_ml"].items():
            assert float(got["lesion_volume_ml"][name]) == pytest.approx(ml, rel=1e-6)
        # Every lesion was drawn (prevalence 1), so every one has volume and counts on some slice.
        assert all(v > 0 for v in want["lesion_volume_ml"].values())
        assert want["unet_score"]["gray_value"] > 0 and want["himriss"]["total"] > 0


def test_right_femoral_head_is_patient_right_in_the_dicom(case: tuple[Path, dict], tmp_path: Path) -> None:
    oblique = HipPhantomConfig(size="small", oblique_probability=1.0)
    dirs = [case[0]]
    for i in range(2):
        generate_hip_case(tmp_path, f"obl{i}", [21, i], oblique)
        dirs.append(tmp_path / f"obl{i}")
    for case_dir in dirs:
        volume = read_volume(case_dir / "dicom")
        masks, _ = read_seg_nrrd(case_dir / "truth.seg.nrrd")
        x = {}
        for side in ("Right", "Left"):
            k, j, i = np.nonzero(masks[f"{side} femoral head"])
            ras = volume.ijk_to_ras @ np.vstack([i, j, k, np.ones_like(i)])
            x[side] = float(ras[0].mean())
        # RAS x grows toward the patient's right; the pelvis is centred near x = 0.
        assert x["Right"] > 60.0 and x["Left"] < -60.0, (case_dir.name, x)
        # Independently of our reader: SimpleITK puts the right head at negative DICOM (LPS) x,
        # LPS x growing toward the patient's left.
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(case_dir / "dicom")))
        image = reader.Execute()
        k, j, i = np.argwhere(masks["Right femoral head"]).mean(axis=0)
        assert image.TransformContinuousIndexToPhysicalPoint((float(i), float(j), float(k)))[0] < -60.0


def test_lesions_lie_inside_their_bone_and_effusion_outside_bone() -> None:
    for index in range(4):
        _, masks, _ = render_hip_case(np.random.default_rng([2, index]), ALL_LESIONS)
        for seg in HIP_SEGMENTS:
            if seg.parent:
                assert masks[seg.name].any(), seg.name
                assert not (masks[seg.name] & ~masks[seg.parent]).any(), seg.name
        for side in ("Right", "Left"):
            effusion = masks[f"{side} effusion-synovitis"]
            assert effusion.any()
            assert not (effusion & (masks[f"{side} femoral head"] | masks[f"{side} acetabulum"])).any()
        assert not (masks["Right femoral head"] & masks["Right acetabulum"]).any()


def test_stir_contrast_edema_and_fluid_bright_marrow_dark() -> None:
    stir, masks, _ = render_hip_case(np.random.default_rng([4, 0]), ALL_LESIONS)
    stir = stir.astype(float)
    for side in ("Right", "Left"):
        bme = masks[f"{side} femoral BME"]
        normal_marrow = masks[f"{side} femoral head"] & ~bme
        effusion = masks[f"{side} effusion-synovitis"]
        assert stir[bme].mean() > 1.5 * stir[normal_marrow].mean()
        assert stir[effusion].mean() > 2.5 * stir[normal_marrow].mean()
    assert stir.dtype == float and stir.max() <= 4095


def test_lesion_prevalence_follows_the_configuration() -> None:
    config = HipPhantomConfig(size="small", bme_prevalence=0.6, acetabular_bme_prevalence=0.15,
                              effusion_prevalence=0.35)
    expected = {"femoral_bme": 0.6, "acetabular_bme": 0.15, "effusion": 0.35}
    regions = {"femoral_bme": "femoral BME", "acetabular_bme": "acetabular BME",
               "effusion": "effusion-synovitis"}
    counts = dict.fromkeys(expected, 0)
    n_sides = 0
    for index in range(100):
        r = _render(np.random.default_rng([1234, index]), config)
        for h in r.sides:
            n_sides += 1
            for region, label in regions.items():
                present = bool(r.masks[f"{h.name.capitalize()} {label}"].any())
                assert present == h.lesions[region], (index, h.name, region)  # a drawn lesion shows
                counts[region] += present
    for region, p in expected.items():
        sd = math.sqrt(n_sides * p * (1 - p))
        assert abs(counts[region] - n_sides * p) <= 3.5 * sd, (region, counts[region], n_sides)


def test_geometry_in_clinical_ranges() -> None:
    obliques = 0
    for size, (lo, hi), (px_lo, px_hi) in (("full", (256, 512), (0.6, 1.0)), ("small", (128, 160), (1.9, 3.2))):
        config = HipPhantomConfig(size=size)
        for index in range(60):
            geo = _sample_geometry(np.random.default_rng([9, index]), config)
            k, j, i = geo.shape
            assert 15 <= k <= 30 and lo <= j <= hi and lo <= i <= hi
            assert px_lo <= geo.spacing[0] == geo.spacing[1] <= px_hi
            assert 3.0 <= geo.spacing[2] <= 5.0
            axes = geo.ijk_to_ras[:3, :3] / np.array(geo.spacing)
            np.testing.assert_allclose(axes.T @ axes, np.eye(3), atol=1e-9)
            np.testing.assert_allclose(np.cross(axes[:, 0], axes[:, 1]), axes[:, 2], atol=1e-9)
            # Coronal: k is the anterior-posterior axis, within the 12 degrees of obliquity.
            assert abs(axes[1, 2]) > math.cos(math.radians(12.5))
            obliques += geo.oblique["axis"] is not None
    assert 0.15 * 120 < obliques < 0.45 * 120  # configured 0.3


def test_head_size_and_spacing_like_adult_hips() -> None:
    _, masks, ijk_to_ras = render_hip_case(np.random.default_rng([8, 8]), HipPhantomConfig(size="full"))
    centres = {}
    for side in ("Right", "Left"):
        k, j, i = np.nonzero(masks[f"{side} femoral head"])
        ras = (ijk_to_ras @ np.vstack([i, j, k, np.ones_like(i)]))[:3]
        extent_si = np.ptp(ras[2])  # the head's full height shows on the central slices
        assert 40.0 <= extent_si <= 56.0, (side, extent_si)
        centres[side] = ras.mean(axis=1)
    assert 155.0 <= abs(centres["Right"][0] - centres["Left"][0]) <= 205.0


def test_montage_tile_shows_truth_on_the_right_side_of_the_screen(case: tuple[Path, dict]) -> None:
    case_dir, _ = case
    tile = hip_montage_tile(case_dir)
    volume = read_volume(case_dir / "dicom")
    assert tile.dtype == np.uint8 and tile.shape == (*volume.array.shape[1:], 3)
    colour = (np.asarray(SEGMENT_BY_NAME["Right femoral head"].color) * 255).astype(np.uint8)
    cols = np.nonzero(np.all(tile == colour, axis=2))[1]
    assert cols.size > 0
    assert cols.mean() < tile.shape[1] / 2  # patient right on the left of the screen (radiological)
    assert (np.ptp(tile.astype(int), axis=2) == 0).mean() > 0.9  # mostly grey image, outlines on top


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        HipPhantomConfig(size="huge")
    with pytest.raises(ValueError, match="effusion_prevalence"):
        HipPhantomConfig(effusion_prevalence=1.5)


@pytest.mark.benchmark
def test_generation_speed_benchmark(tmp_path: Path) -> None:
    import time

    for size, n in (("small", 10), ("full", 3)):
        start = time.perf_counter()
        for index in range(n):
            generate_hip_case(tmp_path / size, f"b{index}", [0, index], HipPhantomConfig(size=size))
        rate = n / (time.perf_counter() - start)
        print(f"hip phantom {size}: {rate:.2f} volumes/s (written: DICOM + seg.nrrd + truth.json)")
        assert rate > 0


def test_edema_is_ill_defined_brightest_inside_and_fading_beyond_its_outline() -> None:
    from scipy import ndimage

    stir, masks, _ = render_hip_case(np.random.default_rng([4, 0]), ALL_LESIONS)
    stir = stir.astype(float)
    for side in ("Right", "Left"):
        bme, head = masks[f"{side} femoral BME"], masks[f"{side} femoral head"]
        marrow = ndimage.binary_erosion(head, iterations=1)
        near = ndimage.binary_dilation(bme, iterations=1) & marrow & ~bme  # just outside the outline
        far = marrow & ~ndimage.binary_dilation(bme, iterations=4)
        assert near.any() and far.any(), side
        # Not a crisp blob: the signal just outside what a reader outlines is still raised, and
        # lower than inside it.
        assert stir[far].mean() * 1.15 < stir[near].mean() < stir[bme].mean(), side


def test_fat_is_suppressed_at_the_isocentre_and_less_so_toward_the_field_edges() -> None:
    from axspa.phantom import mri

    ijk_to_xyz = np.diag([2.0, 2.0, 2.0, 1.0])
    ijk_to_xyz[:3, 3] = [-250.0, 0.0, -250.0]  # i along x, k along z, j along y through y = 0
    fat = mri.fat_suppression(np.random.default_rng(0), (251, 1, 251), ijk_to_xyz, 0.05)
    centre, edge = fat[125, 0, 125], fat[125, 0, 0]  # x = 0 and x = -250 mm, z = 0
    assert centre == pytest.approx(0.05, rel=0.05)
    assert edge > 1.2 * centre  # at least 1.3x for every draw of the rim parameters


def test_montage_window_reads_like_a_stir_with_or_without_fluid(tmp_path: Path) -> None:
    """Windowed on the soft tissue, not the brightest pixel: fatty marrow stays dark and muscle mid-grey
    in a case with no joint fluid as in one with it, and effusion is near white where there is some."""
    from axspa.phantom.hip.files import _stir_window

    # Generator 2 (uniform fatty marrow): generator 3's red islands and failed fat suppression may
    # brighten the marrow on purpose.
    none = HipPhantomConfig(size="small", bme_prevalence=0.0, acetabular_bme_prevalence=0.0, effusion_prevalence=0.0,
                            generator=2)
    generate_hip_case(tmp_path, "dry", [6, 1], none)
    generate_hip_case(tmp_path, "wet", [11, 3], HipPhantomConfig(**{**ALL_LESIONS.__dict__, "generator": 2}))
    for case_dir in (tmp_path / "wet", tmp_path / "dry"):
        volume = read_volume(case_dir / "dicom")
        masks, _ = read_seg_nrrd(case_dir / "truth.seg.nrrd")
        heads = masks["Right femoral head"] | masks["Left femoral head"]
        k = int(np.argmax(heads.sum(axis=(1, 2))))
        grey = _stir_window(volume.array[k].astype(np.float32)).astype(float)
        marrow = heads[k] & ~(masks["Right femoral BME"][k] | masks["Left femoral BME"][k])
        assert np.median(grey[marrow]) < 90, case_dir.name  # fatty marrow dark
        assert (grey > 250).mean() < 0.05, case_dir.name  # not washed out
        # Soft tissue (muscle with some fat) mid-grey whatever the brightest pixels are; the old
        # 99.5th-percentile window put it at 51 of 255 on the dry case (bladder urine set the white).
        body = volume.array[k] > 0.25 * np.percentile(volume.array[k], 95)
        assert 60 < np.median(grey[body]) < 130, (case_dir.name, np.median(grey[body]))
        effusion = masks["Right effusion-synovitis"][k] | masks["Left effusion-synovitis"][k]
        if effusion.any():
            assert np.median(grey[effusion]) > 180, case_dir.name


# --- generator 3: the confounders of real hips (never edema, never in the truth) ----------------------

# sha256 of the STIR array of _render(default_rng([7, 0]), size small) as axspa.phantom.hip/2 drew it
# before generator 3 existed: generator 2 must keep these bytes.
# Floating-point results (and so the rounded bytes) depend on numpy and scipy: the pin holds for the versions it
# was recorded with (the development environment's), and other versions skip rather than fail.
GENERATOR2_STIR_SHA256 = "36a28c0153aeb26a05bb50e25973212793361c7cecd6820e6fed5da5d2755381"
PINNED_WITH = {"numpy": "2.4", "scipy": "1.17"}


@pytest.fixture
def every_confounder(monkeypatch):
    """Every case draws every confounder (the default draws each with its own probability)."""
    from axspa.phantom.hip import confounders

    monkeypatch.setattr(confounders, "NONE", 0.0)
    monkeypatch.setattr(confounders, "PROBABILITY", dict.fromkeys(confounders.PROBABILITY, 1.0))
    return confounders


def test_generator_2_bytes_unchanged() -> None:
    import hashlib

    import scipy

    found = {"numpy": ".".join(np.__version__.split(".")[:2]), "scipy": ".".join(scipy.__version__.split(".")[:2])}
    if found != PINNED_WITH:
        pytest.skip(f"bytes pinned with {PINNED_WITH}, here {found}")

    r = _render(np.random.default_rng([7, 0]), HipPhantomConfig(size="small", generator=2))
    assert hashlib.sha256(r.stir.tobytes()).hexdigest() == GENERATOR2_STIR_SHA256
    assert r.confounders is None


def test_generator_3_same_truth_other_image_confounders_never_in_truth(every_confounder, monkeypatch) -> None:
    for index, config in enumerate((SMALL, ALL_LESIONS)):
        seed = [31, index]
        monkeypatch.setattr(every_confounder, "NONE", 1.0)  # the same case without any confounder
        old = _render(np.random.default_rng(seed), config)
        monkeypatch.setattr(every_confounder, "NONE", 0.0)
        new = _render(np.random.default_rng(seed), config)
        assert config.generator == 3
        assert old.masks.keys() == new.masks.keys()
        assert all(np.array_equal(old.masks[k], new.masks[k]) for k in old.masks)  # confounders not in truth
        assert old.stir.shape == new.stir.shape and not np.array_equal(old.stir, new.stir)
        assert set(new.confounders) >= set(every_confounder.PROBABILITY)
        assert all(new.confounders[name] is not False for name in every_confounder.PROBABILITY)


def test_generator_recorded_in_truth_json(tmp_path: Path) -> None:
    doc3 = generate_hip_case(tmp_path / "g3", "hip0001", [5, 1], SMALL)
    doc2 = generate_hip_case(tmp_path / "g2", "hip0001", [5, 1], HipPhantomConfig(size="small", generator=2))
    assert doc3["phantom"]["generator"] == "axspa.phantom.hip/3" and "confounders" in doc3["phantom"]
    assert doc2["phantom"]["generator"] == "axspa.phantom.hip/2" and "confounders" not in doc2["phantom"]
    assert "generator" not in doc2["phantom"]["config"]  # generator 2's truth.json as before
    validate(doc3, "hip")
    m3, _ = read_seg_nrrd(tmp_path / "g3" / "hip0001" / "truth.seg.nrrd")
    assert any(m.any() for name, m in m3.items() if "femoral head" in name)


def test_red_marrow_islands_brighten_femoral_head_marrow_without_edema(monkeypatch) -> None:
    from axspa.phantom.hip import confounders

    monkeypatch.setattr(confounders, "NONE", 0.0)
    monkeypatch.setattr(confounders, "PROBABILITY", {k: float(k == "red_marrow") for k in confounders.PROBABILITY})
    none = dict(size="small", bme_prevalence=0.0, acetabular_bme_prevalence=0.0, effusion_prevalence=0.0)
    for index in range(2):
        seed = [41, index]
        monkeypatch.setattr(confounders, "NONE", 1.0)  # the same case without any confounder
        yellow = _render(np.random.default_rng(seed), HipPhantomConfig(**none))
        monkeypatch.setattr(confounders, "NONE", 0.0)
        red = _render(np.random.default_rng(seed), HipPhantomConfig(**none))
        assert red.confounders["red_marrow"] is not False
        marrow = np.zeros(red.stir.shape, dtype=bool)
        for side in ("Right", "Left"):
            assert not red.masks[f"{side} femoral BME"].any()
            marrow |= ndimage_erode(red.masks[f"{side} femoral head"], 2)
        before, after = yellow.stir[marrow].astype(float), red.stir[marrow].astype(float)
        assert (after >= before).mean() > 0.95  # islands only add signal
        brighter = after > before * 1.25 + 10
        assert brighter.mean() > 0.02, (index, brighter.mean())  # patchy islands in the heads
        # ... brighter than yellow marrow where the truth has no edema
        assert np.median(after[brighter]) > 1.2 * np.median(before)


def ndimage_erode(mask: np.ndarray, iterations: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_erosion(mask, iterations=iterations)


def test_bad_generator_is_refused(tmp_path: Path, capsys) -> None:
    from axspa.cli import main

    for bad in (1, 4, True, "3"):
        with pytest.raises(ValueError, match="generator must be one of 2, 3"):
            HipPhantomConfig(generator=bad)
    with pytest.raises(SystemExit):
        main(["phantom", "hip", "--n", "1", "--generator", "4", "--out", str(tmp_path / "h")])
    assert "--generator" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()
