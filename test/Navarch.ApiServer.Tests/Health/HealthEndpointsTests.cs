using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Storage.Etcd;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Health;

/// <summary>
/// /livez, /readyz and /healthz of a real server over a real etcd: the named checks kube-apiserver lists, ?verbose,
/// ?exclude, one check by its sub-path, and the checks failing (HTTP 500, the failing check named) once etcd is gone.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HealthEndpointsTests : IAsyncLifetime
{
    private EtcdServer _etcd = null!;

    private EtcdStore _store = null!;

    private ApiServer _server = null!;

    private DirectoryInfo _dir = null!;

    private HttpClient _http = null!;

    private bool _etcdGone;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdServer.StartAsync();
        _store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = _etcd.Endpoint, RequestTimeout = TimeSpan.FromSeconds(3) });
        _dir = Directory.CreateTempSubdirectory("navarch-health-");
        _server = new ApiServer(_store, new ApiServerOptions { DataDir = _dir.FullName, Port = 0, BindAddress = IPAddress.Loopback }, NullLoggerFactory.Instance);
        await _server.StartAsync();
        ApiServer server = _server;
        // No client certificate: the health endpoints answer anyone, as kube-apiserver's system:public-info-viewer.
        _http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && server.Pki.IsSignedByCa(cert) })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{_server.Port}"),
        };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        if (!_etcdGone)
        {
            await _etcd.DisposeAsync();
        }

        _dir.Delete(recursive: true);
    }

    private async Task<(HttpStatusCode Code, string Body)> GetAsync(string path)
    {
        using HttpResponseMessage response = await _http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_endpoint_lists_its_named_checks_and_answers_one_by_its_sub_path()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/readyz"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/livez"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/healthz"));

        (HttpStatusCode code, string body) = await GetAsync("/readyz?verbose");
        Assert.Equal(HttpStatusCode.OK, code);
        string[] lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]etcd-readiness ok", "[+]informer-sync ok"], lines[..5]);
        Assert.Contains("[+]poststarthook/rbac/bootstrap-roles ok", lines);
        Assert.Equal("[+]shutdown ok", lines[^2]);
        Assert.Equal("readyz check passed", lines[^1]);

        (code, body) = await GetAsync("/livez?verbose=1");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.StartsWith("[+]ping ok\n[+]log ok\n[+]etcd ok\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("shutdown", body, StringComparison.Ordinal);
        Assert.EndsWith("livez check passed\n", body, StringComparison.Ordinal);

        (code, body) = await GetAsync("/healthz?verbose&exclude=log&exclude=nonesuch");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Contains("[+]log excluded: ok\n", body, StringComparison.Ordinal);
        Assert.Contains("warn: some health checks cannot be excluded: no matches for \"nonesuch\"\n", body, StringComparison.Ordinal);

        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/readyz/etcd"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/livez/ping"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/readyz/poststarthook/rbac/bootstrap-roles"));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/readyz/nonesuch")).Code);
    }

    [Fact]
    public async Task The_checks_fail_with_500_naming_etcd_once_the_store_is_unreachable()
    {
        _etcdGone = true;
        await _etcd.DisposeAsync();

        (HttpStatusCode code, string body) = await GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.Contains("[+]ping ok\n", body, StringComparison.Ordinal);
        Assert.Contains("[-]etcd failed: reason withheld\n", body, StringComparison.Ordinal);
        Assert.Contains("[-]etcd-readiness failed: reason withheld\n", body, StringComparison.Ordinal);
        Assert.EndsWith("readyz check failed\n", body, StringComparison.Ordinal);

        (code, body) = await GetAsync("/livez");
        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.EndsWith("livez check failed\n", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.InternalServerError, (await GetAsync("/healthz")).Code);

        (code, body) = await GetAsync("/livez/etcd");
        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.StartsWith("internal server error: ", body, StringComparison.Ordinal);

        // Excluding the failing checks leaves a healthy server.
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/readyz?exclude=etcd&exclude=etcd-readiness"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/livez/ping"));
    }
}
