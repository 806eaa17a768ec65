"""Benchmarks of osce-feeds: synthetic seed pages (`generate`), the straightforward
feedgen approach to compare with (`baseline`) and the benchmark table (`run`)."""
