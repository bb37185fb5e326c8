"""The sameday command line."""
