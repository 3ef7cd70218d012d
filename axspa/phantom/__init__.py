"""Synthetic phantoms with exact ground truth: lateral spine and AP pelvis radiographs (this
package), hip STIR MRI (axspa.phantom.hip). No torch, no Qt: numpy, scipy and Pillow only."""
