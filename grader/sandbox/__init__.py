"""The trusted side of a worker: start it in a sandbox, talk to it, watch it, end it.

Nothing here runs in the untrusted process: ``spawn`` builds the launcher's command line
and starts the worker, ``isolation`` finds what this host can enforce and plans each
worker's sandbox, ``client`` is the trusted handle that calls the worker and holds every
deadline, ``checkup`` proves the sandbox by attacking it (``grade doctor``). The code that
runs inside the worker process is in ``grader.worker``.
"""
