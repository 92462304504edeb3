"""Console panel: invocation logs with level, time, filter and clear."""
