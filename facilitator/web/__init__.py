"""The thin ring: pages, JSON endpoints and Socket.IO handlers that call the meeting domain."""
