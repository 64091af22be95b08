#!/usr/bin/env python3
"""Kernel test runner: a table of named cases that drive the real daemon with
real programs. Each case gets a fresh daemon writing to its own file.

    python3 tests/kernel/run.py               # every case
    python3 tests/kernel/run.py burst seeded  # cases whose name contains a word
"""

import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import test_cli  # noqa: E402
import test_creds  # noqa: E402
import test_exec  # noqa: E402
import test_sinks  # noqa: E402
import test_tls  # noqa: E402

MODULES = [test_exec, test_creds, test_cli, test_tls, test_sinks]


def main(argv):
    cases = [c for m in MODULES for c in m.CASES]
    if argv:
        cases = [c for c in cases if any(w in c.__name__ for w in argv)]
    if os.geteuid() != 0:
        print("kernel tests need root: they load the real probes", file=sys.stderr)
        print("kernel: 0 passed, %d failed" % len(cases))
        return 1
    if not os.access(harness.IDTRACE, os.X_OK):
        print("no %s: run 'make' first" % harness.IDTRACE, file=sys.stderr)
        print("kernel: 0 passed, %d failed" % len(cases))
        return 1
    passed = failed = 0
    for case in cases:
        name = case.__name__
        t0 = time.monotonic()
        d = None
        try:
            if not getattr(case, "no_daemon", False):
                d = harness.Daemon()
                if not getattr(case, "defer_start", False):
                    d.start()
            case(d)
            if d is not None:
                d.stop()
            passed += 1
            print("PASS %-40s %5.1fs" % (name, time.monotonic() - t0), flush=True)
        except Exception as e:  # a failed assertion or a broken case: both fail
            failed += 1
            print("FAIL %-40s %s" % (name, e), flush=True)
            if not isinstance(e, harness.TestFailure):
                traceback.print_exc()
            if d is not None:
                print("     daemon stderr: " + d.stderr_text().strip()[-800:], flush=True)
        finally:
            if d is not None:
                d.kill()
    print("kernel: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
