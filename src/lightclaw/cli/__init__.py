"""The ``lightclaw`` command line: thin modules over the library."""
