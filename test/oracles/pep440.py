"""Oracle for the pep440 comparator: packaging.version.Version over a file of hex-encoded pairs."""
import sys
from packaging.version import Version, InvalidVersion


def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


out = []
with open(sys.argv[1]) as f:
    for line in f:
        a, b = (bytes.fromhex(x).decode("utf-8") for x in line.rstrip("\n").split(" "))
        va, vb = parse(a), parse(b)
        if va is None or vb is None:
            out.append("x %d %d" % (va is not None, vb is not None))
        else:
            out.append("%d 1 1" % ((va > vb) - (va < vb)))
sys.stdout.write("\n".join(out) + "\n")
