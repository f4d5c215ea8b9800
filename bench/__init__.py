"""Benchmarks. Each ``bench_*.py`` module has a ``main()`` that prints ratios and rates."""
