"""Reelay runtime library: shipped as a Lambda layer."""
