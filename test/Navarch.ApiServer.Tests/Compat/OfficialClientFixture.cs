using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Compat;

/// <summary>A real API server for the official clients' scenario scripts (test/compat), with what they need installed.</summary>
public sealed class OfficialClientFixture : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    /// <summary>The admin kubeconfig the scripts get as $KUBECONFIG.</summary>
    public string Kubeconfig => _host.Server.AdminKubeconfigPath;

    public async Task InitializeAsync()
    {
        await OfficialClientScenarios.EnsureInstalledAsync();
        _host = await ApiServerHost.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();
}
