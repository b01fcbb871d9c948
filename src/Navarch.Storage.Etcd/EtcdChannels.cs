using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Navarch.Storage.Etcd;

/// <summary>gRPC channels to one etcd client URL, plain (http) or with client TLS from PEM files (https).</summary>
internal static class EtcdChannels
{
    public static GrpcChannel Create(string endpoint, EtcdClientTls? tls)
    {
        if (tls is null)
        {
            return EtcdStore.CreateChannel(endpoint, new EtcdStoreOptions { Endpoints = endpoint });
        }

        X509Certificate2Collection ca = [];
        ca.ImportFromPemFile(tls.CaFile);
        // A certificate read from PEM has an ephemeral key, which SslStream on Linux accepts as is; only the etcd CA is trusted.
        return EtcdStore.CreateChannel(endpoint, new EtcdStoreOptions
        {
            Endpoints = endpoint,
            ClientCertificate = X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile),
            TrustedCa = ca,
        });
    }
}
