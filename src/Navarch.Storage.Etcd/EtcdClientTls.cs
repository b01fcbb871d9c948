namespace Navarch.Storage.Etcd;

/// <summary>
/// PEM files for a TLS client of etcd: the CA its server certificate must chain to, and this client's certificate
/// and key (an embedded etcd's <c>&lt;data-dir&gt;/server/tls/etcd/server-ca.crt</c>, <c>client.crt</c>, <c>client.key</c>).
/// </summary>
/// <param name="CaFile">The CA bundle the server's certificate is checked against.</param>
/// <param name="CertFile">The client certificate.</param>
/// <param name="KeyFile">The client certificate's private key.</param>
public sealed record EtcdClientTls(string CaFile, string CertFile, string KeyFile);
