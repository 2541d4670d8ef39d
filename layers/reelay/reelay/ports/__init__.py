"""What logic needs from storage and from other services, as Protocols and the errors they raise.

`dal/` and `clients/` implement these; logic types against them only, so a test can hand
logic an in-memory fake and a reader sees the whole surface logic relies on in one folder.
"""
