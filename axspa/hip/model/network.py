"""The hip network, all MONAI: two 2-D UNets in one module, sized for the 60-minute, 2-core budget.

- ``locator`` (a MONAI BasicUNet) sees each coronal slice at 3 mm pixels on a 128-px canvas (384 mm, a whole pelvis) and
  predicts the femoral heads (one channel: both heads; the patient side comes from the image
  geometry afterwards, never from where a head lies on the screen).
- ``segmenter`` sees a 128-px crop at 0.8 mm pixels (102 mm) around one femoral head, on three
  neighbouring coronal slices (2.5-D: the slice and its two neighbours as channels), and labels six
  classes: background, femoral head, acetabulum, femoral BME, acetabular BME, effusion-synovitis.
  Left-hip crops are mirrored so that both hips look alike (medial on the same side of the crop).

Why 2.5-D and not 3-D: clinical coronal STIR has 3-5 mm slices (5.2 mm on the real T1 series here)
against 0.5-1 mm pixels, and 15-40 of them; a 3-D kernel would mix tissue 10-15 mm apart while
in-plane detail (a 5 mm² lesion is a few pixels) needs full in-plane resolution. Two neighbours as
channels give the through-plane context (a vessel versus an edema focus) at 2-D cost.
"""

from __future__ import annotations

from torch import nn

LOCATOR_SIZE = 128
LOCATOR_PITCH_MM = 3.0
SEG_SIZE = 128
SEG_PITCH_MM = 0.8
SEG_CONTEXT = 1  # neighbouring slices on each side as extra channels
CLASSES = ("background", "femoral_head", "acetabulum", "femoral_bme", "acetabular_bme", "effusion")


class HipNet(nn.Module):
    def __init__(self, locator_features: tuple = (8, 16, 32, 64, 128, 8),
                 seg_channels: tuple = (16, 32, 64, 128, 256)):
        super().__init__()
        from monai.networks.nets import BasicUNet, UNet

        # BasicUNet ends in a 1x1 convolution; MONAI's UNet ends in a one-channel instance norm, which
        # for a single sigmoid output left the locator blurred (peak 0.45 after 600 steps, no head found).
        self.locator = BasicUNet(spatial_dims=2, in_channels=1, out_channels=1, features=tuple(locator_features))
        self.segmenter = UNet(spatial_dims=2, in_channels=2 * SEG_CONTEXT + 1, out_channels=len(CLASSES),
                              channels=tuple(seg_channels), strides=(2,) * (len(seg_channels) - 1),
                              num_res_units=1)

    def forward(self, x):  # MONAI bundle convention: the segmenter on a 2.5-D crop
        return self.segmenter(x)
