"""Static multilingual product catalogue generator."""

__version__ = "0.1.0"
