"""The predictor the shipped ``hip-segmenter`` bundle names (protocol: axspa.hip.pipeline).

Coronal view (frame.SliceFrame) -> locator on every slice at 3 mm -> the femoral heads and their
patient sides (locate.find_heads) -> for each head, 2.5-D crops at 0.8 mm on the slices within
40 mm of its centre -> class probabilities back onto the native pixels -> the ten segments.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from axspa.hip.model import network as net
from axspa.hip.model.crops import back_to_source, crop_grid, resize_to_pitch, sample
from axspa.hip.model.data import SEG_REACH_MM, normalised_view
from axspa.hip.model.frame import SliceFrame, kji_to_ras
from axspa.hip.model.locate import FoundHead, body_midline_column, find_heads
from axspa.hip.segments import segment
from axspa.jobs import report

BATCH = 16
REGION_OF_CLASS = {1: "femoral_head", 2: "acetabulum", 3: "femoral_bme", 4: "acetabular_bme", 5: "effusion"}


class HipPredictor:
    def __init__(self, folder: Optional[Path] = None, info: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None):
        if model is None:
            from axspa.training.bundle import load_network

            model = load_network(Path(folder), info or {})
        self.model = model.eval()
        self.heads: list[FoundHead] = []  # of the last prediction, for messages

    def predict(self, volume, progress=None, cancel=None) -> dict:
        with torch.no_grad():
            return self._predict(volume, progress, cancel)

    def _predict(self, volume, progress, cancel) -> dict:
        frame = SliceFrame.from_ijk_to_ras(volume.ijk_to_ras)
        view = normalised_view(volume.array, frame)
        report(progress, 0.05, "finding the femoral heads", cancel)
        self.heads = self.locate(view, frame, volume.ijk_to_ras)
        labels = np.zeros(view.shape, np.uint8)
        side_of = np.zeros(view.shape, np.uint8)  # 1 right, 2 left
        for n, head in enumerate(self.heads):
            report(progress, 0.2 + 0.75 * n / max(len(self.heads), 1), f"segmenting the {head.side} hip", cancel)
            self._segment_head(view, frame, head, labels, side_of)
        report(progress, 0.97, "writing segments", cancel)
        return self._masks(labels, side_of, frame)

    def locate(self, view: np.ndarray, frame: SliceFrame, ijk_to_ras: np.ndarray) -> list[FoundHead]:
        canvas, scale, offset = resize_to_pitch(view, frame.spacing[1:], net.LOCATOR_PITCH_MM, net.LOCATOR_SIZE)
        probs = []
        for start in range(0, len(canvas), BATCH):
            x = torch.from_numpy(canvas[start:start + BATCH, None])
            probs.append(torch.sigmoid(self.model.locator(x))[:, 0].numpy())
        prob = np.concatenate(probs)

        def to_view(p: np.ndarray) -> np.ndarray:
            return np.array([p[0], *((p[1:] - offset + 0.5) * scale - 0.5)])

        def ras_x(p: np.ndarray) -> float:
            return float(kji_to_ras(ijk_to_ras, frame.view_to_kji(p, volume_shape))[0])

        volume_shape = tuple(np.array(view.shape)[np.argsort(frame.axes)])
        voxel_ml = frame.spacing[0] * net.LOCATOR_PITCH_MM ** 2 / 1000.0
        mid_col = body_midline_column(view)
        centre_row = (view.shape[1] - 1) / 2.0
        midline_x = ras_x(np.array([(view.shape[0] - 1) / 2.0, centre_row, mid_col]))
        return find_heads(prob, to_view, voxel_ml, ras_x, midline_x)

    def _segment_head(self, view: np.ndarray, frame: SliceFrame, head: FoundHead, labels: np.ndarray,
                      side_of: np.ndarray) -> None:
        spacing = frame.spacing[1:]
        mirror = head.side == "left"
        reach = int(math.ceil(SEG_REACH_MM / frame.spacing[0]))
        s0 = int(round(head.centre[0]))
        slices = list(range(max(0, s0 - reach), min(view.shape[0], s0 + reach + 1)))
        grid = crop_grid(head.centre[1:], spacing, view.shape[1:], net.SEG_SIZE, net.SEG_PITCH_MM, mirror=mirror)
        src = torch.from_numpy(view)
        best = {}
        for start in range(0, len(slices), BATCH):
            chunk = slices[start:start + BATCH]
            stacks = [src[[min(max(s + d, 0), view.shape[0] - 1) for d in range(-net.SEG_CONTEXT, net.SEG_CONTEXT + 1)]]
                      for s in chunk]
            x = sample(torch.stack(stacks), grid[None].expand(len(chunk), -1, -1, -1))
            prob = torch.softmax(self.model.segmenter(x), dim=1)
            for s, p in zip(chunk, prob):
                where, values = back_to_source(p, head.centre[1:], spacing, view.shape[1:], net.SEG_PITCH_MM, mirror)
                if where is not None:
                    best[s] = (where, values)
        code = 1 if head.side == "right" else 2
        for s, (where, values) in best.items():
            cls = values.argmax(dim=0).numpy().astype(np.uint8)
            free = side_of[s][where] == 0  # the other hip's crop keeps what it already labelled
            labels[s][where][free] = cls[free]
            side_of[s][where][free & (cls > 0)] = code

    def _masks(self, labels: np.ndarray, side_of: np.ndarray, frame: SliceFrame) -> dict:
        from scipy import ndimage

        masks = {}
        for code, side in ((1, "right"), (2, "left")):
            mine = side_of == code
            head = mine & ((labels == 1) | (labels == 3))
            if head.any():  # one femoral head: its largest connected piece
                lab, n = ndimage.label(head)
                if n > 1:
                    head = lab == (np.argmax(np.bincount(lab.ravel())[1:]) + 1)
            region_masks = {"femoral_head": head, "femoral_bme": head & (labels == 3),
                            "acetabulum": mine & ((labels == 2) | (labels == 4)),
                            "acetabular_bme": mine & (labels == 4), "effusion": mine & (labels == 5)}
            for region, m in region_masks.items():
                masks[segment(side, region).name] = np.ascontiguousarray(frame.from_view(m))
        return masks
