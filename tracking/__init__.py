"""Live tracking: position pings, stop events, ETAs and projected lateness."""
