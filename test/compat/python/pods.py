"""Logs and exec of a running pod (needs a node: run by Navarch.E2E.Tests' OfficialClientPodTests): read_namespaced_pod_log
with tail_lines, and exec over the client's WebSocket stream with stdout, stderr and the exit code."""
import time

from kubernetes import client
from kubernetes.stream import stream

from compat import connect, new_namespace, check, equal, run


def main():
    api = connect()
    core = client.CoreV1Api(api)
    ns = new_namespace(api, "pods")
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="talker"),
        spec=client.V1PodSpec(termination_grace_period_seconds=1, containers=[client.V1Container(
            name="talker", image="busybox:1.35", command=["sh", "-c", "echo hello; echo world; sleep 3600"])])))
    deadline = time.monotonic() + 90
    while core.read_namespaced_pod("talker", ns).status.phase != "Running":
        check(time.monotonic() < deadline, "the pod runs within 90 s")
        time.sleep(0.5)

    logs = ""
    while logs.count("\n") < 2 and time.monotonic() < deadline:
        logs = core.read_namespaced_pod_log("talker", ns)
        time.sleep(0.3)
    equal(logs, "hello\nworld\n", "the pod's log")
    equal(core.read_namespaced_pod_log("talker", ns, tail_lines=1), "world\n", "the log's last line")

    resp = stream(core.connect_get_namespaced_pod_exec, "talker", ns, command=["sh", "-c", "echo out; echo err >&2; exit 3"],
                  stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False)
    resp.run_forever(timeout=30)
    equal(resp.read_stdout(), "out\n", "exec's stdout")
    equal(resp.read_stderr(), "err\n", "exec's stderr")
    equal(resp.returncode, 3, "exec's exit code")

    out = stream(core.connect_get_namespaced_pod_exec, "talker", ns, command=["echo", "plain"], stdout=True, stderr=True, stdin=False, tty=False)
    equal(out, "plain\n", "exec's output, preloaded")
    core.delete_namespaced_pod("talker", ns, grace_period_seconds=0)


run(main)
