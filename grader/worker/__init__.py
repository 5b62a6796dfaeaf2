"""The untrusted side: the code that runs inside a worker process, beside the student's.

``launcher`` applies the sandbox and ``exec``s the worker; ``harness`` is the worker's
loop (it imports the student's modules and answers calls); ``helpers`` are grader
functions run there on the student's behalf. Nothing here decides a score: the trusted
side (``grader.sandbox``, the tests) checks everything that comes back.
"""
