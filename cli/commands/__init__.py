"""One module per command (or command group); each defines `register(app)`."""
