"""Independent OSV evaluation for the scan test: which records affect a package version.

Reads JSON on stdin: {"dirs": [DIR...], "queries": [{"ecosystem", "name", "version", "scheme"}]}
(scheme "pypi": packaging.version.Version; "semver": SemVer 2.0 precedence; optional "goos" /
"goarch": govulncheck's module-level platform rule on `ecosystem_specific.imports`) and prints, per
query, [id, fix] pairs (sorted by id) of the records whose `affected` entry for that package
contains the version (`fix`: the `fixed` event ending the interval that holds it, or null),
following the OSV schema's evaluation: each ECOSYSTEM / SEMVER range's events walked in version
order (introduced -> affected, fixed / last_affected -> not), then the `versions` list.
GIT ranges are ignored (no commit to compare); withdrawn records never count.
"""
import json
import os
import re
import sys

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(v):
    m = SEMVER.match(v)
    if not m:
        raise ValueError(f"not semver: {v}")
    pre = m.group(4)
    # A release sorts after all its pre-releases; identifiers: numeric < alphanumeric.
    pre_key = (1,) if pre is None else (0, *[(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")])
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key)


def parser(scheme):
    if scheme == "pypi":
        return Version
    if scheme == "semver":
        return semver_key
    raise ValueError(scheme)


def in_range(events, target, parse):
    def key(e):
        (kind, v), = ((k, e[k]) for k in ("introduced", "fixed", "last_affected", "limit") if k in e)
        return (0,) if v == "0" else (1, parse(v))

    try:
        ordered = sorted(events, key=key)
    except (InvalidVersion, ValueError):
        return None  # a range this scheme cannot order decides nothing
    affected = False
    t = (1, target)
    for e in ordered:
        if "introduced" in e and t >= key(e):
            affected = True
        elif "fixed" in e and t >= key(e):
            affected = False
        elif "last_affected" in e and t > key(e):
            affected = False
    if not affected:
        return None
    later_fixes = [e["fixed"] for e in ordered if "fixed" in e and t < key(e)]
    return {"fix": later_fixes[0] if later_fixes else None}


def on_platform(a, q):
    """An entry whose imports all name other GOOS/GOARCH is not in the binary (govulncheck)."""
    imports = (a.get("ecosystem_specific") or {}).get("imports") or []
    if not imports:
        return True

    def ok(ours, listed):
        return not ours or not listed or ours in listed

    return any(ok(q.get("goos"), i.get("goos")) and ok(q.get("goarch"), i.get("goarch")) for i in imports)


def affects(record, q):
    """None when not affected, else {"fix": version or None}."""
    if record.get("withdrawn"):
        return None
    parse = parser(q["scheme"])
    target = parse(q["version"])
    norm = canonicalize_name if q["ecosystem"] == "PyPI" else (lambda s: s)
    for a in record.get("affected", []):
        pkg = a.get("package", {})
        if pkg.get("ecosystem") != q["ecosystem"] or norm(pkg.get("name", "")) != norm(q["name"]):
            continue
        if not on_platform(a, q):
            continue
        for r in a.get("ranges", []):
            hit = in_range(r.get("events", []), target, parse) if r.get("type") in ("ECOSYSTEM", "SEMVER") else None
            if hit:
                return hit
        for v in a.get("versions", []):
            try:
                if parse(v) == target:
                    return {"fix": None}
            except (InvalidVersion, ValueError):
                pass
    return None


def main():
    req = json.load(sys.stdin)
    records = []
    for d in req["dirs"]:
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                with open(os.path.join(d, name), encoding="utf-8") as f:
                    records.append(json.load(f))
    out = []
    for q in req["queries"]:
        hits = ((r["id"], affects(r, q)) for r in records)
        out.append(sorted([i, h["fix"]] for i, h in hits if h is not None))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
