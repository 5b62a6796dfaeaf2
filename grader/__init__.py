"""grade: exercises and a forge-proof autograder for "NLP with RNNs and Attention".

The score is decided in a trusted process that never imports student code; student
code runs only in an untrusted worker subprocess that sends back plain data.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext grader`` in Jupyter or Colab: registers ``%grade`` (``grader.magic``).
    Imported here, when a kernel asks, so that the grader never needs IPython otherwise."""
    from grader.magic import GradeMagics

    ipython.register_magics(GradeMagics)
