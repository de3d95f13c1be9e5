"""The meeting domain: plain Python, no Flask, no sockets, no storage."""
