"""leadflow's data side: normalisation, matching, dedupe, the record store and the CLI."""

__all__: list[str] = []
