"""Shared helpers of the Python scenarios: the client from $KUBECONFIG, a namespace of the scenario's own and checks.

Every scenario is a script run by Navarch.ApiServer.Tests' OfficialClientCompatibilityTests against a real Navarch API
server; it asserts on its own and exits non-zero (with the failed check on stderr) when the server does not behave as
kube-apiserver does for this client.
"""
import os
import sys
import uuid

from kubernetes import client, config
from kubernetes.client.rest import ApiException


def connect():
    """An ApiClient for the cluster of $KUBECONFIG (the admin credentials of the test's server)."""
    config.load_kube_config(config_file=os.environ["KUBECONFIG"])
    return client.ApiClient()


def new_namespace(api, scenario):
    """Creates a namespace of this scenario's own and returns its name."""
    name = "py-%s-%s" % (scenario, uuid.uuid4().hex[:6])
    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def equal(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def fails_with(call, status, reason, message=None):
    """Runs call, which must raise the client's own ApiException with this HTTP status and Status reason (and message)."""
    try:
        call()
    except ApiException as e:
        import json
        equal(e.status, status, "the ApiException's status")
        body = json.loads(e.body)
        equal(body.get("kind"), "Status", "the error body's kind")
        equal(body.get("code"), status, "the Status' code")
        equal(body.get("reason"), reason, "the Status' reason")
        if message is not None:
            equal(body.get("message"), message, "the Status' message")
        return body
    raise AssertionError("expected an ApiException %d %s, the call succeeded" % (status, reason))


def run(main):
    """Runs a scenario, printing what failed on stderr with a non-zero exit code."""
    try:
        main()
    except ApiException as e:
        print("unexpected ApiException %s %s: %s" % (e.status, e.reason, e.body), file=sys.stderr)
        sys.exit(1)
    print("ok")
