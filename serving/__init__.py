"""Serving: the `leadscore` command line and the BentoML prediction service."""
