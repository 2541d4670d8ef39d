"""Does a fresh clone build the same Lambda layer twice, from the lock and nothing else?

Clones HEAD into a temporary directory, runs `sam build ReelayLayer` there twice (each build
with its own empty pip cache, so every wheel is downloaded anew), and compares the two layers
file by file (SHA-256), bytecode included. It then downloads the lock's wheels for the Lambda
runtime (CPython 3.12, manylinux aarch64) with `pip download --require-hashes`, so pip checks
every wheel against the lock's hashes, and checks the built layer holds exactly those wheels'
files beside Reelay's own package: no package the lock does not pin, no version it does not
name, no byte the hashes do not cover. Last, the bytecode (layers/reelay/Makefile compiles it
in): every source in the layer has its .pyc and every .pyc its source, each for this Python's
bytecode format and compiled from exactly the shipped source (the hash in its header); and
Reelay's package in the layer is the clone's, file for file.

    make layer-check        # or: python3.12 tools/layer_build.py --sam .sam-venv/bin/sam

Runs under python3.12, the runtime's Python, whose bytecode format the layer ships (`make
layer-check` finds pyenv's). Exits non-zero when anything differs; prints the wheel set and
the layer's digest.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYER = "ReelayLayer"
LOCK = Path("layers/reelay/requirements.txt")
# The layer's own source ships beside the wheels; everything else in python/ comes from the lock,
# or is the bytecode compiled from either.
OWN_FILES = ("reelay/",)
BYTECODE = f"{sys.implementation.cache_tag}.pyc"  # e.g. cpython-312.pyc
# A .pyc header: magic, flags, then (hash-based) the source's hash. Flags 0b01 are "hash-based,
# not checked against the source": valid whatever timestamps the zip gives the sources.
UNCHECKED_HASH = 0b01


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")


def file_digests(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root`, by its path relative to `root`."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manifest_digest(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{p}\0{h}\n" for p, h in sorted(files.items())).encode()).hexdigest()


def wheel_set(files: dict[str, str]) -> list[str]:
    """name==version of every distribution installed in a layer (from its .dist-info folder)."""
    found = {path.split("/", 1)[0] for path in files if path.split("/", 1)[0].endswith(".dist-info")}
    return sorted(name.removesuffix(".dist-info").replace("-", "==", 1) for name in found)


def build_layer(sam: str, clone: Path, build_dir: Path, pip_cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "PIP_CACHE_DIR": str(pip_cache),
    }
    started = time.perf_counter()
    run([sam, "build", LAYER, "--build-dir", str(build_dir)], cwd=clone, env=env)
    print(f"  sam build {LAYER} -> {build_dir.name}: {time.perf_counter() - started:.1f} s")
    return file_digests(build_dir / LAYER / "python")


def from_wheels(files: dict[str, str]) -> dict[str, str]:
    """The layer's files that should be the lock's wheels': not Reelay's own, not bytecode."""
    return {
        path: digest
        for path, digest in files.items()
        if not path.startswith(OWN_FILES) and "/__pycache__/" not in f"/{path}"
    }


def bytecode_problems(site: Path) -> list[str]:
    """Every source has its bytecode, every .pyc its source, each compiled from that source."""
    problems: list[str] = []
    # A wheel's other data (`*.data/`, scripts) is shipped as it is and never imported or compiled.
    sources = {
        path
        for path in site.rglob("*.py")
        if path.is_file() and not any(part.endswith(".data") for part in path.relative_to(site).parts)
    }
    compiled = {path for path in site.rglob("*.pyc") if path.is_file()}
    for source in sorted(sources):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{BYTECODE}"
        if pyc not in compiled:
            problems.append(f"no bytecode for {source.relative_to(site)}")
            continue
        header = pyc.read_bytes()[:16]
        if header[:4] != importlib.util.MAGIC_NUMBER:
            problems.append(f"not this Python's bytecode: {pyc.relative_to(site)}")
        elif int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            problems.append(f"not unchecked-hash bytecode: {pyc.relative_to(site)}")
        elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
            problems.append(f"bytecode not compiled from the shipped source: {pyc.relative_to(site)}")
    for pyc in sorted(compiled):
        source = pyc.parent.parent / f"{pyc.name.split('.', 1)[0]}.py"
        if pyc.parent.name != "__pycache__" or source not in sources or not pyc.name.endswith(BYTECODE):
            problems.append(f"bytecode with no shipped source: {pyc.relative_to(site)}")
    return problems


def own_problems(site: Path, clone: Path) -> list[str]:
    """Reelay's package in the layer is the clone's, file for file (bytecode aside)."""

    def sources(root: Path) -> dict[str, str]:
        return {path: digest for path, digest in file_digests(root).items() if "__pycache__/" not in path}

    return differences(sources(site / "reelay"), sources(clone / "layers" / "reelay" / "reelay"))


def layer_platforms(clone: Path) -> list[str]:
    """The platforms the layer's Makefile asks pip for."""
    done = subprocess.run(  # noqa: S603
        ["make", "-s", "-C", str(clone / "layers" / "reelay"), "platforms"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def locked_wheel_files(clone: Path, dest: Path) -> dict[str, str]:
    """The files of the lock's arm64 wheels, as a wheel installer (the layer's Makefile) lays them out."""
    platforms = [arg for platform in layer_platforms(clone) for arg in ("--platform", platform)]
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--require-hashes", "--no-deps"]
    target = ["--implementation", "cp", "--python-version", "3.12", "--abi", "cp312"]
    where = ["--no-cache-dir", "--dest", str(dest), "-r", str(clone / LOCK)]
    run([*pip, "--only-binary=:all:", *platforms, *target, *where], cwd=clone)
    files: dict[str, str] = {}
    for wheel in sorted(dest.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                # A wheel's purelib/platlib data go to the layer's top level, as a Lambda site dir.
                head, _, rest = name.partition("/")
                if head.endswith(".data") and rest.startswith(("purelib/", "platlib/")):
                    name = rest.split("/", 1)[1]
                files[name] = hashlib.sha256(archive.read(info)).hexdigest()
    return files


def differences(left: dict[str, str], right: dict[str, str]) -> list[str]:
    lines = [f"only in the first: {p}" for p in sorted(left.keys() - right.keys())]
    lines += [f"only in the second: {p}" for p in sorted(right.keys() - left.keys())]
    lines += [f"differs: {p}" for p in sorted(left.keys() & right.keys()) if left[p] != right[p]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sam", default=str(REPO / ".sam-venv" / "bin" / "sam"), help="the sam command")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if sys.version_info[:2] != (3, 12):
        parser.error("run this with python3.12, the runtime's Python (`make layer-check` does)")
    sam = shutil.which(args.sam)
    if sam is None:
        parser.error(f"no sam at {args.sam}: run `make layer-check`, which installs it")
    sam = str(Path(sam).resolve())

    work = Path(tempfile.mkdtemp(prefix="reelay-layer-"))
    try:
        clone = work / "clone"
        run(["git", "clone", "--quiet", "--no-local", str(REPO), str(clone)], cwd=work)
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"fresh clone of {head}; building {LAYER} twice from {LOCK}")
        first = build_layer(sam, clone, work / "build-1", work / "pip-cache-1")
        second = build_layer(sam, clone, work / "build-2", work / "pip-cache-2")
        locked = locked_wheel_files(clone, work / "locked-wheels")

        wheels = wheel_set(first)
        pycs = sum(path.endswith(".pyc") for path in first)
        print(f"wheel set ({len(wheels)}): {', '.join(wheels)}")
        print(f"build 1: {len(first)} files ({pycs} .pyc), sha256 of the manifest {manifest_digest(first)}")
        print(f"build 2: {len(second)} files, sha256 of the manifest {manifest_digest(second)}")
        print(f"lock's hash-checked arm64 wheels: {len(locked)} files, {manifest_digest(locked)}")
        failures = [f"build 1 vs build 2: {line}" for line in differences(first, second)]
        failures += [
            f"build 1 vs the lock's wheels: {line}" for line in differences(from_wheels(first), locked)
        ]
        site = work / "build-1" / LAYER / "python"
        failures += [f"build 1: {line}" for line in bytecode_problems(site)]
        failures += [f"build 1's Reelay package vs the clone's: {line}" for line in own_problems(site, clone)]
        # The layer's compile would overwrite a wheel's own bytecode, where the comparison above
        # (bytecode aside) could not see it.
        shipped_bytecode = sorted(path for path in locked if "__pycache__/" in path)
        failures += [f"a locked wheel ships bytecode: {path}" for path in shipped_bytecode]
        for line in failures[:40]:
            print(line)
        same = "the same, with all their bytecode" if not failures else "NOT the same"
        print(f"result: both builds and the lock's wheels are {same} ({len(failures)} differences)")
        return 1 if failures else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
