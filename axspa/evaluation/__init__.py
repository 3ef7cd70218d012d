"""Torch-free measures the families share: stats (kappa, ICC, Bland–Altman), overlap (Dice, HD95), their figures."""
