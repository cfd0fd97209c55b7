"""Benchmarks of qv: speed and scale, measured as ratios within one run (`make bench`)."""
