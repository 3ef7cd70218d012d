"""The sacroiliac-joint networks, all MONAI, anatomy-aware as Dorfner, Bressem et al. (2024): a UNet finds both
joints on the whole film, a classifier grades a crop around each.

- ``locator``: UNet on the film letterboxed to LOCATOR_SIZE px; one heat map peaking at both joint centres (a
  network sees mirror-alike joints; which is right comes from the film: the patient's right is on the image
  left of an AP film).
- ``refine``: a small UNet on a REFINE_MM square around the locator's point at 1 mm (the right side mirrored);
  one heat map, the joint centre, where the whole-film locator (2 mm pixels) is too coarse.
- ``grader``: a small ResNet on a CROP_MM square around one joint at CROP_PX (0.5 mm pixels), the right
  joint mirrored so both sides look alike; five logits, modified New York grades 0-4.
- ``pair``: the direct estimate of definite sacroiliitis from both joints' pooled features together.
Sizes fit the 60-minute, 2-core training budget.
"""

from __future__ import annotations

import torch
from torch import nn

LOCATOR_SIZE = 192
REFINE_MM = 96.0
REFINE_PX = 96
CROP_MM = 64.0
CROP_PX = 128


class CropGrader(nn.Module):
    """ResNet features of a joint crop -> five grade logits (``features`` for the pair head)."""

    def __init__(self, block_inplanes: tuple = (32, 64, 128, 256)):
        super().__init__()
        from monai.networks.nets import ResNet

        self.backbone = ResNet(block="basic", layers=(1, 1, 1, 1), block_inplanes=list(block_inplanes),
                               spatial_dims=2, n_input_channels=1, conv1_t_size=5, conv1_t_stride=2,
                               feed_forward=False)
        self.grade = nn.Linear(block_inplanes[-1], 5)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.grade(self.backbone(x))


class SijNet(nn.Module):
    def __init__(self, locator_channels: tuple = (16, 32, 64, 128), refine_channels: tuple = (16, 32, 64, 128),
                 block_inplanes: tuple = (32, 64, 128, 256)):
        super().__init__()
        from monai.networks.nets import UNet

        self.locator = UNet(spatial_dims=2, in_channels=1, out_channels=1, channels=tuple(locator_channels),
                            strides=(2,) * (len(locator_channels) - 1), num_res_units=1)
        self.refine = UNet(spatial_dims=2, in_channels=1, out_channels=1, channels=tuple(refine_channels),
                           strides=(2,) * (len(refine_channels) - 1), num_res_units=1)
        self.grader = CropGrader(tuple(block_inplanes))
        self.pair = nn.Linear(2 * block_inplanes[-1], 1)

    def grade_pair(self, right: torch.Tensor, left: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Grade logits of the right and left crops [B, 1, CROP_PX, CROP_PX] and the definite logit [B]."""
        feats = self.grader.features(torch.cat([right, left]))
        fr, fl = feats[: len(right)], feats[len(right):]
        return self.grader.grade(fr), self.grader.grade(fl), self.pair(torch.cat([fr, fl], 1))[:, 0]
