// Shared helpers of the JavaScript scenarios: the client from $KUBECONFIG, a namespace of the scenario's own and
// checks. Every scenario is a script run by Navarch.ApiServer.Tests' OfficialClientCompatibilityTests against a real
// Navarch API server; it asserts on its own and exits non-zero (the failed check on stderr) when the server does not
// behave as kube-apiserver does for this client.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual, inspect } from 'node:util';
import * as k8s from '@kubernetes/client-node';

export { k8s };

/** The KubeConfig of $KUBECONFIG (the admin credentials of the test's server). */
export function connect() {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(process.env.KUBECONFIG);
    return kc;
}

/** Creates a namespace of this scenario's own and returns its name. */
export async function newNamespace(kc, scenario) {
    const name = `js-${scenario}-${randomBytes(3).toString('hex')}`;
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
    return name;
}

export function check(condition, what) {
    if (!condition) {
        throw new Error(`check failed: ${what}`);
    }
}

export function equal(actual, expected, what) {
    if (!isDeepStrictEqual(actual, expected)) {
        throw new Error(`${what}: expected ${inspect(expected, { depth: 8 })}, got ${inspect(actual, { depth: 8 })}`);
    }
}

/** Awaits call, which must reject with the client's own ApiException with this code and Status reason (and message). */
export async function failsWith(call, code, reason, message) {
    try {
        await call();
    } catch (e) {
        if (!(e instanceof k8s.ApiException)) {
            throw new Error(`expected an ApiException ${code} ${reason}, got ${inspect(e)}`);
        }
        equal(e.code, code, "the ApiException's code");
        const status = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
        equal(status.kind, 'Status', "the error body's kind");
        equal(status.code, code, "the Status' code");
        equal(status.reason, reason, "the Status' reason");
        if (message !== undefined) {
            equal(status.message, message, "the Status' message");
        }
        return status;
    }
    throw new Error(`expected an ApiException ${code} ${reason}, the call succeeded`);
}

/** Content-Type options for a patch of this strategy (the generated client's default is a JSON patch). */
export const patchAs = (strategy) => k8s.setHeaderOptions('Content-Type', strategy);

/** Runs a scenario: "ok" on success, the failure on stderr and exit code 1 otherwise. */
export function run(main) {
    // Node ends a program whose pending promises wait on nothing with exit code 0: that is a failure here.
    process.on('beforeExit', () => {
        console.error('the scenario stopped with a promise that never settled');
        process.exit(1);
    });
    main().then(
        () => {
            console.log('ok');
            process.exit(0);
        },
        (e) => {
            console.error(e instanceof k8s.ApiException ? `unexpected ApiException ${e.code}: ${inspect(e.body)}` : e);
            process.exit(1);
        },
    );
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
