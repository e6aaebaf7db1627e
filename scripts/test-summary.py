#!/usr/bin/env python3
"""Add up meson's test logs into one closing line: N passed, N failed, N skipped."""
import json
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
print("tests: {passed} passed, {failed} failed, {skipped} skipped".format(**counts))
