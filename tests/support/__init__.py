"""Helpers the tests share: servers in threads and processes, the proxy, the state engine, PostgreSQL."""
