"""The errors a person can act on. The command line prints their message as one line on stderr
and exits with their code: 2 for a mistake in the command or a config file, 1 for a failure
while running (a busy port, a server that did not come up)."""


class UserError(Exception):
    """A usage or configuration mistake; the message says what is wrong and what to do."""

    exit_code = 2


class ConfigError(UserError, ValueError):
    """A config file (or a flag standing in for one of its keys) is not valid."""


class RuntimeFailure(UserError, RuntimeError):
    """Something the command needs did not work (a port, a server, a lock)."""

    exit_code = 1
