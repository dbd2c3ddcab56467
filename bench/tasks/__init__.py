"""Tasks: what a dataset's targets are, how a model is trained on them and how its
predictions become a run's metrics.  Each module here is one task; it registers its
metrics in :mod:`bench.metrics` when imported and never imports TensorFlow at import time.
"""
