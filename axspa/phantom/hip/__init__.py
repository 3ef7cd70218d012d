"""Hip STIR phantom: config, sdf (shapes), profiles, canvas, geometry, soft_tissue, bone, lesions, render, files.

Synthetic coronal hip STIR MRI with exact ground truth (femoral heads, acetabula, BME, effusion).

Anatomy is built from signed distance functions (SDFs) in a patient frame in millimetres:
x = patient right (RAS x), y = anterior, z = superior, origin midway between the femoral head
centres. Every voxel centre of the acquisition grid is mapped into that frame (through the case's
IJK-to-RAS, oblique or not, and a table offset) and tissues are painted in order. Soft tissue and
most bone outlines are perturbed by smooth low-frequency noise fields so no contour is a clean
geometric shape; the femoral head and the acetabular articular surface stay spherical, as they are.
Each edge is blended over the partial-volume width of the voxel: one pixel in plane, widened by the
slice thickness where a surface runs obliquely through the 3-5 mm slab, so structures fade between
slices as on a real acquisition. Truth masks are the same (perturbed) SDFs thresholded at the voxel
centre, so truth and image agree exactly. Bone marrow edema is a smooth field (bright core, feathery
fading margin); its truth is the region where that field exceeds the level a reader would outline,
clipped to the marrow of its bone.

STIR contrast (fluid = 1): fat and fatty (yellow) marrow are suppressed and dark, except toward the
edges of the field of view where suppression fails; red marrow is a little brighter; muscle is
low-intermediate with fibre striation; fluid, urine, slow-flow veins, edema and effusion are bright;
cortex, labrum, capsule and tendons are dark.

Array layout [k, j, i]: i runs to the patient's left (patient right on the left of the screen, the
radiological convention), j from superior to inferior, k from anterior to posterior (i x j), the
slice order DICOM readers stack back.
"""

from __future__ import annotations

from axspa.phantom.hip.config import GENERATOR, HipPhantomConfig
from axspa.phantom.hip.files import generate_hip_case, hip_montage_tile
from axspa.phantom.hip.render import render_hip_case

__all__ = ["GENERATOR", "HipPhantomConfig", "generate_hip_case", "hip_montage_tile", "render_hip_case"]
