"""AP pelvis radiographs drawn from 3-D anatomy by X-ray projection (generator 2 of ``axspa phantom pelvis``):
joint (the sacroiliac joint and its grade in 3-D), anatomy (the bones), render (grids, projection, soft
tissue), case (acquisition, truth, files; shared with the 2-D painter of axspa.phantom.pelvis)."""
