using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer;

/// <summary>
/// kube-apiserver's loopback client: the server's own control loops (the endpoint reconciler, the identity Lease and its
/// garbage collector) reach it over HTTPS as admin, so their writes take the path every write takes (validation,
/// admission, watch). The client is built again when the admin certificate is renewed; the ones it replaces stay open
/// until the server stops, since a loop may still be using one.
/// </summary>
internal sealed class LoopbackClient(ClusterPki pki, string url) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Kubernetes> _clients = [];
    private X509Certificate2? _certificate;

    /// <summary>A client with the current admin certificate.</summary>
    public Kubernetes Current
    {
        get
        {
            lock (_lock)
            {
                X509Certificate2 admin = pki.Admin;
                if (_clients.Count == 0 || !ReferenceEquals(admin, _certificate))
                {
                    using var kubeconfig = new MemoryStream(Encoding.UTF8.GetBytes(pki.AdminKubeconfig(url)));
                    _clients.Add(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)));
                    _certificate = admin;
                }

                return _clients[^1];
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _clients.ForEach(c => c.Dispose());
            _clients.Clear();
        }
    }
}
