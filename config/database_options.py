"""Connection options the settings give every PostgreSQL database (primary and replica)."""


def without_jit(databases: dict, keep: bool = False) -> None:
    """Send ``-c jit=off`` on every PostgreSQL connection.

    PostgreSQL's JIT compiler switches on for any statement whose estimated cost passes
    ``jit_above_cost``; at a million rows that is every bounded list count and report
    aggregate, and compiling costs 80-250 ms each for nothing back (bench/README.md, "Lists
    and reports at 1M"). ``keep`` (``FOOTPRINT_DATABASE_JIT=1``) leaves it to the server."""
    if keep:
        return
    for database in databases.values():
        if "postgresql" in database["ENGINE"]:
            options = database.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
