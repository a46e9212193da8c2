"""The built-in node catalog, one module per planning domain."""
