"""Command-line entry points. ``pointrecon <command> [args]`` dispatches to the modules below."""
