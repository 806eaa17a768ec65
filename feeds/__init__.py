"""osce-feeds: Atom and RSS feeds from scrapes of the OSCE news listing."""

__version__ = "0.1.0"
