"""Relational databases (PostgreSQL, MySQL/MariaDB, SQLite) read by one crawler.

`crawler.SqlSource` lists tables, samples rows within budgets, turns typed cells into values the
extractors read, fingerprints tables and survives dropped connections; each engine's module
supplies only its dialect hooks (catalogue queries, sampling, read-only session, posture).
"""
