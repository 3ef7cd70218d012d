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
from axspa.hip.model.decision import LesionDecision
from axspa.hip.model.frame import SliceFrame, kji_to_ras
from axspa.hip.model.locate import MIN_VERIFIED, FoundHead, body_midline_column, find_heads
from axspa.hip.model.shape import largest_piece, within_fitted_sphere, within_head_sphere
from axspa.hip.segments import segment
from axspa.jobs import report

BATCH = 16
MIN_SEGMENTED_ML = 10.0  # a femoral head is 30-90 mL: a candidate segmenting as less was no head
OTHER_HEAD_MM = (150.0, 165.0, 180.0, 195.0, 210.0, 225.0)  # centre-to-centre, left-right
REGION_OF_CLASS = {1: "femoral_head", 2: "acetabulum", 3: "femoral_bme", 4: "acetabular_bme", 5: "effusion"}


class HipPredictor:
    def __init__(self, folder: Optional[Path] = None, info: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None, decision: Optional[LesionDecision] = None,
                 effusion_decision: Optional[LesionDecision] = None):
        if model is None:
            from axspa.training.bundle import load_network

            model = load_network(Path(folder), info or {})
            decision, effusion_decision = _bundle_decisions(Path(folder))
        self.model = model.eval()
        self.decision: Optional[LesionDecision] = decision
        self.effusion_decision: Optional[LesionDecision] = effusion_decision
        self.heads: list[FoundHead] = []  # of the last prediction, for messages
        # Of the last prediction, per side: the probability that there is any femoral / acetabular BME (and
        # effusion-synovitis).
        self.edema_probability: dict[str, dict[str, float]] = {}

    def predict(self, volume, progress=None, cancel=None) -> dict:
        with torch.no_grad():
            return self._predict(volume, progress, cancel)

    def _predict(self, volume, progress, cancel) -> dict:
        frame = SliceFrame.from_ijk_to_ras(volume.ijk_to_ras)
        view = normalised_view(volume.array, frame)
        report(progress, 0.05, "finding the femoral heads", cancel)
        self.heads = self.locate(view, frame, volume.ijk_to_ras)
        masks = self._masks(*self._segment_heads(view, frame, self.heads, progress, cancel), view, frame)
        voxel_ml = float(np.prod(frame.spacing)) / 1000.0
        good = [h for h in self.heads
                if np.count_nonzero(masks[segment(h.side, "femoral_head").name]) * voxel_ml >= MIN_SEGMENTED_ML]
        if len(good) == 1 and len(self.heads) == 2:
            # A candidate that segments as a speck of head was not a head: look across the midline of the
            # one that was, as when the locator found only one.
            other = self._search_other(view, frame, good[0])
            self.heads = sorted(good + ([other] if other is not None else []), key=lambda h: h.side != "right")
            masks = self._masks(*self._segment_heads(view, frame, self.heads, progress, cancel), view, frame)
        report(progress, 0.97, "segments done", cancel)
        return masks

    def _segment_heads(self, view: np.ndarray, frame: SliceFrame, heads: list, progress, cancel):
        labels = np.zeros(view.shape, np.uint8)
        side_of = np.zeros(view.shape, np.uint8)  # 1 right, 2 left
        for n, head in enumerate(heads):
            report(progress, 0.2 + 0.75 * n / max(len(heads), 1), f"segmenting the {head.side} hip", cancel)
            self._segment_head(view, frame, head, labels, side_of)
        return labels, side_of

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
        heads = find_heads(prob, to_view, voxel_ml, ras_x, midline_x,
                           verify=lambda head: self._head_likeness(view, frame, head))
        if len(heads) == 1:  # the other head lies across the midline, about as high: look there
            other = self._search_other(view, frame, heads[0])
            if other is not None:
                heads = sorted(heads + [other], key=lambda h: h.side != "right")
        return heads

    def _search_other(self, view: np.ndarray, frame: SliceFrame, found: FoundHead) -> Optional[FoundHead]:
        """The best-verified point at the mirrored place of ``found``: OTHER_HEAD_MM to the other side,
        within 20 mm up or down and one slice forward or back; None when none looks like a head."""
        side = "left" if found.side == "right" else "right"
        step = 1.0 if side == "left" else -1.0  # view columns run from the patient's right to left
        s0, r0, c0 = found.centre
        points = [np.array([s0 + ds, r0 + dr / frame.spacing[1], c0 + step * d / frame.spacing[2]])
                  for ds in (-1, 0, 1) for dr in (-20, -10, 0, 10, 20) for d in OTHER_HEAD_MM]
        points = [p for p in points if 0 <= p[0] < view.shape[0] and 0 <= p[2] < view.shape[2]]
        scores = self._head_likeness_many(view, frame, points, mirror=side == "left")
        if not len(scores) or scores.max() < MIN_VERIFIED:
            return None
        best = int(np.argmax(scores))
        return FoundHead(side, points[best], 0.0, 0.0, float(scores[best]))

    def _head_likeness(self, view: np.ndarray, frame: SliceFrame, head: FoundHead) -> float:
        return float(self._head_likeness_many(view, frame, [head.centre], head.side == "left")[0])

    def _head_likeness_many(self, view: np.ndarray, frame: SliceFrame, centres: list, mirror: bool) -> np.ndarray:
        """Mean femoral-head probability (head or femoral BME) the segmenter gives within 10 mm of each
        centre (slice, row, col) on its slice."""
        u = (torch.arange(net.SEG_SIZE, dtype=torch.float32) - (net.SEG_SIZE - 1) / 2.0) * net.SEG_PITCH_MM
        disk = (u[:, None] ** 2 + u[None, :] ** 2) <= 10.0 ** 2
        src = torch.from_numpy(view)
        scores = []
        for start in range(0, len(centres), BATCH * 2):
            chunk = centres[start:start + BATCH * 2]
            stacks, grids = [], []
            for c in chunk:
                s = int(round(c[0]))
                stacks.append(src[[min(max(s + d, 0), view.shape[0] - 1)
                                   for d in range(-net.SEG_CONTEXT, net.SEG_CONTEXT + 1)]])
                grids.append(crop_grid(c[1:], frame.spacing[1:], view.shape[1:], net.SEG_SIZE, net.SEG_PITCH_MM,
                                       mirror=mirror))
            p = torch.softmax(self.model.segmenter(sample(torch.stack(stacks), torch.stack(grids))), dim=1)
            scores += [float(v) for v in (p[:, 1] + p[:, 3])[:, disk].mean(dim=1)]
        return np.array(scores)

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
            # All crops of a head share one window: back onto the native pixels in one go.
            where, values = back_to_source(prob, head.centre[1:], spacing, view.shape[1:], net.SEG_PITCH_MM, mirror)
            if where is not None:
                classes = _argmax_classes(values)
                best.update({s: (where, cls) for s, cls in zip(chunk, classes)})
        code = 1 if head.side == "right" else 2
        for s, (where, cls) in best.items():
            free = side_of[s][where] == 0  # the other hip's crop keeps what it already labelled
            labels[s][where][free] = cls[free]
            side_of[s][where][free & (cls > 0)] = code

    def _masks(self, labels: np.ndarray, side_of: np.ndarray, view: np.ndarray, frame: SliceFrame) -> dict:
        masks = {}
        voxel_ml = float(np.prod(frame.spacing)) / 1000.0
        self.edema_probability = {}
        for code, side in ((1, "right"), (2, "left")):
            mine = side_of == code
            head = within_head_sphere(largest_piece(mine & ((labels == 1) | (labels == 3))), frame.spacing)
            head = within_fitted_sphere(head, frame.spacing)
            acetabulum = mine & ((labels == 2) | (labels == 4))
            femoral_bme, acetabular_bme = head & (labels == 3), mine & (labels == 4)
            if self.decision is not None and mine.any():
                femoral_bme, p_femoral = self.decision.apply(view, head, femoral_bme, voxel_ml)
                acetabular_bme, p_acetabular = self.decision.apply(view, acetabulum, acetabular_bme, voxel_ml)
                self.edema_probability[side] = {"femoral_bme": round(p_femoral, 4),
                                                "acetabular_bme": round(p_acetabular, 4)}
            effusion = mine & (labels == 5)
            if self.effusion_decision is not None and mine.any():
                effusion, p_effusion = self.effusion_decision.apply(view, mine, effusion, voxel_ml)
                self.edema_probability.setdefault(side, {})["effusion"] = round(p_effusion, 4)
            region_masks = {"femoral_head": head, "femoral_bme": femoral_bme, "acetabulum": acetabulum,
                            "acetabular_bme": acetabular_bme, "effusion": effusion}
            for region, m in region_masks.items():
                masks[segment(side, region).name] = np.ascontiguousarray(frame.from_view(m))
        return masks



def _bundle_decisions(folder: Path) -> tuple[Optional[LesionDecision], Optional[LesionDecision]]:
    """The BME and effusion decisions the bundle's configs/inference.json holds (None in 0.1 bundles)."""
    import json

    inference = json.loads((folder / "configs" / "inference.json").read_text())
    return (LesionDecision.from_json(inference.get("lesion_decision")),
            LesionDecision.from_json(inference.get("effusion_decision")))


def _argmax_classes(values: torch.Tensor) -> np.ndarray:
    """argmax over the class axis of (B, C, H, W) as uint8, first class on ties (as torch.argmax): a running
    maximum over the C planes, several times faster than argmax along a strided axis on the CPU."""
    best = values[:, 0].clone()
    classes = torch.zeros(best.shape, dtype=torch.uint8)
    for c in range(1, values.shape[1]):
        higher = values[:, c] > best
        classes[higher] = c
        best = torch.maximum(best, values[:, c])
    return classes.numpy()
