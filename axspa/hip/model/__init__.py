"""Hip STIR segmentation models (torch and MONAI are imported here and in axspa.training only)."""
