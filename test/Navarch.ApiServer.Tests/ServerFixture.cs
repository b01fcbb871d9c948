using k8s;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>One real API server per test class, with the official client and a raw HTTPS client for it.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public ApiServer Server => _host.Server;

    public Kubernetes Client => _host.Client;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        Http = NewHttp(withClientCertificate: true);
    }

    /// <summary>An HttpClient trusting the cluster CA, with or without the admin certificate, for raw requests.</summary>
    public HttpClient NewHttp(bool withClientCertificate) => _host.NewHttp(withClientCertificate);

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _host.DisposeAsync();
    }
}
