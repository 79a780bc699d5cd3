"""Small real web sites that browser tests and benchmarks browse through the proxy."""
