"""Plays the third parties Reelay talks to: strict local stand-ins with fault knobs.

`creatify` is the service Reelay calls; `shop` is the merchant's store (Shopify or WooCommerce)
that calls Reelay with product webhooks.
"""
