"""The spine networks, all MONAI. Sizes are chosen for the 60-minute, 2-core training budget.

- ``LandmarkNet``: two UNets. ``coarse`` sees the whole film letterboxed to 160 px and predicts five
  heatmaps: vertebral centres, anterior-superior corners, anterior-inferior corners (any vertebra;
  identity is solved afterwards by counting along the column) and the two anchors C2 and S1 (which
  also give the region). ``refine`` sees a 64-px patch around one coarse corner (0.75 x the
  vertebral pitch) and predicts the AS and AI corner heatmaps there at full resolution.
- ``CornerNet``: one multi-label DenseNet on an 80-px crop around a disc level, rotated so that the
  column runs down the crop (endplates horizontal, as Koo et al.): 8 findings of the upper (``i``)
  corner, then 8 of the lower (``s``) corner.
"""

from __future__ import annotations

from torch import nn

COARSE_SIZE = 160
COARSE_CHANNELS = ("center", "anterior_superior", "anterior_inferior", "anchor_C2", "anchor_S1")
REFINE_SIZE = 64
REFINE_SIDE = 0.75  # refinement patch side, in vertebral pitches (centre-to-centre distance)
CORNER_SIZE = 80
CORNER_SIDE = 1.1  # corner crop side, in vertebral pitches


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
    def __init__(self, n_out: int = 16, init_features: int = 24, growth_rate: int = 12,
                 block_config: tuple = (4, 8, 8)):
        super().__init__()
        from monai.networks.nets import DenseNet

        self.net = DenseNet(spatial_dims=2, in_channels=1, out_channels=n_out, init_features=init_features,
                            growth_rate=growth_rate, block_config=tuple(block_config))

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
