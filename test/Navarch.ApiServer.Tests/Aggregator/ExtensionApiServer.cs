using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Navarch.ApiServer.Tests.Aggregator;

/// <summary>
/// An extension API server for the aggregation tests: ASP.NET Core over HTTPS with a CA of its own, serving group
/// <c>wardle.example.com/v1alpha1</c> with discovery and a namespaced <c>flunders</c> resource. As a real one it accepts
/// only a client certificate signed by the request-header CA with an allowed name, and reads the caller from the
/// X-Remote-* headers; each request's headers are kept for the test to look at.
/// </summary>
internal sealed class ExtensionApiServer : IAsyncDisposable
{
    public const string Group = "wardle.example.com";
    public const string Version = "v1alpha1";

    /// <summary>The name of the Flunder's schema in the server's OpenAPI documents.</summary>
    public const string FlunderSchema = "com.example.wardle.v1alpha1.Flunder";

    /// <summary>What the server's OpenAPI says a Flunder is (kubectl explain prints it).</summary>
    public const string FlunderDescription = "Flunder is a test resource served by the wardle extension server.";

    private readonly WebApplication _app;
    private int _disposed;

    private ExtensionApiServer(WebApplication app, X509Certificate2 ca, int port)
    {
        _app = app;
        Ca = ca;
        Port = port;
    }

    /// <summary>The CA that signed the server's certificate (its caBundle).</summary>
    public X509Certificate2 Ca { get; }

    public int Port { get; }

    /// <summary>
    /// The address the server listens on: this machine's first IPv4 address that is not loopback — an Endpoints
    /// address may not be loopback (or link-local), as in Kubernetes.
    /// </summary>
    public static IPAddress Address { get; } = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal));

    /// <summary>The headers of every request served, in order.</summary>
    public ConcurrentQueue<IHeaderDictionary> Requests { get; } = new();

    /// <summary>Starts serving as <paramref name="serverName"/> (the Service's DNS name) for clients the request-header CA signed.</summary>
    public static async Task<ExtensionApiServer> StartAsync(string serverName, X509Certificate2 requestHeaderCa, IReadOnlyCollection<string> allowedNames)
    {
        X509Certificate2 ca = CreateCa();
        X509Certificate2 serving = Issue(ca, serverName);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Address, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            CheckCertificateRevocation = false,
            ClientCertificateValidation = (cert, _, _) => Signed(cert, requestHeaderCa) && allowedNames.Contains(cert.GetNameInfo(X509NameType.SimpleName, false)),
        })));
        WebApplication app = builder.Build();
        ExtensionApiServer? self = null;
        app.Run(async context =>
        {
            self!.Requests.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase)));
            string path = context.Request.Path.Value!.TrimEnd('/');
            JsonNode? body = path switch
            {
                $"/apis/{Group}/{Version}" => new JsonObject
                {
                    ["kind"] = "APIResourceList",
                    ["apiVersion"] = "v1",
                    ["groupVersion"] = $"{Group}/{Version}",
                    ["resources"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "flunders",
                        ["singularName"] = "flunder",
                        ["namespaced"] = true,
                        ["kind"] = "Flunder",
                        ["verbs"] = new JsonArray("get", "list"),
                    }),
                },
                "/openapi/v2" => new JsonObject
                {
                    ["swagger"] = "2.0",
                    ["info"] = new JsonObject { ["title"] = "Wardle", ["version"] = Version },
                    ["paths"] = FlunderPaths(),
                    ["definitions"] = new JsonObject { [FlunderSchema] = Flunder() },
                },
                "/openapi/v3" => new JsonObject
                {
                    ["paths"] = new JsonObject { [$"apis/{Group}/{Version}"] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/apis/{Group}/{Version}?hash=F1" } },
                },
                $"/openapi/v3/apis/{Group}/{Version}" => new JsonObject
                {
                    ["openapi"] = "3.0.0",
                    ["info"] = new JsonObject { ["title"] = "Wardle", ["version"] = Version },
                    ["paths"] = FlunderPaths(),
                    ["components"] = new JsonObject { ["schemas"] = new JsonObject { [FlunderSchema] = Flunder() } },
                },
                _ when path.StartsWith($"/apis/{Group}/{Version}/namespaces/", StringComparison.Ordinal) && path.EndsWith("/flunders", StringComparison.Ordinal) => new JsonObject
                {
                    ["kind"] = "FlunderList",
                    ["apiVersion"] = $"{Group}/{Version}",
                    ["metadata"] = new JsonObject { ["resourceVersion"] = "1" },
                    ["items"] = new JsonArray(new JsonObject
                    {
                        ["kind"] = "Flunder",
                        ["apiVersion"] = $"{Group}/{Version}",
                        ["metadata"] = new JsonObject
                        {
                            ["name"] = "seen-by-" + context.Request.Headers["X-Remote-User"].ToString().Replace(':', '-'),
                            ["namespace"] = path.Split('/')[5],
                            ["creationTimestamp"] = "2026-01-01T00:00:00Z",
                        },
                    }),
                },
                _ => null,
            };
            if (body is null)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body.ToJsonString());
        });
        await app.StartAsync();
        int port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        self = new ExtensionApiServer(app, ca, port);
        return self;
    }

    /// <summary>The list operation, which names the kind (as kubectl explain looks it up).</summary>
    private static JsonObject FlunderPaths() => new()
    {
        [$"/apis/{Group}/{Version}/namespaces/{{namespace}}/flunders"] = new JsonObject
        {
            ["get"] = new JsonObject
            {
                ["x-kubernetes-action"] = "list",
                ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = Group, ["version"] = Version, ["kind"] = "Flunder" },
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            },
        },
    };

    private static JsonObject Flunder() => new()
    {
        ["type"] = "object",
        ["description"] = FlunderDescription,
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["spec"] = new JsonObject { ["type"] = "object", ["description"] = "What the flunder references.", ["properties"] = new JsonObject { ["reference"] = new JsonObject { ["type"] = "string" } } },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = Group, ["version"] = Version, ["kind"] = "Flunder" }),
    };

    public async ValueTask DisposeAsync()
    {
        // A test may stop the server early; the using that started it disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A CA of the test's own, unknown to the cluster.</summary>
    public static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=wardle-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string serverName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={serverName}", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName(serverName);
        request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        // Well inside the CA's validity (which was read off the clock earlier): .NET refuses a leaf that outlives its issuer.
        using X509Certificate2 cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        // Kestrel wants the key inside the certificate, in a form the platform can use for TLS.
        using X509Certificate2 withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static bool Signed(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }
}
