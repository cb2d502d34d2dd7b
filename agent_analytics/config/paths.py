"""Where agent-analytics keeps its data on this machine: one folder, a subfolder per component.

`up` runs the collector and exporter with `<data dir>/collector` and `<data dir>/exporter`,
the same folders they use when run on their own.
"""

from pathlib import Path

import platformdirs

APP = "agent-analytics"


def data_home() -> Path:
    """The user data folder, e.g. ~/.local/share/agent-analytics."""
    return Path(platformdirs.user_data_dir(APP))
