"""Pieces of the demo-model factory (scripts/make-demo-models.py): IDX files, views, encoders, training, measurements."""
