#!/usr/bin/env python3
# The benchmarks' reference: QEMU driven directly over QMP, no broker.
#   qemu-direct.py migrate DIR GUEST QBOOT MEM_MIB KNOBS
#       two QEMUs, the first migrating to the second over a unix socket
#   qemu-direct.py save DIR GUEST QBOOT MEM_MIB KNOBS FILE
#       one QEMU, its vCPUs stopped, migrating to FILE (QEMU's own
#       "exec:cat > FILE", which is how a save without a broker is done);
#       its time includes the fsync that puts FILE on disk
# Prints {"statistics": {"total_time_ms", "downtime_ms", "ram_transferred"}}.
import json, os, shlex, socket, subprocess, sys, time

mode, d, guest, qboot, mem, knobs = sys.argv[1:7]


def qemu(name, extra):
    argv = ["qemu-system-x86_64", "-accel", "kvm", "-accel", "tcg", "-machine", "pc",
            "-m", mem, "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
            "-kernel", guest, "-append", knobs, "-serial", "file:%s/%s.serial" % (d, name),
            "-qmp", "unix:%s/%s.qmp,server=on,wait=off" % (d, name)] + extra
    if os.path.exists(qboot):
        argv += ["-bios", qboot]
    return subprocess.Popen(argv)


def qmp(name):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect("%s/%s.qmp" % (d, name))
            break
        except OSError:
            time.sleep(0.05)
    f = s.makefile("rw")
    f.readline()

    def cmd(c, **a):
        f.write(json.dumps({"execute": c, "arguments": a}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r
    cmd("qmp_capabilities")
    return cmd


def wait_migrated(q):
    while True:
        r = q("query-migrate")["return"]
        if r.get("status") == "completed" and "total-time" in r and "downtime" in r:
            return r
        if r.get("status") in ("failed", "cancelled"):
            sys.exit("direct migration " + r["status"])
        time.sleep(0.05)


procs = [qemu("src", [])]
try:
    sq = qmp("src")
    while "heartbeat" not in open("%s/src.serial" % d, errors="replace").read():
        time.sleep(0.1)
    sq("migrate-set-parameters", **{"max-bandwidth": 1 << 40})
    if mode == "save":
        sq("stop")
        sq("migrate", uri="exec:cat > " + shlex.quote(sys.argv[7]))
    else:
        procs.append(qemu("dst", ["-incoming", "unix:%s/mig.sock" % d]))
        qmp("dst")
        sq("migrate", uri="unix:%s/mig.sock" % d)
    r = wait_migrated(sq)
    total = r["total-time"]
    if mode == "save":
        # On disk, as ferry's save is when it answers: the fsync counts too.
        t = time.monotonic()
        fd = os.open(sys.argv[7], os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        total += int((time.monotonic() - t) * 1000)
    print(json.dumps({"statistics": {"total_time_ms": total, "downtime_ms": r["downtime"],
                                     "ram_transferred": r["ram"]["transferred"]}}))
finally:
    for p in procs:
        p.kill()
        p.wait()
