"""The spine networks, all MONAI. Sizes are chosen for the 60-minute, 2-core training budget.

- ``LandmarkNet``: two UNets. ``coarse`` sees the whole film letterboxed to 160 px and predicts five
  heatmaps: vertebral centres, anterior-superior corners, anterior-inferior corners (any vertebra;
  identity is solved afterwards by counting along the column) and the two anchors C2 and S1 (which
  also give the region). ``refine`` sees a 64-px patch around one coarse corner (0.75 x the
  vertebral pitch) and predicts the AS and AI corner heatmaps there at full resolution.
- ``CornerNet``: one multi-label ResNet on a 96-px crop (0.9 pitch square) around a disc level, rotated so that the
  column runs down the crop (endplates horizontal, as Koo et al.): 8 findings of the upper (``i``)
  corner, then 8 of the lower (``s``) corner.
"""

from __future__ import annotations

from torch import nn

COARSE_SIZE = 160
COARSE_CHANNELS = ("center", "anterior_superior", "anterior_inferior", "anchor_C2", "anchor_S1")
REFINE_SIZE = 64
REFINE_SIDE = 0.75  # refinement patch side, in vertebral pitches (centre-to-centre distance)
CORNER_SIZE = 96
# The corner crop is a square of 0.9 vertebral pitch. A taller crop (0.9 x 1.4 pitch, to show more of
# the anterior border for squaring) was tried and lost small-lesion detail: per-site grade accuracy on
# the dev films (seed 404) 0.879 against 0.936 for the square crop. CORNER_ASPECT (width / side) is
# kept so a bundle trained with another shape can be read.
CORNER_SIDE = 0.9
CORNER_ASPECT = 1.0


class LandmarkNet(nn.Module):
    def __init__(self, coarse_channels: tuple = (16, 32, 64, 128, 256), refine_channels: tuple = (16, 32, 64, 128)):
        super().__init__()
        from monai.networks.nets import UNet

        self.coarse = UNet(spatial_dims=2, in_channels=1, out_channels=len(COARSE_CHANNELS),
                           channels=tuple(coarse_channels), strides=(2,) * (len(coarse_channels) - 1),
                           num_res_units=2)
        self.refine = UNet(spatial_dims=2, in_channels=1, out_channels=2, channels=tuple(refine_channels),
                           strides=(2,) * (len(refine_channels) - 1), num_res_units=2)

    def forward(self, x):  # MONAI bundle convention: the coarse stage on a letterboxed film
        return self.coarse(x)


class CornerNet(nn.Module):
    """A small MONAI ResNet with a stride-1 3x3 stem: erosions and spurs are a few pixels wide in the
    crop, and DenseNet's stride-4 stem (conv 7x7/2 + pool) would blur them away before the first block."""

    def __init__(self, n_out: int = 16, widths: tuple = (16, 32, 64, 128), layers: tuple = (1, 1, 1, 1)):
        super().__init__()
        from monai.networks.nets import ResNet

        self.net = ResNet("basic", list(layers), list(widths), spatial_dims=2, n_input_channels=1,
                          conv1_t_size=3, conv1_t_stride=1, num_classes=n_out)

    def forward(self, x):
        return self.net(x)


class PerLesionCornerNet(nn.Module):
    """Chen et al.'s design for comparison: one network per finding (each gives upper and lower corner),
    outputs laid out as ``CornerNet``'s so that training, validation and the predictor are shared."""

    def __init__(self, n_findings: int = 8, **corner_kwargs):
        super().__init__()
        self.nets = nn.ModuleList(CornerNet(n_out=2, **corner_kwargs) for _ in range(n_findings))

    def forward(self, x):
        import torch

        per = torch.stack([n(x) for n in self.nets], dim=1)  # (B, finding, corner)
        return per.transpose(1, 2).reshape(x.shape[0], -1)  # upper findings, then lower
