"""HTTP edges shared by the API handlers: the one error shape and request context helpers."""
