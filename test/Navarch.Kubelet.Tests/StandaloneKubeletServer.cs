using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Pki;
using Navarch.Client.Informers;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Server;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet's HTTPS API alone, on loopback with a serving certificate and client CA from <paramref name="Pki"/> — no
/// containerd, no pods — for the tests of who may use it.
/// </summary>
internal sealed record StandaloneKubeletServer(KubeletServer Server, KubeletOptions Options) : IAsyncDisposable
{
    /// <summary>
    /// Starts the server; with <paramref name="client"/>, requests are authorized through its API server. The kubelet
    /// serves on the port of its options (it reports that one to the API server, so it cannot bind 0): picked free, and
    /// picked again if another process takes it first.
    /// </summary>
    public static async Task<StandaloneKubeletServer> StartAsync(ClusterPki pki, string dataDir, IRuntimeService runtime, IKubernetes? client = null)
    {
        KubeletOptions options = null!;
        KubeletServer server = await PortRetry.StartAsync(
            async () =>
            {
                options = new KubeletOptions
                {
                    NodeName = "n1",
                    DataDir = dataDir,
                    KubeletPort = FreePort.Next(),
                    KubeletBindAddress = IPAddress.Loopback,
                    ServingCertificate = pki.IssueServing("n1", ["n1"], [IPAddress.Loopback]),
                    ClientCa = pki.Ca,
                };
                var started = new KubeletServer(options, runtime, new Indexer<V1Pod>(), NullLoggerFactory.Instance, client: client);
                try
                {
                    await started.StartAsync(CancellationToken.None);
                    return started;
                }
                catch
                {
                    await started.DisposeAsync();
                    throw;
                }
            },
            e => e is IOException && PortRetry.SaysAddressInUse(e.Message));
        return new StandaloneKubeletServer(server, options);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
