"""Stand-ins for the vendors' organisation APIs, speaking their documented wire formats over a real socket."""
