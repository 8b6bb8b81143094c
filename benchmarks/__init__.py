"""pytest-benchmark workloads comparing backends of the ``ray.util.iter`` API
with each other and with peers (Ray Data, multiprocessing, serial Python)."""
