"""Benchmarks that print their figures; run one as ``python -m bench.NAME`` from the repository
folder, so the checkout's ``app``, ``server`` and ``tools`` are the ones measured."""
