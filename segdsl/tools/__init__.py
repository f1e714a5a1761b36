"""Features built on the IR and the engines: tests, explain, stats, diff."""
