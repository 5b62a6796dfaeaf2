"""grade: exercises and a forge-proof autograder for "NLP with RNNs and Attention".

The score is decided in a trusted process that never imports student code; student
code runs only in an untrusted worker subprocess that sends back plain data.
"""

__version__ = "0.1.0"
