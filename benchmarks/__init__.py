"""Speed and memory comparisons of emcore with the libraries readers would otherwise use.

Run them all with ``python -m benchmarks`` (``make bench``); ``--quick`` uses
small sizes. Nothing here is imported by emcore or its tests.
"""
