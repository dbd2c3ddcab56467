"""Object detection in plain NumPy: boxes, SSD default boxes, matching and encoding,
non-maximum suppression, and the VOC and COCO evaluation protocols.

Nothing here imports TensorFlow, so reports, exports and tests can score detections
without it; the Keras side (heads, loss) lives in :mod:`bench.models.ssd`.

Box convention everywhere: corners ``(xmin, ymin, xmax, ymax)`` in continuous
coordinates (a box covering pixels 0..9 of a row is ``xmin=0, xmax=10``), so width
is ``xmax - xmin`` and area ``width * height`` as in COCO.  Pascal VOC's 1-based
inclusive pixel boxes are converted on reading (``xmin - 1, ymin - 1, xmax, ymax``),
which keeps the devkit's areas (its ``+ 1``) exactly.
"""
