"""Training shared by the families (torch only): seeded loop with checkpoints and progress, bundle export."""
