"""The host side of execution environments: interpreters, fork-servers, processes, logs."""
