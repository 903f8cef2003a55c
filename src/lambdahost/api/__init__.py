"""HTTP surfaces: the Lambda API (invoke and control plane) and the Runtime API for custom runtimes."""
