using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Api.Certificates;
using Navarch.Client.Certificates;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// A kubelet's client and serving certificates kept by <see cref="CertificateManager"/> through the CSR API, against a
/// real API server and the csrapproving/csrsigning controllers on a fake clock: the first certificate is requested at
/// once, auto-approved for the node and signed by the cluster CA; the next is requested once the clock passes the
/// rotation deadline (70–90% of the lifetime) and not before; the pair on disk and the Changed hook follow.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateManagerTests : IAsyncLifetime
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-certmanager-");
    private ApiServerHost _host = null!;
    private Task _manager = Task.CompletedTask;
    private Kubernetes _node = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        var options = new ControllerManagerOptions { ClusterSigningCertificate = _host.Server.Pki.Ca, ClusterSigningDuration = Lifetime };
        _manager = new ControllerManager(_host.Client, NullLoggerFactory.Instance, _time, options).RunAsync(_stop.Token);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(_host.Server.ClientKubeconfig("system:node:n1", "system:nodes")));
        _node = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _manager;
        _node.Dispose();
        await _host.DisposeAsync();
        _stop.Dispose();
        _dir.Delete(recursive: true);
    }

    private CertificateManager Manager(string name, string signer, string[] usages, Func<X509Certificate2, CancellationToken, Task>? changed = null, Func<(IReadOnlyList<string>, IReadOnlyList<IPAddress>)>? sans = null) =>
        new(_node, new CertificateManagerOptions
        {
            Directory = _dir.FullName,
            Name = name,
            SignerName = signer,
            Usages = usages,
            Subject = "CN=system:node:n1, O=system:nodes",
            SubjectAlternativeNames = sans,
            Changed = changed,
        }, _time, NullLogger.Instance);

    [Fact]
    public async Task TheClientCertificateIsIssuedAtOnceAndRotatedAtItsDeadline()
    {
        var stored = new List<string>();
        await using CertificateManager manager = Manager("client-kubelet", Signers.KubeApiServerClientKubelet, ["digital signature", "client auth"], (cert, _) =>
        {
            lock (stored)
            {
                stored.Add(cert.Thumbprint);
            }

            return Task.CompletedTask;
        });
        Assert.Null(manager.Current);
        manager.Start();

        // The fake clock creeps on while waiting: a request that failed under load is retried after RetryAfter on that
        // clock (seconds against a rotation deadline weeks away).
        X509Certificate2 first = await Polling.Eventually(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                return Task.FromResult(manager.Current);
            },
            c => c is not null,
            "the first client certificate is issued",
            TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException();
        Assert.Equal("CN=system:node:n1, O=system:nodes", first.Subject);
        Assert.True(first.HasPrivateKey);
        Assert.True(KeyUsages.Carries(first, KeyUsages.ClientAuthOid) && !KeyUsages.Carries(first, KeyUsages.ServerAuthOid));
        Assert.True(CertificateChains.Verify(first, _host.Server.Pki.Ca, CertificateChains.ClientAuth, _time.GetUtcNow()));
        using (X509Certificate2 onDisk = X509Certificate2.CreateFromPemFile(Path.Combine(_dir.FullName, "client-kubelet.crt"), Path.Combine(_dir.FullName, "client-kubelet.key")))
        {
            Assert.Equal(first.Thumbprint, onDisk.Thumbprint);
        }

        DateTimeOffset deadline = manager.RotationDeadline(first);
        DateTimeOffset notBefore = new(first.NotBefore.ToUniversalTime());
        Assert.InRange(deadline, notBefore + (Lifetime * 0.7), notBefore + (Lifetime * 0.9) + CertificateIssuer.Backdate);

        // Before the 70% point nothing is asked for (issued requests are cleaned up an hour on, so the hook counts).
        _time.Advance(TimeSpan.FromDays(20));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Same(first, manager.Current);
        lock (stored)
        {
            Assert.Equal([first.Thumbprint], stored);
        }

        // Past the 90% point the certificate is renewed, once.
        _time.Advance(TimeSpan.FromDays(8));
        X509Certificate2 second = await Polling.Eventually(() => Task.FromResult(manager.Current!), c => c.Thumbprint != first.Thumbprint, "the client certificate is rotated", TimeSpan.FromSeconds(30));
        Assert.Equal(_time.GetUtcNow() + Lifetime, new DateTimeOffset(second.NotAfter.ToUniversalTime()), TimeSpan.FromMinutes(1));
        Assert.Equal([first.Thumbprint, second.Thumbprint], stored);
        using X509Certificate2 rotatedOnDisk = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir.FullName, "client-kubelet.crt"));
        Assert.Equal(second.Thumbprint, rotatedOnDisk.Thumbprint);

        // A new manager over the same files starts from the stored certificate and asks for nothing.
        await using CertificateManager restarted = Manager("client-kubelet", Signers.KubeApiServerClientKubelet, ["digital signature", "client auth"]);
        Assert.Equal(second.Thumbprint, restarted.Current?.Thumbprint);
    }

    [Fact]
    public async Task TheServingCertificateCarriesTheNodesAddresses()
    {
        await _host.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        await _host.Client.CoreV1.PatchNodeStatusAsync(
            new V1Patch("""{"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.5"},{"type":"Hostname","address":"host-1"}]}}""", V1Patch.PatchType.MergePatch), "n1");
        await using CertificateManager manager = Manager("serving-kubelet", Signers.KubeletServing, ["digital signature", "server auth"],
            sans: () => (["n1", "host-1"], [IPAddress.Parse("10.0.0.5")]));

        X509Certificate2 serving = await manager.RotateAsync(CancellationToken.None);
        Assert.True(KeyUsages.Carries(serving, KeyUsages.ServerAuthOid) && !KeyUsages.Carries(serving, KeyUsages.ClientAuthOid));
        X509SubjectAlternativeNameExtension sans = serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["n1", "host-1"], sans.EnumerateDnsNames().Order(StringComparer.Ordinal).Reverse());
        Assert.Equal([IPAddress.Parse("10.0.0.5")], sans.EnumerateIPAddresses());
        Assert.Same(serving, manager.Current);
    }

    [Fact]
    public async Task ADeniedRequestIsReported()
    {
        // No Node n1: the serving request is never approved; deny it as an admin would.
        await using CertificateManager manager = Manager("serving-kubelet", Signers.KubeletServing, ["digital signature", "server auth"], sans: () => (["n1"], []));
        Task<X509Certificate2> rotation = manager.RotateAsync(CancellationToken.None);
        V1CertificateSigningRequest pending = await Polling.Eventually(
            async () => (await _host.Client.CertificatesV1.ListCertificateSigningRequestAsync()).Items.FirstOrDefault(c => c.Spec.SignerName == Signers.KubeletServing)!, c => c is not null, "the request is made");
        pending.Status ??= new V1CertificateSigningRequestStatus();
        pending.Status.Conditions = [new V1CertificateSigningRequestCondition { Type = CsrConditions.Denied, Status = "True", Reason = "NotOurs", Message = "not this node" }];
        await _host.Client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(pending, pending.Metadata.Name);

        CertificateRequestException denied = await Assert.ThrowsAsync<CertificateRequestException>(() => rotation);
        Assert.Equal($"certificate signing request {pending.Metadata.Name} is Denied: NotOurs not this node", denied.Message);
        Assert.Null(manager.Current);
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "serving-kubelet.crt")));
    }
}
