using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Navarch.Storage.Etcd;

/// <summary>gRPC channels to one etcd client URL, plain (http) or with client TLS (https).</summary>
internal static class EtcdChannels
{
    public static GrpcChannel Create(string endpoint, EtcdClientTls? tls)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (tls is not null)
        {
            X509Certificate2Collection ca = [];
            ca.ImportFromPemFile(tls.CaFile);
            // A certificate read from PEM has an ephemeral key, which SslStream on Linux accepts as is.
            X509Certificate2 client = X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }

                    // Trust exactly the etcd CA, not the machine's roots.
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            };
        }

        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            DisposeHttpClient = true,
        });
    }
}
