"""Code that runs inside an execution environment.

Everything in this package imports only the standard library: the user's code must see nothing
but itself, its layers and the interpreter's site-packages, as on AWS Lambda. The host loads this
package into each interpreter's fork-server under its own name (see ``sandbox/forkserver.py``).
"""

# Loads this package, from the folder given as ``sys.argv[1]``, under a name of its own and without
# the host package (which that interpreter may not even have): how a fork-server starts, and how
# an interpreter a wrapper script (AWS_LAMBDA_EXEC_WRAPPER) runs finds the runtime again.
LOAD = """
import importlib.util, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("lambdahost_runtime", path + "/__init__.py",
                                              submodule_search_locations=[path])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
from lambdahost_runtime import forkserver
"""
