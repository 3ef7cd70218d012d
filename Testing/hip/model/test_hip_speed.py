"""Hip speed on 2 CPU threads (``make bench``): model load, a 30-slice 512x512 coronal STIR volume end to
end (read, segment, score, write), peak RSS, and beside it a Zheng-faithful U-Net (Zheng et al. 2023:
the classic encoder-decoder, two 3x3 conv + BN + ReLU per level, 2x2 max-pooling, transposed-conv
upsampling, 64-1024 channels; MONAI BasicUNet with those features) run slice by slice on the same volume
at full resolution, with the ratio printed. The baseline runs with random weights on every slice: only its
cost matters. Not a timed test: it prints and checks only that everything ran."""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

pytestmark = pytest.mark.benchmark

SLICES, MATRIX = 30, 512


def _stir_volume(path):
    """The shipped STIR sample resampled to 30 coronal slices of 512 x 512 (0.7 mm pixels), as a NRRD."""
    from scipy import ndimage

    from axspa.bundles import shipped_models_dir
    from axspa.io.nrrdfile import write_nrrd
    from axspa.io.volume import read_volume

    sample = read_volume(str(shipped_models_dir().parent / "SampleData" / "AxSpA-HipSTIR.nrrd"))
    zoom = np.array([SLICES, MATRIX, MATRIX]) / np.array(sample.array.shape)
    array = ndimage.zoom(sample.array.astype(np.float32), zoom, order=1)
    m = sample.ijk_to_ras.copy()
    m[:3, 0] /= zoom[2]
    m[:3, 1] /= zoom[1]
    m[:3, 2] /= zoom[0]
    write_nrrd(path, array.astype(np.int16), m)
    return path


def test_hip_speed_against_zheng_unet(tmp_path):
    from monai.networks.nets import BasicUNet

    from axspa.bundles import ModelCorruptError, ModelMissingError
    from axspa.hip.pipeline import load_models, score_case

    torch.set_num_threads(2)
    series = _stir_volume(tmp_path / "stir.nrrd")
    t0 = time.perf_counter()
    try:
        model = load_models()
    except ModelCorruptError:
        raise  # there but broken: a failure, not an absence
    except ModelMissingError as exc:
        pytest.skip(str(exc))
    load_s = time.perf_counter() - t0
    times = []
    for n in range(3):
        t0 = time.perf_counter()
        doc = score_case(str(series), tmp_path / f"out{n}", model=model)
        times.append(time.perf_counter() - t0)
    ours = float(np.median(times))
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2

    zheng = BasicUNet(spatial_dims=2, in_channels=1, out_channels=6, features=(64, 128, 256, 512, 1024, 64)).eval()
    x = torch.rand(1, 1, MATRIX, MATRIX)
    with torch.no_grad():
        zheng(x)  # warm-up
        t0 = time.perf_counter()
        for _ in range(SLICES):
            zheng(x)
        baseline = time.perf_counter() - t0
    print(f"\nhip model load {load_s:.2f} s; {SLICES}x{MATRIX}x{MATRIX} STIR end to end {ours:.2f} s "
          f"(median of 3); peak RSS {rss_gb:.2f} GB; heads found: "
          f"{[doc['sides'][s]['femoral_head_found'] for s in ('right', 'left')]}")
    print(f"Zheng-faithful U-Net (64-1024) on {SLICES} slices at {MATRIX}x{MATRIX}: {baseline:.1f} s "
          f"-> ours is {baseline / ours:.1f}x faster")
    assert ours > 0 and baseline > 0
