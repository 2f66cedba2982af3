"""The `rubric` command: one module per subcommand under `rubric_cli.commands`, registered in one table.

It sits on top of the library (`rubric_dsl`) and the service (`rubric_service`); neither imports it.
"""
