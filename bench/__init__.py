"""The side-by-side benchmark of jobs-mock against Prism (``make bench``, ``python -m bench``)."""
