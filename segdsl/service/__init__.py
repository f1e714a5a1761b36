"""The application service under the command line and the Python API."""
