"""leadflow's data side. Today it holds the ``leadflow`` command line (``matching.cli``)
and its demo; the record store, normalisation, matching and dedupe arrive here next."""

__all__: list[str] = []
