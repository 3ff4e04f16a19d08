"""Built-in scenarios (YAML files shipped with the package)."""
