"""Spine speed on 2 CPU threads (``make bench``): model load, one radiograph end to end, peak RSS, and
the paper-faithful architectures on the same film in the same run, with the ratios printed.

- Chen et al. 2024: a ResNet-50 pose network (SimpleBaseline: ResNet-50 + three deconvolutions) at
  256x192, then eight DenseNet-121 classifiers (one per lesion) at 224x224 on each of the 12 corners.
- Koo et al. 2022: an HRNet-W32-sized localizer (here a ResNet-34 SimpleBaseline, whose GFLOPs at
  256x192 are printed beside HRNet-W32's 7.1) at 256x192, then ResNet-152 at 224x224 on each corner.
Baselines run with random weights: only their cost matters. Not a timed test: it prints and checks
only that everything ran."""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

pytestmark = pytest.mark.benchmark

SAMPLE = Path(__file__).resolve().parents[3] / "Resources" / "SampleData" / "AxSpA-LumbarSpine.dcm"


def _pose_net(depth: int):
    from monai.networks.nets import ResNet
    from monai.networks.nets.resnet import ResNetBlock, ResNetBottleneck
    from torch import nn

    block, layers, width = {50: (ResNetBottleneck, [3, 4, 6, 3], 2048), 34: (ResNetBlock, [3, 4, 6, 3], 512)}[depth]
    backbone = ResNet(block, layers, [64, 128, 256, 512], spatial_dims=2, n_input_channels=3, num_classes=1)
    body = nn.Sequential(*list(backbone.children())[:-2])  # up to layer4 (drop pooling and fc)
    head, ch = [], width
    for _ in range(3):
        head += [nn.ConvTranspose2d(ch, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU()]
        ch = 256
    return nn.Sequential(body, *head, nn.Conv2d(256, 36, 1)).eval()


def _median_time(fn, n: int = 3) -> float:
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _gflops(model, x) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() / 2e9  # multiply-adds


def test_spine_speed_against_paper_architectures():
    from monai.networks.nets import DenseNet121, resnet152

    from axspa.bundles import ModelCorruptError, ModelMissingError
    from axspa.io.radiograph import read_radiograph
    from axspa.spine.pipeline import SpineModels, score_radiograph

    torch.set_num_threads(2)
    film = read_radiograph(SAMPLE)
    t0 = time.perf_counter()
    try:
        models = SpineModels()
    except ModelCorruptError:
        raise  # there but broken: a failure, not an absence
    except ModelMissingError as exc:
        pytest.skip(str(exc))
    load_s = time.perf_counter() - t0
    ours = _median_time(lambda: score_radiograph(film, "auto", models=models), 5)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2

    crops = torch.rand(12, 3, 224, 224)
    pose_in = torch.rand(1, 3, 256, 192)
    with torch.no_grad():
        chen_pose, koo_pose = _pose_net(50), _pose_net(34)
        chen_cls = [DenseNet121(spatial_dims=2, in_channels=3, out_channels=2).eval() for _ in range(8)]
        koo_cls = resnet152(spatial_dims=2, n_input_channels=3, num_classes=4).eval()
        chen = _median_time(lambda: (chen_pose(pose_in), [c(crops) for c in chen_cls]))
        koo = _median_time(lambda: (koo_pose(pose_in), koo_cls(crops)))
    print(f"\nspine model load {load_s:.2f} s; one radiograph end to end {ours:.3f} s; peak RSS {rss_gb:.2f} GB")
    print(f"Chen-faithful (ResNet-50 pose {_gflops(chen_pose, pose_in):.1f} GFLOPs + 8 x DenseNet-121 on 12 corners): "
          f"{chen:.2f} s -> ours is {chen / ours:.1f}x faster")
    print(f"Koo-faithful (localizer {_gflops(koo_pose, pose_in):.1f} GFLOPs vs HRNet-W32 7.1 + ResNet-152 on 12 "
          f"corners): {koo:.2f} s -> ours is {koo / ours:.1f}x faster")
    assert ours > 0 and chen > 0 and koo > 0
