"""relsynth: synthetic copies of relational databases, every key and constraint intact."""

__version__ = "0.1.0"

from relsynth.errors import RelsynthError  # noqa: E402

__all__ = ["RelsynthError", "Synthesizer", "clone", "mask", "__version__"]


def __getattr__(name: str):
    # Imported on first use so `import relsynth` (and the CLI's --help) stays fast.
    if name == "Synthesizer":
        from relsynth.synthesizer import Synthesizer
        return Synthesizer
    if name in ("clone", "mask"):
        from relsynth import api
        return getattr(api, name)
    raise AttributeError(name)
