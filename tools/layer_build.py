"""Does a fresh clone build the same Lambda layer twice, from the lock and nothing else?

Clones HEAD into a temporary directory, runs `sam build ReelayLayer` there twice (each build
with its own empty pip cache, so every wheel is downloaded anew), and compares the two layers
file by file (SHA-256). It then downloads the lock's wheels for the Lambda runtime (CPython
3.12, manylinux aarch64) with `pip download --require-hashes`, so pip checks every wheel
against the lock's hashes, and checks the built layer holds exactly those wheels' files: no
package the lock does not pin, no version it does not name, no byte the hashes do not cover.

    make layer-check        # or: python tools/layer_build.py --sam .sam-venv/bin/sam

`sam build` for python3.12 needs a python3.12 on PATH (`make layer-check` finds pyenv's).
Exits non-zero when anything differs; prints the wheel set and the layer's digest.
"""

from __future__ import annotations

import argparse
import hashlib
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
# The layer's own source ships beside the wheels; everything else in python/ comes from the lock.
OWN_FILES = ("reelay/", "requirements.in", "requirements.txt")
# What `sam build` asks pip for on arm64 with python3.12 (aws-lambda-builders' platforms).
PLATFORMS = (
    "manylinux2014_aarch64",
    "manylinux_2_17_aarch64",
    "manylinux_2_28_aarch64",
    "manylinux_2_34_aarch64",
)


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
    files = file_digests(build_dir / LAYER / "python")
    return {path: digest for path, digest in files.items() if not path.startswith(OWN_FILES)}


def locked_wheel_files(clone: Path, dest: Path) -> dict[str, str]:
    """The files of the lock's arm64 wheels, as aws-lambda-builders lays them out in a layer."""
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
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
        print(f"wheel set ({len(wheels)}): {', '.join(wheels)}")
        print(f"build 1: {len(first)} files, sha256 of the manifest {manifest_digest(first)}")
        print(f"build 2: {len(second)} files, sha256 of the manifest {manifest_digest(second)}")
        print(f"lock's hash-checked arm64 wheels: {len(locked)} files, {manifest_digest(locked)}")
        failures = [f"build 1 vs build 2: {line}" for line in differences(first, second)]
        failures += [f"build 1 vs the lock's wheels: {line}" for line in differences(first, locked)]
        for line in failures[:40]:
            print(line)
        same = "the same" if not failures else "NOT the same"
        print(f"result: both builds and the lock's wheels are {same} ({len(failures)} differences)")
        return 1 if failures else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
