"""Identifying and near-unique columns: learn a column's *format*, never its values.

``relsynth.privacy.fakes`` turns a sample of a real column into a small JSON-able format
(null share, shape templates, length quantiles, case and style shares) that holds no real
value, and generates any number of new values in that format: realistic e-mails on
reserved example domains, person names from Faker pools, phones and postcodes with the
source's digit pattern, street lines, cities, codes like ``SKU-48213``, free text, UUIDs,
small JSON objects, random bytes, and fresh string primary keys (``INV-000001`` ...).
"""
