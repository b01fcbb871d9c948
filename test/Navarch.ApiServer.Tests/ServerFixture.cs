using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Navarch.ApiServer.Tests;

/// <summary>A real API server on a free loopback port over a temp SQLite store, and the official client for it.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-apiserver-");

    public ApiServer Server { get; private set; } = null!;

    public Kubernetes Client { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string DataDir => _dir.FullName;

    public async Task InitializeAsync()
    {
        Server = new ApiServer(new ApiServerOptions { DataDir = _dir.FullName, Port = 0, BindAddress = System.Net.IPAddress.Loopback }, NullLoggerFactory.Instance);
        await Server.StartAsync();
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.AdminKubeconfigPath);
        Client = new Kubernetes(config);
        Http = NewHttp(withClientCertificate: true);
    }

    /// <summary>An HttpClient trusting the cluster CA, with or without the admin certificate, for raw requests.</summary>
    public HttpClient NewHttp(bool withClientCertificate)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && Server.Pki.IsSignedByCa(cert),
        };
        if (withClientCertificate)
        {
            handler.ClientCertificates.Add(Server.Pki.Admin);
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{Server.Port}") };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
