"""Offline sync for mobile clients: a batch of reviews made offline (services.py) and everything a device
needs to keep an offline copy, from a cursor (selectors.py). Mounted under ``/api/v1/sync/``."""
