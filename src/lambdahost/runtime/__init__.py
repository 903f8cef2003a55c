"""Code that runs inside an execution environment.

Everything in this package imports only the standard library: the user's code must see nothing
but itself, its layers and the interpreter's site-packages, as on AWS Lambda. The host loads this
package into each interpreter's fork-server under its own name (see ``sandbox/forkserver.py``).
"""
