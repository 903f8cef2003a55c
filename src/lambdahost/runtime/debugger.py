"""Waiting for a debugger: with ``--debug-port``, an environment listens with debugpy (the
user's, found by the host, as the function's own path does not hold it) and waits in its init
phase until one attaches, so that breakpoints in module code are hit too."""

import os
import sys


def wait_for_debugger(port: int, debugpy_path: "str | None") -> None:
    if debugpy_path and debugpy_path not in sys.path:
        sys.path.append(debugpy_path)
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no warning about frozen modules in the log
    try:
        import debugpy
    except ImportError:
        raise RuntimeError("--debug-port needs debugpy beside lambdahost: pip install debugpy") from None
    finally:
        os.environ.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
    try:
        debugpy.listen(("127.0.0.1", port))
    except Exception as exc:
        raise RuntimeError(
            f"cannot listen for a debugger on 127.0.0.1:{port} ({exc}); one environment at a time can be debugged"
        ) from None
    print(f"lambdahost: waiting for a debugger on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    debugpy.wait_for_client()
