// Logs and exec of a running pod (needs a node: run by Navarch.E2E.Tests' OfficialClientPodTests): Log with
// tailLines, and Exec over the client's WebSocket with stdout, stderr and the exit code in its status.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { k8s, connect, newNamespace, check, equal, run, sleep } from './compat.mjs';

/** Collects what is written to a stream. */
function collector() {
    const stream = new PassThrough();
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString() };
}

/** The pod's log: Log pipes the response into the stream, which ends with it (2.x calls no done callback). */
async function logs(kc, namespace, options) {
    const out = collector();
    const ended = once(out.stream, 'end');
    await new k8s.Log(kc).log(namespace, 'talker', 'talker', out.stream, options);
    await ended;
    return out.text();
}

run(async () => {
    const kc = connect();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = await newNamespace(kc, 'pods');
    await core.createNamespacedPod({
        namespace,
        body: {
            metadata: { name: 'talker' },
            spec: {
                terminationGracePeriodSeconds: 1,
                containers: [{ name: 'talker', image: 'busybox:1.35', command: ['sh', '-c', 'echo hello; echo world; sleep 3600'] }],
            },
        },
    });
    const deadline = Date.now() + 90_000;
    while ((await core.readNamespacedPod({ name: 'talker', namespace })).status?.phase !== 'Running') {
        check(Date.now() < deadline, 'the pod runs within 90 s');
        await sleep(500);
    }

    let all = '';
    while ((all.match(/\n/g) ?? []).length < 2 && Date.now() < deadline) {
        all = await logs(kc, namespace, {});
        await sleep(300);
    }
    equal(all, 'hello\nworld\n', "the pod's log");
    equal(await logs(kc, namespace, { tailLines: 1 }), 'world\n', "the log's last line");

    const out = collector();
    const err = collector();
    const status = await new Promise((resolve, reject) => {
        new k8s.Exec(kc)
            .exec(namespace, 'talker', 'talker', ['sh', '-c', 'echo out; echo err >&2; exit 3'], out.stream, err.stream, null, false, resolve)
            .catch(reject);
    });
    await sleep(100); // the streams' last writes, delivered before the status, reach the collectors
    equal(out.text(), 'out\n', "exec's stdout");
    equal(err.text(), 'err\n', "exec's stderr");
    equal(status.status, 'Failure', "exec's status");
    equal(status.reason, 'NonZeroExitCode', "exec's reason");
    equal(status.details.causes.find((c) => c.reason === 'ExitCode')?.message, '3', "exec's exit code");

    const ok = await new Promise((resolve, reject) => {
        // At least one stream, as kube-apiserver requires (none is a 400).
        new k8s.Exec(kc).exec(namespace, 'talker', 'talker', ['true'], collector().stream, null, null, false, resolve).catch(reject);
    });
    equal(ok.status, 'Success', 'a zero exit');
    await core.deleteNamespacedPod({ name: 'talker', namespace, gracePeriodSeconds: 0 });
});
