"""The `customer-moment` command line: the composition root and its subcommands."""
