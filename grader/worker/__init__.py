"""The untrusted side (``harness``, ``helpers``) and how the trusted side drives it
(``launch``, ``client``). Only ``harness`` and ``helpers`` ever run in a worker."""
